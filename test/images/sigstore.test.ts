/**
 * Keyless verification (src/images/sigstore.ts) against a private Sigstore instance
 * (sigstore-instance.ts): bundles and keyless `.sig` layers, trusted identities, trust roots,
 * trusted time, and what was signed.
 */
import t from 'tap';
import { generateKeyPairSync } from 'node:crypto';
import { compileIdentities, legacyBundle, readTrustedRoot, verifyBundle, verifyParsedBundle, type KeylessIdentity, type KeylessPolicy } from '../../src/images/sigstore.js';
import { ISSUER, sigstoreInstance } from './sigstore-instance.js';

const DIGEST = `sha256:${'a1'.repeat(32)}`;
const OTHER = `sha256:${'b2'.repeat(32)}`;
const WORKFLOW = 'https://github.com/example/app/.github/workflows/release.yaml@refs/heads/main';

const sigstore = await sigstoreInstance();
const elsewhere = await sigstoreInstance();

function policy(identities: KeylessIdentity[] = [{ issuer: ISSUER, subject: WORKFLOW }], root = sigstore.trustedRoot, options: Partial<KeylessPolicy> = {}): KeylessPolicy {
  return { trustedRootFile: 'trusted_root.json', trust: readTrustedRoot(root), identities: compileIdentities(identities), transparencyLog: true, ctLog: true, ...options };
}

t.test('a keyless bundle verifies offline against the trust root, for a trusted identity', async (t) => {
  const bundle = await sigstore.bundle(DIGEST, { subject: WORKFLOW });
  t.same(verifyBundle(bundle, DIGEST, [], policy()), { verified: true, detail: `signed keylessly by ${WORKFLOW} (issuer ${ISSUER})` });
  t.match(verifyBundle(bundle, DIGEST, [], policy([{ issuer: ISSUER, subjectRegExp: 'https://github\\.com/example/.*' }])), { verified: true }, 'a subject by RE2 pattern');
  t.match(verifyBundle(bundle, DIGEST, [], policy([{ issuer: ISSUER, subjectRegExp: 'example' }])), { verified: false }, 'a pattern matches the whole subject, not a part');
  t.match(verifyBundle(bundle, DIGEST, [], policy([{ issuer: ISSUER, subject: 'https://github.com/example/app/.github/workflows/other.yaml@refs/heads/main' }])), {
    verified: false,
    detail: `signed keylessly by ${WORKFLOW} (issuer ${ISSUER}), not a trusted identity`,
  });
  t.match(verifyBundle(bundle, DIGEST, [], policy([{ issuer: 'https://accounts.google.com', subject: WORKFLOW }])), { verified: false, detail: /not a trusted identity/ }, 'the issuer counts too');
});

