/**
 * `npm run bench -- --only images`: image verification against a real registry on loopback
 * (crane registry serve, images signed by the real cosign CLI: test/e2e/registry/harness.ts).
 *
 * - Cold verification: a verifier with empty caches resolves a tag and checks its signature (tag
 *   manifest, signature manifest, payload blob, one ECDSA verification), single image and
 *   multi-arch index.
 * - Cold, the other formats: a Sigstore bundle referrer signed with the key (cosign
 *   --new-bundle-format), keyless `.sig` and keyless bundle (a private Sigstore instance).
 * - One signature check in process: Node's crypto.verify (the `.sig` key path) against
 *   @sigstore/verify on a key-signed bundle and on a keyless bundle.
 * - Cached path: what the webhook pays for a cached image (knownStatuses on a warm verifier: a
 *   tag's digest and the digest's verdict cached).
 * - The webhook with a warm cache: POST /validate of a Pod running the signed image, through the
 *   real Fastify app in process (inject), with image verification configured, against the same
 *   app without it; rounds alternate, medians. The ratio is the cost image verification adds to an
 *   admission request once its image is cached.
 */
import { readFileSync } from 'node:fs';
import { pino } from 'pino';
import type { AdmissionReview } from '../../src/admission/review.js';
import { generateKeyPairSync, sign, verify } from 'node:crypto';
import { readPublicKey, type TrustedKey } from '../../src/images/cosign.js';
import { compileIdentities, readTrustedRoot, verifyBundle, type KeylessPolicy } from '../../src/images/sigstore.js';
import { sigstoreInstance } from '../images/sigstore-instance.js';
import { RegistryClient } from '../../src/images/registry-client.js';
import { ImageVerifier } from '../../src/images/verifier.js';
import { buildServer } from '../../src/server/app.js';
import { createMetrics } from '../../src/server/metrics.js';
import { PolicyHolder } from '../../src/server/policy-holder.js';
import { builtinRules, config, NOW, review } from '../admission/support.js';
import { startRegistry } from '../e2e/registry/harness.js';

type Quantiles = { p50: number; p95: number };

export interface ImagesBench {
  coldMs: { single: Quantiles; multiArch: Quantiles; bundle: Quantiles; keyless: Quantiles; keylessBundle: Quantiles };
  /** One signature check in process, µs: Node's crypto.verify on a `.sig` payload, @sigstore/verify on a key-signed and on a keyless bundle. */
  checkUs: { nodeCrypto: number; sigstoreKey: number; sigstoreKeyless: number };
  cachedUs: number;
  webhook: { withVerificationUs: number; withoutUs: number; ratio: number };
  rounds: number;
}

function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
}

export async function benchImages(rounds = 30): Promise<ImagesBench> {
  const registry = await startRegistry();
  try {
    const key = readPublicKey('trusted.pub', readFileSync(registry.trustedKey, 'utf8'));
    const keyless: KeylessPolicy = {
      trustedRootFile: 'trusted_root.json',
      trust: readTrustedRoot(readFileSync(registry.trustedRoot, 'utf8')),
      identities: compileIdentities([registry.keylessIdentity]),
      transparencyLog: true,
      ctLog: true,
    };
    const verifier = (): ImageVerifier => new ImageVerifier({
      client: new RegistryClient({ registries: (h) => (h === registry.host ? { insecure: true } : undefined) }),
      policies: [{ name: 'bench', images: [`${registry.host}/*`], keys: [key], keyless, failurePolicy: 'Fail' }],
    });
    const cold = async (ref: string): Promise<{ p50: number; p95: number }> => {
      const times: number[] = [];
      for (let i = 0; i < rounds; i++) {
        const fresh = verifier();
        const started = performance.now();
        const status = await fresh.status(ref, AbortSignal.timeout(10_000));
        times.push(performance.now() - started);
        if (!status.verified) throw new Error(`${ref} did not verify: ${status.detail}`);
      }
      return { p50: quantile(times, 0.5), p95: quantile(times, 0.95) };
    };
    const single = await cold(registry.images.signed.ref);
    const multiArch = await cold(registry.images.multi.ref);
    const bundle = await cold(registry.images.bundled.ref);
    const keylessCold = await cold(registry.images.keyless.ref);
    const keylessBundle = await cold(registry.images.keylessBundle.ref);
    const checkUs = signatureChecks(key, await keylessBundleText(registry.keylessIdentity));

    const warm = verifier();
    await warm.status(registry.images.signed.ref, AbortSignal.timeout(10_000));
    const calls = 20_000;
    const started = performance.now();
    // What the webhook pays for a cached image: knownStatuses, no timer, no await.
    for (let i = 0; i < calls; i++) if (!warm.knownStatuses([registry.images.signed.ref])) throw new Error('not cached');
    const cachedUs = ((performance.now() - started) * 1000) / calls;

    // The webhook, in process: the same Pod, with and without image verification configured.
    const app = (withImages: boolean) => {
      const holder = new PolicyHolder();
      holder.replace(builtinRules, config(), NOW, undefined, withImages ? { verifier: warm, timeoutMs: 8_000 } : undefined);
      return buildServer({ policy: holder, metrics: createMetrics({ processMetrics: false }), logger: pino({ level: 'silent' }), clock: () => NOW });
    };
    const body: AdmissionReview = review('pod-compliant-create.json');
    for (const container of (body.request.object as { spec: { containers: { image: string }[] } }).spec.containers) container.image = registry.images.signed.ref;
    const payload = JSON.stringify(body);
    const servers = { with: app(true), without: app(false) };
    const perRequest = { with: [] as number[], without: [] as number[] };
    const batch = 500;
    for (let round = 0; round < rounds + 3; round++) {
      for (const name of round % 2 === 0 ? (['with', 'without'] as const) : (['without', 'with'] as const)) {
        const t0 = performance.now();
        for (let i = 0; i < batch; i++) await servers[name].inject({ method: 'POST', url: '/validate?timeout=10s', headers: { 'content-type': 'application/json' }, payload });
        // The first rounds warm the JIT up; they are not counted.
        if (round >= 3) perRequest[name].push(((performance.now() - t0) * 1000) / batch);
      }
    }
    await servers.with.close();
    await servers.without.close();
    const withVerificationUs = quantile(perRequest.with, 0.5);
    const withoutUs = quantile(perRequest.without, 0.5);
    return { coldMs: { single, multiArch, bundle, keyless: keylessCold, keylessBundle }, checkUs, cachedUs, webhook: { withVerificationUs, withoutUs, ratio: withoutUs / withVerificationUs }, rounds };
  } finally {
    await registry.stop();
  }
}

