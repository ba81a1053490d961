/**
 * Sigstore bundles, checked by Sigstore's own verifier (`@sigstore/verify`): the certificate chain
 * to a trusted Fulcio CA, its SCTs, the Rekor entry's signed timestamp and body, the signature.
 * What is Palisade's: which signer is trusted (the identities of a verify entry, matched here in
 * linear time rather than by the library's JavaScript-regex policy), and that what was signed
 * names this image's digest.
 *
 * Two ways a bundle reaches here:
 * - cosign's Sigstore bundle format (`cosign sign --new-bundle-format`): a bundle attached to the
 *   image as an OCI referrer, a DSSE envelope around an in-toto statement whose subject is the
 *   image digest (src/images/referrers.ts finds them);
 * - cosign's keyless `.sig` layers, whose certificate, chain and Rekor entry sit in annotations:
 *   rebuilt here into the bundle they amount to (`legacyBundle`).
 *
 * A certificate is only as good as the time it is checked at: Fulcio's live ten minutes. So a
 * certificate must come with a trusted time, a Rekor entry or an RFC 3161 timestamp; without one
 * it is refused (a private CA without a transparency log: use a key, `keys`, instead).
 */
import { createHash, type KeyObject } from 'node:crypto';
import { bundleFromJSON, type Bundle } from '@sigstore/bundle';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { toSignedEntity, toTrustMaterial, Verifier, type Signer, type TrustMaterial } from '@sigstore/verify';
import { RE2JS } from 're2js';
import type { SignatureCheck, TrustedKey } from './cosign.js';

export const BUNDLE_MEDIA_TYPE = 'application/vnd.dev.sigstore.bundle.v0.3+json';
const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';
const LEGACY_BUNDLE_MEDIA_TYPE = 'application/vnd.dev.sigstore.bundle+json;version=0.1';

/** Who may have signed: the OIDC issuer, and the subject (an email, a workflow URI) exactly or by pattern. */
export interface KeylessIdentity {
  issuer: string;
  subject?: string;
  /** RE2 syntax, matched against the whole subject. */
  subjectRegExp?: string;
}

export interface KeylessPolicy {
  /** Where the trust root came from, for messages. */
  trustedRootFile: string;
  trust: TrustMaterial;
  /** The trusted identities, compiled (compileIdentities). */
  identities: IdentityMatcher[];
  /** Require a Rekor entry (default) — its signed timestamp is the trusted time otherwise a timestamp authority gives. */
  transparencyLog: boolean;
  /** Require the certificate's SCT from a CT log in the trust root (default). */
  ctLog: boolean;
}

/** Reads a Sigstore trusted root (`trusted_root.json`); throws saying why it is not one. */
export function readTrustedRoot(text: string): TrustMaterial {
  const root = TrustedRoot.fromJSON(JSON.parse(text));
  if (root.certificateAuthorities.length === 0) throw new Error('no certificate authority in it');
  return toTrustMaterial(root);
}

export type IdentityMatcher = (signer: { issuer?: string; subject?: string }) => boolean;

/** Compiles the identities' patterns once; throws on a pattern RE2 refuses. */
export function compileIdentities(identities: readonly KeylessIdentity[]): IdentityMatcher[] {
  return identities.map((identity) => {
    const pattern = identity.subjectRegExp === undefined ? undefined : RE2JS.compile(identity.subjectRegExp);
    return ({ issuer, subject }) =>
      issuer === identity.issuer &&
      subject !== undefined &&
      (identity.subject === undefined || subject === identity.subject) &&
      (pattern === undefined || pattern.matches(subject));
  });
}

/** A trust material holding one public key, whatever the bundle's key hint says. */
function keyTrust(key: KeyObject): TrustMaterial {
  return { certificateAuthorities: [], timestampAuthorities: [], tlogs: [], ctlogs: [], publicKey: () => ({ publicKey: key, validFor: () => true }) };
}

function errorText(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).slice(0, 200);
}

/**
 * Verifies a bundle, already parsed, against the keys or the keyless policy of a verify entry.
 * `artifact`: the signed bytes, for a message signature (a `.sig` payload); a DSSE envelope
 * carries its own. Does not look at what was signed: the caller checks it names the image.
 */
