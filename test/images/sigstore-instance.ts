/**
 * A private Sigstore instance for the keyless tests: a Fulcio-like CA that embeds SCTs from its CT
 * log, and a Rekor-like transparency log that signs entry timestamps and checkpoints, from
 * `@sigstore/mock` (Sigstore's own test doubles, run in-process, no network). Its trusted root is
 * what a user would pass offline (`trusted_root.json`). It signs the way cosign does keylessly:
 * - `bundle`: a Sigstore bundle (v0.3) around a DSSE in-toto statement naming the image digest,
 *   with a `dsse` Rekor entry (what `cosign sign --new-bundle-format` attaches as a referrer);
 * - `sigLayer`: a `.sig` layer (simple-signing payload, certificate, chain and the Rekor entry of a
 *   `hashedrekord` in annotations: what `cosign sign` writes by default).
 * Not a *.test.ts file.
 */
import { createHash, generateKeyPairSync, sign, X509Certificate } from 'node:crypto';
import { initializeCA, initializeCTLog, initializeTLog, initializeTSA } from '@sigstore/mock';

export const ISSUER = 'https://token.actions.githubusercontent.com';
const ISSUER_OID = '1.3.6.1.4.1.57264.1.8';
const LONG_AGO = '2020-01-01T00:00:00Z';

export interface SignOptions {
  /** The certificate's subject (a URI SAN). */
  subject: string;
  issuer?: string;
  /** Leave out the Rekor entry (no trusted time, unless `timestamped`). */
  withoutRekor?: boolean;
  /** An RFC 3161 timestamp of the signature from the instance's timestamp authority (bundles). */
  timestamped?: boolean;
  /** What the statement or payload names (default: the digest signed for). */
  names?: string;
  /** The statement's predicate (default cosign's signing predicate; others are attestations). */
  predicateType?: string;
}

export interface SigLayer {
  payload: Buffer;
  annotations: Record<string, string>;
}

export interface SigstoreInstance {
  /** trusted_root.json, as text. */
  trustedRoot: string;
  bundle(digest: string, options: SignOptions): Promise<string>;
  sigLayer(digest: string, repository: string, options: SignOptions): Promise<SigLayer>;
}

/** The mock hands out byte views; Node wants Buffers. */
const buffer = (view: ArrayBufferView): Buffer => Buffer.from(view.buffer, view.byteOffset, view.byteLength);
const b64 = (bytes: ArrayBufferView): string => buffer(bytes).toString('base64');
const sha256 = (bytes: Buffer): Buffer => createHash('sha256').update(bytes).digest();
const ecKeys = () => generateKeyPairSync('ec', { namedCurve: 'P-256' });

function pem(der: Buffer): string {
  return `-----BEGIN CERTIFICATE-----\n${der.toString('base64').replace(/.{64}/g, '$&\n')}\n-----END CERTIFICATE-----\n`;
}

/**
 * An RFC 3161 timestamp of `hash`. The mock writes its genTime as DER wants, trailing zeros of the
 * milliseconds dropped ("…05.12Z"), and @sigstore/core reads three digits or none ("invalid
 * time"), so in about 1 call in 11 the bundle would not verify: such a stamp is asked for again.
 * (Sigstore's own timestamp authority writes whole seconds.)
 */
async function timestamp(tsa: Awaited<ReturnType<typeof initializeTSA>>, hash: Buffer): Promise<Buffer> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const answer = buffer(await tsa.timestamp({ artifactHash: hash, hashAlgorithmOID: '2.16.840.1.101.3.4.2.1', nonce: 1, policyOID: '1.2.3.4', certReq: true }));
    if (!/\d{14}\.\d{1,2}Z/.test(answer.toString('latin1'))) return answer;
  }
  throw new Error('the mock timestamp authority wrote 20 genTimes in a row that @sigstore/core cannot read');
}

/** DSSE's pre-authentication encoding: what a DSSE signature signs. */
function pae(payloadType: string, payload: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`DSSEv1 ${payloadType.length} ${payloadType} ${payload.length} `), payload]);
}

