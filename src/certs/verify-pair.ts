/**
 * Is this a certificate the webhook can serve? The key must match the certificate, the chain in
 * tls.crt must lead to a certificate in ca.crt (what the API server will trust through caBundle),
 * and nothing on the way may have expired. Every failure names the file to look at, because the
 * operator's next step is to look at that file. Pure: PEM text in, facts or an error out.
 */
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';

export interface CertPems {
  caPem: string;
  certPem: string;
  keyPem: string;
}

/** Which file each PEM came from, for messages. */
export interface CertPemFiles {
  ca: string;
  cert: string;
  key: string;
}

export interface VerifiedCert {
  serialNumber: string;
  subjectAltName: string;
  fingerprint256: string;
  notBefore: Date;
  notAfter: Date;
  /** When the CA that signed the chain expires; the caBundle must be replaced before then. */
  caNotAfter: Date;
}

export class CertFileError extends Error {
  /** The file at fault. */
  readonly file: string;
  constructor(file: string, message: string) {
    super(message);
    this.name = 'CertFileError';
    this.file = file;
  }
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

export function verifyCertPems(pems: CertPems, files: CertPemFiles, now: Date): VerifiedCert {
  const anchors = parseCertificates(pems.caPem, files.ca);
  const chain = parseCertificates(pems.certPem, files.cert);
  const leaf = chain[0] as X509Certificate;
  const key = parseKey(pems.keyPem, files.key);
  if (!leaf.checkPrivateKey(key)) throw new CertFileError(files.key, `${files.key} is not the key of the certificate in ${files.cert}`);

  let anchor: X509Certificate | undefined;
  for (const [i, cert] of chain.entries()) {
    anchor = anchors.find((a) => a.fingerprint256 === cert.fingerprint256 || signedBy(cert, a));
    if (anchor) break;
    const next = chain[i + 1];
    if (!next || !signedBy(cert, next)) {
      throw new CertFileError(files.cert, `${files.cert}: certificate "${cert.subject.replace(/\n/g, ', ')}" is not signed by the CA in ${files.ca}`);
    }
  }
  if (!anchor) throw new CertFileError(files.cert, `${files.cert} is not signed by the CA in ${files.ca}`);

  const notAfter = new Date(leaf.validTo);
  if (notAfter.getTime() <= now.getTime()) throw new CertFileError(files.cert, `${files.cert} expired at ${notAfter.toISOString()}`);
  const caNotAfter = new Date(anchor.validTo);
  if (caNotAfter.getTime() <= now.getTime()) throw new CertFileError(files.ca, `the CA in ${files.ca} expired at ${caNotAfter.toISOString()}`);
  return {
    serialNumber: leaf.serialNumber,
    subjectAltName: leaf.subjectAltName ?? '',
    fingerprint256: leaf.fingerprint256,
    notBefore: new Date(leaf.validFrom),
    notAfter,
    caNotAfter,
  };
}

/** Every certificate in a PEM bundle, in order; at least one. */
export function parseCertificates(pem: string, file: string): X509Certificate[] {
  const blocks = pem.match(PEM_CERTIFICATE) ?? [];
  if (blocks.length === 0) throw new CertFileError(file, `${file} holds no PEM certificate`);
  return blocks.map((block) => {
    try {
      return new X509Certificate(block);
    } catch (error) {
      throw new CertFileError(file, `${file} holds an invalid certificate: ${(error as Error).message}`);
    }
  });
}

function parseKey(pem: string, file: string): KeyObject {
  try {
    return createPrivateKey(pem);
  } catch (error) {
    throw new CertFileError(file, `${file} holds no valid private key: ${(error as Error).message}`);
  }
}

function signedBy(cert: X509Certificate, issuer: X509Certificate): boolean {
  return cert.checkIssued(issuer) && cert.verify(issuer.publicKey);
}
