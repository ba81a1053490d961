/**
 * Certificates for the webhook's HTTPS listener: a private CA and a serving certificate it signs.
 * The API server only calls a webhook over TLS it can verify against the `caBundle` of the webhook
 * configuration, so a cluster without cert-manager needs both. node-forge is used here and nowhere
 * else: node:crypto can make keys but cannot make certificates. Keys are RSA 2048 because forge
 * cannot sign with ECDSA; signatures are SHA-256.
 */
import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import forge from 'node-forge';

export interface PemPair {
  certPem: string;
  keyPem: string;
}

export interface CaOptions {
  commonName?: string;
  /** Default 1825 (5 years): the CA ends up in every webhook configuration's caBundle. */
  days?: number;
  now?: Date;
}

export interface ServingCertOptions {
  /** Extra DNS names; `localhost` is always included. */
  dnsNames?: readonly string[];
  /** Extra IP addresses; `127.0.0.1` and `::1` are always included. */
  ipAddresses?: readonly string[];
  /** The Service the API server calls: adds NAME, NAME.NS, NAME.NS.svc and NAME.NS.svc.cluster.local. */
  service?: { name: string; namespace: string };
  /** Default 365. */
  days?: number;
  now?: Date;
}

export interface SubjectAltNames {
  dnsNames: string[];
  ipAddresses: string[];
}

export const DEFAULT_CA_DAYS = 1825;
export const DEFAULT_SERVING_DAYS = 365;
const DEFAULT_DNS_NAMES = ['localhost'];
const DEFAULT_IP_ADDRESSES = ['127.0.0.1', '::1'];
/** notBefore is backdated so a node whose clock is a little behind still accepts a fresh certificate. */
const BACKDATE_MS = 5 * 60 * 1000;
const DNS_NAME = /^(\*\.)?[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i;

/** The names a serving certificate covers, defaults first, each once; throws on a malformed name. */
export function servingAltNames(options: ServingCertOptions = {}): SubjectAltNames {
  const dns = [...DEFAULT_DNS_NAMES];
  if (options.service) {
    const { name, namespace } = options.service;
    dns.push(name, `${name}.${namespace}`, `${name}.${namespace}.svc`, `${name}.${namespace}.svc.cluster.local`);
  }
  dns.push(...(options.dnsNames ?? []));
  for (const name of dns) {
    if (name.length > 253 || !DNS_NAME.test(name)) throw new Error(`"${name}" is not a valid DNS name`);
  }
  const ips = [...DEFAULT_IP_ADDRESSES, ...(options.ipAddresses ?? [])];
  for (const ip of ips) {
    if (isIP(ip) === 0) throw new Error(`"${ip}" is not an IP address`);
  }
  return { dnsNames: unique(dns.map((n) => n.toLowerCase())), ipAddresses: unique(ips) };
}

export function generateCa(options: CaOptions = {}): PemPair {
  const keys = forge.pki.rsa.generateKeyPair({ bits: 2048 });
  const cert = newCertificate(keys.publicKey, options.now ?? new Date(), options.days ?? DEFAULT_CA_DAYS);
  const subject = [{ shortName: 'CN', value: options.commonName ?? 'palisade-ca' }, { shortName: 'O', value: 'Palisade' }];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, pathLenConstraint: 0, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  cert.sign(keys.privateKey, forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem: forge.pki.privateKeyToPem(keys.privateKey) };
}

/** A new serving certificate and key signed by `ca`: used at first start and to rotate. */
export function issueServingCert(ca: PemPair, options: ServingCertOptions = {}): PemPair {
  const { dnsNames, ipAddresses } = servingAltNames(options);
  const caCert = forge.pki.certificateFromPem(ca.certPem);
  const caKey = forge.pki.privateKeyFromPem(ca.keyPem);
  const keys = forge.pki.rsa.generateKeyPair({ bits: 2048 });
  const cert = newCertificate(keys.publicKey, options.now ?? new Date(), options.days ?? DEFAULT_SERVING_DAYS);
  cert.setSubject([{ shortName: 'CN', value: commonNameFor(dnsNames, options) }, { shortName: 'O', value: 'Palisade' }]);
  cert.setIssuer(caCert.subject.attributes);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    { name: 'subjectAltName', altNames: [...dnsNames.map((value) => ({ type: 2, value })), ...ipAddresses.map((ip) => ({ type: 7, ip }))] },
    { name: 'subjectKeyIdentifier' },
    { name: 'authorityKeyIdentifier', keyIdentifier: caCert.generateSubjectKeyIdentifier().getBytes() },
  ]);
  cert.sign(caKey, forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem: forge.pki.privateKeyToPem(keys.privateKey) };
}

/** A fresh CA and a serving certificate signed by it. */
export function generateCertBundle(options: { ca?: CaOptions; serving?: ServingCertOptions } = {}): { ca: PemPair; serving: PemPair } {
  const ca = generateCa(options.ca);
  return { ca, serving: issueServingCert(ca, options.serving) };
}

function newCertificate(publicKey: forge.pki.rsa.PublicKey, now: Date, days: number): forge.pki.Certificate {
  if (!Number.isInteger(days) || days < 1) throw new Error(`validity must be a whole number of days ≥ 1, not ${days}`);
  const cert = forge.pki.createCertificate();
  cert.publicKey = publicKey;
  cert.serialNumber = randomSerial();
  cert.validity.notBefore = new Date(now.getTime() - BACKDATE_MS);
  cert.validity.notAfter = new Date(now.getTime() + days * 24 * 60 * 60 * 1000);
  return cert;
}

/** 128 random bits with the top bit clear (DER integers are signed) and a non-zero first byte. */
function randomSerial(): string {
  const bytes = randomBytes(16);
  bytes[0] = ((bytes[0] ?? 0) & 0x7f) | 0x01;
  return bytes.toString('hex');
}

/** CN is informational (clients match SANs) but limited to 64 characters. */
function commonNameFor(dnsNames: readonly string[], options: ServingCertOptions): string {
  const preferred = options.service ? `${options.service.name}.${options.service.namespace}.svc` : (options.dnsNames?.[0] ?? dnsNames[0]);
  return preferred !== undefined && preferred.length <= 64 ? preferred : 'palisade-webhook';
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}