export async function sigstoreInstance(): Promise<SigstoreInstance> {
  const ctLog = await initializeCTLog(ecKeys());
  const ca = await initializeCA(ecKeys(), ctLog);
  const tlogKeys = ecKeys();
  const tlog = await initializeTLog('https://rekor.palisade.test', tlogKeys);
  const tlogKey = tlog.publicKey;
  const tsa = await initializeTSA(ecKeys());
  const logKey = (rawBytes: Buffer, keyId: Buffer) => ({
    baseUrl: 'https://rekor.palisade.test',
    hashAlgorithm: 'SHA2_256',
    publicKey: { rawBytes: b64(rawBytes), keyDetails: 'PKIX_ECDSA_P256_SHA_256', validFor: { start: LONG_AGO } },
    logId: { keyId: b64(keyId) },
  });
  const trustedRoot = JSON.stringify({
    mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
    tlogs: [logKey(tlogKey, sha256(tlogKey))],
    certificateAuthorities: [{
      subject: { organization: 'palisade.test', commonName: 'palisade test fulcio' },
      uri: 'https://fulcio.palisade.test',
      certChain: { certificates: [{ rawBytes: b64(ca.rootCertificate) }] },
      validFor: { start: LONG_AGO },
    }],
    ctlogs: [logKey(ctLog.publicKey, buffer(ctLog.logID))],
    timestampAuthorities: [{
      subject: { organization: 'palisade.test', commonName: 'palisade test tsa' },
      uri: 'https://tsa.palisade.test',
      certChain: { certificates: [{ rawBytes: b64(tsa.intCertificate) }, { rawBytes: b64(tsa.rootCertificate) }] },
      validFor: { start: LONG_AGO },
    }],
  }, null, 2);

  /** An ephemeral key and its certificate, as Fulcio issues them for an OIDC identity. */
  const signer = async (options: SignOptions) => {
    const keys = ecKeys();
    const der = await ca.issueCertificate({
      publicKey: keys.publicKey.export({ type: 'spki', format: 'der' }),
      subjectAltName: options.subject,
      extensions: [{ oid: ISSUER_OID, value: options.issuer ?? ISSUER }],
    });
    const cert = buffer(der);
    if (!new X509Certificate(cert).checkPrivateKey(keys.privateKey)) throw new Error('the CA certified another key');
    return { keys, cert };
  };

  /** Logs an entry; the Rekor answer's single record. */
  const logEntry = async (body: object) => {
    const answer = await tlog.log(body);
    return Object.values(answer)[0] as { body: string; integratedTime: number; logID: string; logIndex: number; verification: { signedEntryTimestamp: string; inclusionProof: { logIndex: number; rootHash: string; treeSize: number; hashes: string[]; checkpoint: string } } };
  };

  return {
    trustedRoot,
    async bundle(digest, options) {
      const { keys, cert } = await signer(options);
      const payloadType = 'application/vnd.in-toto+json';
      const statement = Buffer.from(JSON.stringify({
        _type: 'https://in-toto.io/Statement/v1',
        subject: [{ digest: { sha256: (options.names ?? digest).replace('sha256:', '') } }],
        predicateType: options.predicateType ?? 'https://sigstore.dev/cosign/sign/v1',
      }));
      const signature = sign('sha256', pae(payloadType, statement), keys.privateKey);
      const tlogEntries = [];
      if (!options.withoutRekor) {
        const envelope = { payload: b64(statement), payloadType, signatures: [{ sig: b64(signature) }] };
        const entry = await logEntry({
          apiVersion: '0.0.1',
          kind: 'dsse',
          spec: {
            envelopeHash: { algorithm: 'sha256', value: sha256(Buffer.from(JSON.stringify(envelope))).toString('hex') },
            payloadHash: { algorithm: 'sha256', value: sha256(statement).toString('hex') },
            signatures: [{ signature: b64(signature), verifier: b64(Buffer.from(pem(cert))) }],
          },
        });
        const proof = entry.verification.inclusionProof;
        tlogEntries.push({
          logIndex: String(entry.logIndex),
          logId: { keyId: Buffer.from(entry.logID, 'hex').toString('base64') },
          kindVersion: { kind: 'dsse', version: '0.0.1' },
          integratedTime: String(entry.integratedTime),
          inclusionPromise: { signedEntryTimestamp: entry.verification.signedEntryTimestamp },
          inclusionProof: {
            logIndex: String(proof.logIndex),
            rootHash: Buffer.from(proof.rootHash, 'hex').toString('base64'),
            treeSize: String(proof.treeSize),
            hashes: proof.hashes.map((h) => Buffer.from(h, 'hex').toString('base64')),
            checkpoint: { envelope: proof.checkpoint },
          },
          canonicalizedBody: entry.body,
        });
      }
      const rfc3161Timestamps = [];
      if (options.timestamped) {
        rfc3161Timestamps.push({ signedTimestamp: b64(await timestamp(tsa, sha256(signature))) });
      }
      return JSON.stringify({
        mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
        verificationMaterial: { certificate: { rawBytes: b64(cert) }, tlogEntries, timestampVerificationData: { rfc3161Timestamps } },
        dsseEnvelope: { payload: b64(statement), payloadType, signatures: [{ sig: b64(signature), keyid: '' }] },
      });
    },
    async sigLayer(digest, repository, options) {
      const { keys, cert } = await signer(options);
      const payload = Buffer.from(JSON.stringify({
        critical: { identity: { 'docker-reference': repository }, image: { 'docker-manifest-digest': options.names ?? digest }, type: 'cosign container image signature' },
        optional: null,
      }));
      const signature = sign('sha256', payload, keys.privateKey);
      const annotations: Record<string, string> = {
        'dev.cosignproject.cosign/signature': b64(signature),
        'dev.sigstore.cosign/certificate': pem(cert),
        'dev.sigstore.cosign/chain': pem(buffer(ca.rootCertificate)),
      };
      if (!options.withoutRekor) {
        const entry = await logEntry({
          apiVersion: '0.0.1',
          kind: 'hashedrekord',
          spec: {
            data: { hash: { algorithm: 'sha256', value: sha256(payload).toString('hex') } },
            signature: { content: b64(signature), publicKey: { content: b64(Buffer.from(pem(cert))) } },
          },
        });
        annotations['dev.sigstore.cosign/bundle'] = JSON.stringify({
          SignedEntryTimestamp: entry.verification.signedEntryTimestamp,
          Payload: { body: entry.body, integratedTime: entry.integratedTime, logIndex: entry.logIndex, logID: entry.logID },
        });
      }
      return { payload, annotations };
    },
  };
}