t.test('what is refused: another trust root, another digest, no trusted time, a changed signature, no keyless policy', async (t) => {
  const bundle = await sigstore.bundle(DIGEST, { subject: WORKFLOW });
  t.match(verifyBundle(bundle, DIGEST, [], policy(undefined, elsewhere.trustedRoot)), { verified: false, detail: /^keyless signature not verified against trusted_root\.json: / }, 'a CA the trust root does not hold');
  t.match(verifyBundle(bundle, OTHER, [], policy()), { verified: false, detail: 'a Sigstore bundle that is not a cosign signature of this digest' });
  const sbom = await sigstore.bundle(DIGEST, { subject: WORKFLOW, predicateType: 'https://spdx.dev/Document' });
  t.match(verifyBundle(sbom, DIGEST, [], policy()), { verified: false, detail: 'a Sigstore bundle that is not a cosign signature of this digest' }, 'an attestation (an SBOM) of the digest, by a trusted identity, is not a signature');
  const unlogged = await sigstore.bundle(DIGEST, { subject: WORKFLOW, withoutRekor: true });
  t.match(verifyBundle(unlogged, DIGEST, [], policy()), { verified: false, detail: /tlog|timestamp/i }, 'no Rekor entry: refused');
  t.match(verifyBundle(unlogged, DIGEST, [], policy(undefined, undefined, { transparencyLog: false })), { verified: false, detail: /timestamp/ }, 'and without one required, still no trusted time to check the certificate at');
  const parsed = JSON.parse(bundle) as { dsseEnvelope: { signatures: { sig: string }[] } };
  const sig = Buffer.from(parsed.dsseEnvelope.signatures[0]!.sig, 'base64');
  sig[sig.length - 1] = (sig[sig.length - 1] ?? 0) ^ 1;
  parsed.dsseEnvelope.signatures[0]!.sig = sig.toString('base64');
  t.match(verifyBundle(JSON.stringify(parsed), DIGEST, [], policy()), { verified: false });
  const hostile = JSON.parse(bundle) as { verificationMaterial: { tlogEntries: { inclusionProof: { checkpoint: { envelope: string } } }[] } };
  const checkpoint = hostile.verificationMaterial.tlogEntries[0]!.inclusionProof.checkpoint;
  const original = checkpoint.envelope;
  // At a line's start, and hidden mid-line where the library's pattern still finds it.
  for (const name of ['\u2014 (a|a|a)*(b|b)*$ ', 'x\u2014 (a|a|a)*(b|b)*$ ']) {
    checkpoint.envelope = original.replace(/\u2014 \S+ /, name);
    const started = process.hrtime.bigint();
    t.match(verifyBundle(JSON.stringify(hostile), DIGEST, [], policy()), { verified: false, detail: 'a transparency log checkpoint signed under a name that is not a host name' }, `a checkpoint name the library would run as a regex: ${JSON.stringify(name)}`);
    t.ok(process.hrtime.bigint() - started < 1_000_000_000n, 'refused before any regex runs');
  }
  checkpoint.envelope = original;
  const entries = hostile.verificationMaterial.tlogEntries;
  hostile.verificationMaterial.tlogEntries = Array.from({ length: 5 }, () => entries[0]!);
  t.match(verifyBundle(JSON.stringify(hostile), DIGEST, [], policy()), { verified: false, detail: 'a Sigstore bundle with 5 transparency log entries (at most 4)' }, 'work bounded before the library');
  t.match(verifyBundle(bundle, DIGEST, [], undefined), { verified: false, detail: 'signed keylessly (a certificate), and no keyless identity is trusted for this image' });
  t.match(verifyBundle('{"mediaType": "nonsense"}', DIGEST, [], policy()), { verified: false, detail: /^a Sigstore bundle that is not valid: / });
  t.match(verifyBundle('not json', DIGEST, [], policy()), { verified: false, detail: /^a Sigstore bundle that is not valid: / });
});

t.test('a private Sigstore without a transparency log: a timestamp authority gives the trusted time', async (t) => {
  const stamped = await sigstore.bundle(DIGEST, { subject: WORKFLOW, withoutRekor: true, timestamped: true });
  t.match(verifyBundle(stamped, DIGEST, [], policy()), { verified: false, detail: /tlog/i }, 'a Rekor entry is required by default');
  t.match(verifyBundle(stamped, DIGEST, [], policy(undefined, undefined, { transparencyLog: false })), { verified: true, detail: `signed keylessly by ${WORKFLOW} (issuer ${ISSUER})` }, 'transparencyLog: false, the timestamp is the trusted time');
  t.match(verifyBundle(stamped, DIGEST, [], policy(undefined, elsewhere.trustedRoot, { transparencyLog: false })), { verified: false }, 'a timestamp authority the trust root does not hold');
});

