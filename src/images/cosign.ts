/**
 * cosign signatures as `cosign sign` stores them by default: an OCI manifest tagged
 * `sha256-<hex>.sig` in the image's repository, one layer per signature, each layer a "simple
 * signing" JSON payload that names the signed manifest digest, its signature (base64) in the
 * layer annotation `dev.cosignproject.cosign/signature`. A keyless signature adds its certificate,
 * chain and Rekor entry as annotations; those are checked by Sigstore's verifier (sigstore.ts).
 *
 * A signature counts when: its payload blob hashes to the layer's digest (the client checks), the
 * signature verifies over the payload bytes with one of the trusted public keys, the payload's
 * type is cosign's, and the digest it names is the image's. The repository the payload names is
 * not compared: images are copied between registries with their signatures, as cosign allows.
 *
 * Public keys are PEM (SPKI): ECDSA P-256/384 and RSA verify with SHA-256 (what cosign signs
 * with), Ed25519 with itself. Node's crypto does the verification; nothing is hand-written here.
 */
import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import type { ImageReference } from './reference.js';
import { RegistryError, type RegistryClient } from './registry-client.js';
import { CERTIFICATE_ANNOTATION, legacyBundle, verifyParsedBundle, type KeylessPolicy } from './sigstore.js';

export const SIGNATURE_ANNOTATION = 'dev.cosignproject.cosign/signature';
export const SIMPLE_SIGNING_TYPE = 'application/vnd.dev.cosign.simplesigning.v1+json';
const COSIGN_PAYLOAD_TYPE = 'cosign container image signature';
/** Signatures looked at per image, and the largest payload read: a hostile registry gets no more. */
const MAX_SIGNATURES = 20;
const MAX_PAYLOAD_BYTES = 64 * 1024;

export const NO_SIGNATURE = 'no cosign signature found';

export interface TrustedKey {
  /** Where the key came from, for messages: a file name, `secret ns/name[key]`. */
  name: string;
  key: KeyObject;
}

/** Reads a PEM public key; throws with the key's name when it is not one. */
export function readPublicKey(name: string, pem: string): TrustedKey {
  // Node would derive the public key from a private one; a private key in Palisade's files (a
  // ConfigMap, most likely) is a leak to stop, not a key to use.
  if (pem.includes('PRIVATE KEY-----')) throw new Error(`${name}: a private key; give the public key (cosign.pub), and keep the private key out of Palisade's files`);
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch (error) {
    throw new Error(`${name}: not a PEM public key (${(error as Error).message})`);
  }
  const type = key.asymmetricKeyType;
  if (type !== 'ec' && type !== 'rsa' && type !== 'ed25519') throw new Error(`${name}: ${type ?? 'unknown'} keys are not supported (ECDSA, RSA or Ed25519)`);
  return { name, key };
}

/** The tag cosign stores a digest's signatures under. */
export function signatureTag(digest: string): string {
  return `${digest.replace(':', '-')}.sig`;
}

export interface SignatureCheck {
  verified: boolean;
  /** The key that verified it, or why none did. */
  detail: string;
}

function verifies(payload: Buffer, signature: Buffer, trusted: TrustedKey): boolean {
  try {
    const algorithm = trusted.key.asymmetricKeyType === 'ed25519' ? null : 'sha256';
    return verify(algorithm, payload, trusted.key, signature);
  } catch {
    return false;
  }
}

/** The digest a simple-signing payload names, when it is cosign's. */
function signedDigest(payload: Buffer): string | undefined {
  try {
    const parsed = JSON.parse(payload.toString('utf8')) as { critical?: { type?: unknown; image?: { 'docker-manifest-digest'?: unknown } } };
    if (parsed.critical?.type !== COSIGN_PAYLOAD_TYPE) return undefined;
    const digest = parsed.critical.image?.['docker-manifest-digest'];
    return typeof digest === 'string' ? digest : undefined;
  } catch {
    return undefined;
  }
}

/** What a verify entry trusts: public keys, and keyless signers (src/images/sigstore.ts). */
export interface SignatureTrust {
  keys: readonly TrustedKey[];
  keyless?: KeylessPolicy;
}

/** Who signed one `.sig` layer, if anyone trusted: a key, else (a keyless layer) its certificate. */
function signerOf(annotations: Record<string, string>, payload: Buffer, signature: Buffer, trust: SignatureTrust): SignatureCheck {
  const trusted = trust.keys.find((k) => verifies(payload, signature, k));
  if (trusted) return { verified: true, detail: `signed with the key ${trusted.name}` };
  if (annotations[CERTIFICATE_ANNOTATION] === undefined) return { verified: false, detail: 'not verified by a trusted key' };
  if (!trust.keyless) return { verified: false, detail: 'signed keylessly (a certificate), and no keyless identity is trusted for this image' };
  try {
    return verifyParsedBundle(legacyBundle(annotations, signature, payload), [], trust.keyless, payload);
  } catch (error) {
    return { verified: false, detail: `a keyless signature that cannot be read: ${(error as Error).message.slice(0, 200)}` };
  }
}

/**
 * Looks for a signature of `digest` (in `image`'s repository) that `trust` verifies. Registry
 * failures other than "no signatures" (404) are thrown (RegistryError): the caller decides by
 * its failure policy; a missing or wrong signature is an answer, not an error.
 */
export async function verifySignature(client: RegistryClient, image: ImageReference, digest: string, trust: SignatureTrust, signal: AbortSignal): Promise<SignatureCheck> {
  let manifest;
  try {
    manifest = await client.manifest(image, signatureTag(digest), signal);
  } catch (error) {
    if (error instanceof RegistryError && error.status === 404) return { verified: false, detail: NO_SIGNATURE };
    throw error;
  }
  const layers = Array.isArray(manifest.json['layers']) ? (manifest.json['layers'] as unknown[]) : [];
  const candidates = layers
    .filter((l): l is { mediaType: string; digest: string; size?: number; annotations: Record<string, string> } =>
      typeof l === 'object' && l !== null && (l as { mediaType?: unknown }).mediaType === SIMPLE_SIGNING_TYPE &&
      typeof (l as { digest?: unknown }).digest === 'string' && typeof (l as { annotations?: Record<string, unknown> }).annotations?.[SIGNATURE_ANNOTATION] === 'string')
    .slice(0, MAX_SIGNATURES);
  if (candidates.length === 0) return { verified: false, detail: NO_SIGNATURE };
  let wrongImage = 0;
  const refused: string[] = [];
  for (const layer of candidates) {
    if (typeof layer.size === 'number' && layer.size > MAX_PAYLOAD_BYTES) continue;
    const payload = await client.blob(image, layer.digest, MAX_PAYLOAD_BYTES, signal);
    const signature = Buffer.from(layer.annotations[SIGNATURE_ANNOTATION] ?? '', 'base64');
    const signer = signerOf(layer.annotations, payload, signature, trust);
    if (!signer.verified) {
      refused.push(signer.detail);
      continue;
    }
    if (signedDigest(payload) !== digest) {
      wrongImage += 1;
      continue;
    }
    return signer;
  }
  if (wrongImage > 0) return { verified: false, detail: 'a trusted signer signed another image, not this digest' };
  const keyless = refused.find((d) => !d.startsWith('not verified by a trusted key'));
  if (refused.length === 1 && keyless) return { verified: false, detail: keyless };
  return { verified: false, detail: `${refused.length === 1 ? 'a signature' : `${refused.length} signatures`} found, none verified by a trusted key${keyless ? ` (${keyless})` : ''}` };
}
