/**
 * `npm run bench -- --only images`: image verification against a real registry on loopback
 * (crane registry serve, images signed by the real cosign CLI: test/e2e/registry/harness.ts).
 *
 * - Cold verification: a verifier with empty caches resolves a tag and checks its signature (tag
 *   manifest, signature manifest, payload blob, one ECDSA verification), single image and
 *   multi-arch index.
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
import { readPublicKey } from '../../src/images/cosign.js';
import { RegistryClient } from '../../src/images/registry-client.js';
import { ImageVerifier } from '../../src/images/verifier.js';
import { buildServer } from '../../src/server/app.js';
import { createMetrics } from '../../src/server/metrics.js';
import { PolicyHolder } from '../../src/server/policy-holder.js';
import { builtinRules, config, NOW, review } from '../admission/support.js';
import { startRegistry } from '../e2e/registry/harness.js';

export interface ImagesBench {
  coldMs: { single: { p50: number; p95: number }; multiArch: { p50: number; p95: number } };
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
    const verifier = (): ImageVerifier => new ImageVerifier({
      client: new RegistryClient({ registries: (h) => (h === registry.host ? { insecure: true } : undefined) }),
      policies: [{ name: 'bench', images: [`${registry.host}/*`], keys: [key], failurePolicy: 'Fail' }],
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
    return { coldMs: { single, multiArch }, cachedUs, webhook: { withVerificationUs, withoutUs, ratio: withoutUs / withVerificationUs }, rounds };
  } finally {
    await registry.stop();
  }
}