/** A keyless bundle of a fixed digest from a fresh private Sigstore instance, and the policy trusting it. */
async function keylessBundleText(identity: { issuer: string; subject: string }): Promise<{ text: string; policy: KeylessPolicy }> {
  const sigstore = await sigstoreInstance();
  const text = await sigstore.bundle(BENCH_DIGEST, identity);
  const policy = { trustedRootFile: 'trusted_root.json', trust: readTrustedRoot(sigstore.trustedRoot), identities: compileIdentities([identity]), transparencyLog: true, ctLog: true };
  return { text, policy };
}

const BENCH_DIGEST = `sha256:${'c3'.repeat(32)}`;

/**
 * One signature check, in process, three ways: what the `.sig` path does for a key (crypto.verify
 * over the payload), what @sigstore/verify does for the same kind of signature in a bundle, and a
 * keyless bundle (chain, SCT, Rekor SET and checkpoint, signature, identity).
 */
function signatureChecks(trusted: TrustedKey, keylessBundle: { text: string; policy: KeylessPolicy }): ImagesBench['checkUs'] {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const key = { ...trusted, key: publicKey };
  const payload = Buffer.from(JSON.stringify({ critical: { image: { 'docker-manifest-digest': BENCH_DIGEST }, type: 'cosign container image signature' } }));
  const signature = sign('sha256', payload, privateKey);
  const type = 'application/vnd.in-toto+json';
  const statement = Buffer.from(JSON.stringify({ _type: 'https://in-toto.io/Statement/v1', subject: [{ digest: { sha256: BENCH_DIGEST.slice(7) } }], predicateType: 'https://sigstore.dev/cosign/sign/v1' }));
  const pae = Buffer.concat([Buffer.from(`DSSEv1 ${type.length} ${type} ${statement.length} `), statement]);
  const keyBundle = JSON.stringify({
    mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
    verificationMaterial: { publicKey: { hint: '' }, tlogEntries: [], timestampVerificationData: { rfc3161Timestamps: [] } },
    dsseEnvelope: { payload: statement.toString('base64'), payloadType: type, signatures: [{ sig: sign('sha256', pae, privateKey).toString('base64'), keyid: '' }] },
  });
  const time = (calls: number, check: () => boolean): number => {
    for (let i = 0; i < 50; i++) if (!check()) throw new Error('a benchmark signature did not verify');
    const started = performance.now();
    for (let i = 0; i < calls; i++) check();
    return ((performance.now() - started) * 1000) / calls;
  };
  return {
    nodeCrypto: time(2_000, () => verify('sha256', payload, publicKey, signature)),
    sigstoreKey: time(2_000, () => verifyBundle(keyBundle, BENCH_DIGEST, [key], undefined).verified),
    sigstoreKeyless: time(500, () => verifyBundle(keylessBundle.text, BENCH_DIGEST, [], keylessBundle.policy).verified),
  };
}