export function verifyParsedBundle(bundle: Bundle, keys: readonly TrustedKey[], keyless: KeylessPolicy | undefined, artifact?: Buffer): SignatureCheck {
  const refused = hostileMaterial(bundle);
  if (refused) return { verified: false, detail: refused };
  const entity = toSignedEntity(bundle, artifact);
  if (bundle.verificationMaterial.content.$case === 'publicKey') {
    // A key is trusted as it is, at any time, as on the `.sig` path: its Rekor entry (cosign
    // uploads one by default) is not what makes it trusted, and there is no log key to check it with.
    const keyed = { ...entity, tlogEntries: [], timestamps: [] };
    for (const trusted of keys) {
      try {
        new Verifier(keyTrust(trusted.key), { tlogThreshold: 0, ctlogThreshold: 0, timestampThreshold: 0 }).verify(keyed);
        return { verified: true, detail: `signed with the key ${trusted.name}` };
      } catch {
        // Another key may verify it.
      }
    }
    return { verified: false, detail: keys.length === 0 ? 'signed with a key, and no key is trusted for this image' : 'signed with a key none of the trusted keys verifies' };
  }
  if (!keyless) return { verified: false, detail: 'signed keylessly (a certificate), and no keyless identity is trusted for this image' };
  let signer: Signer;
  try {
    signer = new Verifier(keyless.trust, {
      tlogThreshold: keyless.transparencyLog ? 1 : 0,
      ctlogThreshold: keyless.ctLog ? 1 : 0,
      // A certificate is checked at a trusted time, never at none (see the header).
      timestampThreshold: 1,
    }).verify(entity);
  } catch (error) {
    return { verified: false, detail: `keyless signature not verified against ${keyless.trustedRootFile}: ${errorText(error)}` };
  }
  const issuer = signer.identity?.extensions?.issuer;
  const subject = signer.identity?.subjectAlternativeName;
  if (!keyless.identities.some((m) => m({ ...(issuer !== undefined ? { issuer } : {}), ...(subject !== undefined ? { subject } : {}) }))) {
    return { verified: false, detail: `signed keylessly by ${subject ?? 'no subject'} (issuer ${issuer ?? 'none'}), not a trusted identity` };
  }
  return { verified: true, detail: `signed keylessly by ${subject} (issuer ${issuer})` };
}

/** At most this much transparency material per bundle: real ones carry one entry, or one timestamp. */
const MAX_TLOG_ENTRIES = 4;
const MAX_TIMESTAMPS = 4;
const MAX_CHECKPOINT_CHARS = 8 * 1024;
/** The library's own pattern for a checkpoint signature: an em dash, the signer's name, hint and signature. */
const CHECKPOINT_SIGNATURE = /\u2014 (\S+) (\S+)\n/g;
const HOST_NAME = /^[A-Za-z0-9.:/-]+$/;

/**
 * Why a bundle is refused before the library sees it, if it is. The library's work grows with the
 * bundle's entries (timestamps are compared pairwise, the chain checked at each), and it matches
 * each checkpoint signer's name as a JavaScript regular expression against the log's URL: from a
 * hostile registry, `(a|a)*b` would backtrack for seconds on the event loop. So: a few entries and
 * timestamps, short checkpoints, and signer names of host-name characters only, found with the
 * library's own pattern (so no name it would run slips past).
 */
function hostileMaterial(bundle: Bundle): string | undefined {
  const { tlogEntries, timestampVerificationData } = bundle.verificationMaterial;
  if (tlogEntries.length > MAX_TLOG_ENTRIES) return `a Sigstore bundle with ${tlogEntries.length} transparency log entries (at most ${MAX_TLOG_ENTRIES})`;
  const timestamps = timestampVerificationData?.rfc3161Timestamps.length ?? 0;
  if (timestamps > MAX_TIMESTAMPS) return `a Sigstore bundle with ${timestamps} timestamps (at most ${MAX_TIMESTAMPS})`;
  for (const entry of tlogEntries) {
    const envelope = entry.inclusionProof?.checkpoint?.envelope ?? '';
    if (envelope.length > MAX_CHECKPOINT_CHARS) return 'a transparency log checkpoint too long to be one';
    for (const match of envelope.matchAll(CHECKPOINT_SIGNATURE)) {
      if (!HOST_NAME.test(match[1] ?? '')) return 'a transparency log checkpoint signed under a name that is not a host name';
    }
  }
  return undefined;
}

/** What cosign signs an image as: an in-toto statement of this predicate (other predicates are attestations: SBOMs, provenance). */
const STATEMENT_TYPES = new Set(['https://in-toto.io/Statement/v1', 'https://in-toto.io/Statement/v0.1']);
const COSIGN_SIGN_PREDICATE = 'https://sigstore.dev/cosign/sign/v1';

/** The digests a cosign signing statement's subjects name (`sha256:<hex>`); none for any other statement. */
function statementDigests(payload: Buffer): string[] {
  try {
    const statement = JSON.parse(payload.toString('utf8')) as { _type?: unknown; predicateType?: unknown; subject?: { digest?: Record<string, unknown> }[] };
    if (!STATEMENT_TYPES.has(String(statement._type)) || statement.predicateType !== COSIGN_SIGN_PREDICATE) return [];
    return (statement.subject ?? []).flatMap((s) => (typeof s.digest?.['sha256'] === 'string' ? [`sha256:${s.digest['sha256']}`] : []));
  } catch {
    return [];
  }
}