t.test("a keyless .sig layer (cosign's default format) is rebuilt into its bundle and verified", async (t) => {
  const layer = await sigstore.sigLayer(DIGEST, 'registry.example.com/app', { subject: WORKFLOW });
  const signature = Buffer.from(layer.annotations['dev.cosignproject.cosign/signature']!, 'base64');
  const bundle = legacyBundle(layer.annotations, signature, layer.payload);
  t.match(verifyParsedBundle(bundle, [], policy(), layer.payload), { verified: true, detail: `signed keylessly by ${WORKFLOW} (issuer ${ISSUER})` });
  t.match(verifyParsedBundle(bundle, [], policy(), Buffer.from('another payload')), { verified: false }, 'the signature covers the payload');
  const unlogged = await sigstore.sigLayer(DIGEST, 'registry.example.com/app', { subject: WORKFLOW, withoutRekor: true });
  const bare = legacyBundle(unlogged.annotations, Buffer.from(unlogged.annotations['dev.cosignproject.cosign/signature']!, 'base64'), unlogged.payload);
  t.match(verifyParsedBundle(bare, [], policy(), unlogged.payload), { verified: false }, 'no Rekor entry: no trusted time');
  t.throws(() => legacyBundle({}, signature, layer.payload), /no certificate/);
});

t.test('key-signed bundles verify with a trusted key; identities are never regexes of JavaScript', async (t) => {
  const key = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const { sign } = await import('node:crypto');
  const statement = Buffer.from(JSON.stringify({ _type: 'https://in-toto.io/Statement/v1', subject: [{ digest: { sha256: DIGEST.slice(7) } }], predicateType: 'https://sigstore.dev/cosign/sign/v1' }));
  const type = 'application/vnd.in-toto+json';
  const pae = Buffer.concat([Buffer.from(`DSSEv1 ${type.length} ${type} ${statement.length} `), statement]);
  const bundle = JSON.stringify({
    mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
    verificationMaterial: { publicKey: { hint: 'any' }, tlogEntries: [], timestampVerificationData: { rfc3161Timestamps: [] } },
    dsseEnvelope: { payload: statement.toString('base64'), payloadType: type, signatures: [{ sig: sign('sha256', pae, key.privateKey).toString('base64'), keyid: '' }] },
  });
  const trusted = { name: 'cosign.pub', key: key.publicKey };
  const other = { name: 'other.pub', key: generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey };
  t.same(verifyBundle(bundle, DIGEST, [other, trusted], undefined), { verified: true, detail: 'signed with the key cosign.pub' });
  // cosign uploads key-signed bundles to Rekor by default: the entry does not make the key more or less trusted.
  const logged = JSON.parse(bundle) as { verificationMaterial: { tlogEntries: unknown[] } };
  logged.verificationMaterial.tlogEntries = (JSON.parse(await sigstore.bundle(DIGEST, { subject: WORKFLOW })) as typeof logged).verificationMaterial.tlogEntries;
  t.same(verifyBundle(JSON.stringify(logged), DIGEST, [trusted], undefined), { verified: true, detail: 'signed with the key cosign.pub' }, 'with a Rekor entry too');
  t.same(verifyBundle(bundle, DIGEST, [other], undefined), { verified: false, detail: 'signed with a key none of the trusted keys verifies' });
  t.throws(() => compileIdentities([{ issuer: ISSUER, subjectRegExp: '(a+)+\\1' }]), 'a backreference: not RE2');
});

t.test("the public Sigstore instance's trusted root (as its TUF repository serves it) is accepted as a trust root file", async (t) => {
  const { readFileSync } = await import('node:fs');
  const trust = readTrustedRoot(readFileSync(new URL('../fixtures/images/sigstore-public-good-trusted_root.json', import.meta.url), 'utf8'));
  t.equal(trust.certificateAuthorities.length, 2, 'Fulcio, both generations');
  t.equal(trust.tlogs.length, 2, 'Rekor');
  t.equal(trust.ctlogs.length, 2, 'the CT logs');
  t.throws(() => readTrustedRoot('{"mediaType": "application/vnd.dev.sigstore.trustedroot+json;version=0.1"}'), /no certificate authority/);
});