/** Verifies a cosign Sigstore bundle (JSON text) for `digest`. */
export function verifyBundle(text: string, digest: string, keys: readonly TrustedKey[], keyless: KeylessPolicy | undefined): SignatureCheck {
  let bundle: Bundle;
  try {
    bundle = bundleFromJSON(JSON.parse(text));
  } catch (error) {
    return { verified: false, detail: `a Sigstore bundle that is not valid: ${errorText(error)}` };
  }
  if (bundle.content.$case !== 'dsseEnvelope') return { verified: false, detail: 'a Sigstore bundle without a DSSE envelope (not what cosign attaches to an image)' };
  const envelope = bundle.content.dsseEnvelope;
  if (envelope.payloadType !== IN_TOTO_PAYLOAD_TYPE || !statementDigests(envelope.payload).includes(digest)) {
    // Checked before the signature: what does not name this image does not count, whoever signed it.
    return { verified: false, detail: 'a Sigstore bundle that is not a cosign signature of this digest' };
  }
  try {
    return verifyParsedBundle(bundle, keys, keyless);
  } catch (error) {
    return { verified: false, detail: `a Sigstore bundle that cannot be checked: ${errorText(error)}` };
  }
}

/** cosign's annotations on a keyless `.sig` layer. */
export const CERTIFICATE_ANNOTATION = 'dev.sigstore.cosign/certificate';
export const CHAIN_ANNOTATION = 'dev.sigstore.cosign/chain';
export const REKOR_BUNDLE_ANNOTATION = 'dev.sigstore.cosign/bundle';

function pemBlocks(text: string): Buffer[] {
  const blocks: Buffer[] = [];
  for (const part of text.split('-----BEGIN CERTIFICATE-----').slice(1)) {
    const end = part.indexOf('-----END CERTIFICATE-----');
    if (end >= 0) blocks.push(Buffer.from(part.slice(0, end).replace(/\s+/g, ''), 'base64'));
  }
  return blocks;
}

/**
 * The bundle a keyless `.sig` layer amounts to: its certificate and chain, its Rekor entry (the
 * `dev.sigstore.cosign/bundle` annotation: the signed entry timestamp and the entry), and a message
 * signature over the payload. Throws when the annotations are not what cosign writes.
 */
export function legacyBundle(annotations: Record<string, string>, signature: Buffer, payload: Buffer): Bundle {
  const certificates = [...pemBlocks(annotations[CERTIFICATE_ANNOTATION] ?? ''), ...pemBlocks(annotations[CHAIN_ANNOTATION] ?? '')];
  if (certificates.length === 0) throw new Error('no certificate in the signature annotations');
  const tlogEntries: unknown[] = [];
  const rekor = annotations[REKOR_BUNDLE_ANNOTATION];
  if (rekor !== undefined) {
    const parsed = JSON.parse(rekor) as { SignedEntryTimestamp?: unknown; Payload?: { body?: unknown; integratedTime?: unknown; logIndex?: unknown; logID?: unknown } };
    const body = parsed.Payload?.body;
    if (typeof body !== 'string' || typeof parsed.SignedEntryTimestamp !== 'string' || typeof parsed.Payload?.logID !== 'string') throw new Error('a Rekor entry annotation that is not what cosign writes');
    const entry = JSON.parse(Buffer.from(body, 'base64').toString('utf8')) as { kind?: unknown; apiVersion?: unknown };
    tlogEntries.push({
      logIndex: String(parsed.Payload.logIndex),
      logId: { keyId: Buffer.from(parsed.Payload.logID, 'hex').toString('base64') },
      kindVersion: { kind: String(entry.kind), version: String(entry.apiVersion) },
      integratedTime: String(parsed.Payload.integratedTime),
      inclusionPromise: { signedEntryTimestamp: parsed.SignedEntryTimestamp },
      canonicalizedBody: body,
    });
  }
  return bundleFromJSON({
    mediaType: LEGACY_BUNDLE_MEDIA_TYPE,
    verificationMaterial: {
      x509CertificateChain: { certificates: certificates.map((der) => ({ rawBytes: der.toString('base64') })) },
      tlogEntries,
      timestampVerificationData: { rfc3161Timestamps: [] },
    },
    messageSignature: {
      messageDigest: { algorithm: 'SHA2_256', digest: createHash('sha256').update(payload).digest('base64') },
      signature: signature.toString('base64'),
    },
  });
}
