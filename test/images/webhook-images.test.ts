/**
 * Image verification in the webhook: /validate resolves a workload's images before the rules run
 * and denies an unsigned one with the verifier's reason; /mutate resolves only what it may patch
 * and pins verified tags to their digests; a registry slower than the API server's timeout gives,
 * in time, the failure policy's answer. The server is
 * the real Fastify app (inject); the registry is scripted on loopback (scripted-registry.ts).
 */
import { generateKeyPairSync } from 'node:crypto';
import { pino } from 'pino';
import t from 'tap';
import type { AdmissionReview } from '../../src/admission/review.js';
import { readPublicKey } from '../../src/images/cosign.js';
import { RegistryClient } from '../../src/images/registry-client.js';
import { ImageVerifier } from '../../src/images/verifier.js';
import { pinningOps } from '../../src/admission/pin-images.js';
import type { PalisadeConfig } from '../../src/config/types.js';
import { buildServer } from '../../src/server/app.js';
import { renderWebhookConfigurations } from '../../src/webhook/render.js';
import { createMetrics } from '../../src/server/metrics.js';
import { PolicyHolder } from '../../src/server/policy-holder.js';
import { builtinRules, config, NOW, review } from '../admission/support.js';
import { scriptedRegistry, type Scripted } from './scripted-registry.js';

const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const key = readPublicKey('release.pub', publicKey.export({ type: 'spki', format: 'pem' }).toString());

function serverFor(registry: Scripted, timeoutMs = 8_000) {
  const holder = new PolicyHolder();
  const cfg = config((c) => {
    c.policy.rules['require-signed-images'] = { mode: 'enforce' };
  });
  const verifier = new ImageVerifier({
    client: new RegistryClient({ registries: () => ({ insecure: true }), attempts: 1 }),
    policies: [{ name: 'release', images: [`${registry.host}/*`], keys: [key], failurePolicy: 'Fail' }],
  });
  holder.replace(builtinRules, cfg, NOW, undefined, { verifier, timeoutMs });
  return buildServer({ policy: holder, metrics: createMetrics({ processMetrics: false }), logger: pino({ level: 'silent' }), clock: () => NOW });
}

/** The compliant Pod fixture, running an image of the scripted registry. */
function podReview(image: string): AdmissionReview {
  const body = review('pod-compliant-create.json');
  const spec = (body.request.object as { spec: { containers: { image: string }[] } }).spec;
  for (const container of spec.containers) container.image = image;
  return body;
}

type Answer = { response: { allowed: boolean; status?: { message: string }; patch?: string } };

t.test('/validate: the image is resolved first, and an unsigned one is denied with the reason', async (t) => {
  const registry = await scriptedRegistry(t);
  const server = serverFor(registry);
  t.teardown(() => server.close());
  const image = `${registry.host}/app:1.0`;
  const res = await server.inject({ method: 'POST', url: '/validate?timeout=10s', payload: podReview(image) });
  const answer = res.json() as Answer;
  t.equal(answer.response.allowed, false);
  t.match(answer.response.status?.message, `require-signed-images`);
  t.match(answer.response.status?.message, `"${image}" (no cosign signature found: no .sig tag, no Sigstore bundle)`);
  t.ok(registry.requests.some((u) => u.endsWith('/manifests/1.0')), 'the tag was resolved');

  // Metrics: a miss, then a hit for the same image; a failing registry's images count as unavailable.
  await server.inject({ method: 'POST', url: '/validate?timeout=10s', payload: podReview(image) });
  registry.failing = true;
  await server.inject({ method: 'POST', url: '/validate?timeout=10s', payload: podReview(`${registry.host}/down:1.0`) });
  const metrics = (await server.inject({ method: 'GET', url: '/metrics' })).body;
  t.match(metrics, /palisade_image_lookups_total\{cache="miss"\} 2/);
  t.match(metrics, /palisade_image_lookups_total\{cache="hit"\} 1/);
  t.match(metrics, /palisade_image_statuses_total\{outcome="unverified"\} 1/);
  t.match(metrics, /palisade_image_statuses_total\{outcome="unavailable"\} 1/);
  t.match(metrics, /palisade_image_lookup_duration_seconds_count 2/);
});

t.test('/mutate asks the registry only for what it may patch (a new Pod), and pins only verified images', async (t) => {
  const registry = await scriptedRegistry(t);
  const server = serverFor(registry);
  t.teardown(() => server.close());
  const deployment = review('deployment-compliant-create.json');
  const spec = (deployment.request.object as { spec: { template: { spec: { containers: { image: string }[] } } } }).spec.template.spec;
  for (const container of spec.containers) container.image = `${registry.host}/web:2`;
  const untouched = await server.inject({ method: 'POST', url: '/mutate?timeout=10s', payload: deployment });
  t.equal((untouched.json() as Answer).response.allowed, true);
  t.same(registry.requests, [], 'a Deployment is not mutated: no registry call');

  const pod = await server.inject({ method: 'POST', url: '/mutate?timeout=10s', payload: podReview(`${registry.host}/app:1.0`) });
  const answer = pod.json() as Answer;
  t.equal(answer.response.allowed, true);
  t.equal(answer.response.patch, undefined, 'unsigned: nothing pinned');
  t.ok(registry.requests.length > 0, 'the new Pod’s image was resolved');
});

t.test('pinning: each verified tag becomes tag@digest; digests, unverified and unknown images stay', async (t) => {
  const digest = `sha256:${'a'.repeat(64)}`;
  const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: {
    initContainers: [{ name: 'init', image: 'registry.example.com/init:1' }],
    containers: [
      { name: 'app', image: 'registry.example.com/app:1' },
      { name: 'pinned', image: `registry.example.com/app:1@${digest}` },
      { name: 'unsigned', image: 'registry.example.com/other:1' },
      { name: 'unknown', image: 'registry.example.com/unknown:1' },
    ],
  } };
  const ops = pinningOps(pod, builtinRules, {
    'registry.example.com/init:1': { verified: true, digest, detail: 'signed' },
    'registry.example.com/app:1': { verified: true, digest, detail: 'signed' },
    [`registry.example.com/app:1@${digest}`]: { verified: true, digest, detail: 'signed' },
    'registry.example.com/other:1': { verified: false, digest, detail: 'no cosign signature found' },
  });
  t.same(ops, [
    { op: 'replace', path: '/spec/containers/0/image', value: `registry.example.com/app:1@${digest}` },
    { op: 'replace', path: '/spec/initContainers/0/image', value: `registry.example.com/init:1@${digest}` },
  ]);
});

t.test('the pin webhook is registered (new Pods, failing open) only when image verification is configured', async (t) => {
  const names = (cfg: PalisadeConfig): string[] => renderWebhookConfigurations(builtinRules, cfg, { client: { url: 'https://127.0.0.1:8443' } }).mutating?.webhooks.map((w) => w.name) ?? [];
  t.notOk(names(config()).includes('pin.mutate.palisade.dev'));
  const withImages = config((c) => {
    c.images = { verify: [{ name: 'release', images: ['*'], keys: ['release.pub'], failurePolicy: 'Fail' }], deny: [], denyFiles: [], registries: [], tagTtlSeconds: 300, digestTtlSeconds: 3600, timeoutSeconds: 8, lines: {} };
  });
  const pin = renderWebhookConfigurations(builtinRules, withImages, { client: { url: 'https://127.0.0.1:8443' } }).mutating?.webhooks.find((w) => w.name === 'pin.mutate.palisade.dev');
  t.match(pin, { failurePolicy: 'Ignore', reinvocationPolicy: 'IfNeeded', rules: [{ apiGroups: [''], operations: ['CREATE'], resources: ['pods'] }] });
});

t.test('a registry slower than the API server waits: answered in time, by the failure policy', async (t) => {
  const registry = await scriptedRegistry(t);
  let release!: () => void;
  registry.hold = new Promise<void>((resolve) => (release = resolve));
  t.teardown(() => release());
  const server = serverFor(registry);
  t.teardown(() => server.close());
  const started = performance.now();
  // The API server waits 2 s: verification gets at most 1 s of it, evaluation and the answer the rest.
  const res = await server.inject({ method: 'POST', url: '/validate?timeout=2s', payload: podReview(`${registry.host}/slow:1`) });
  const elapsed = performance.now() - started;
  const answer = res.json() as Answer;
  t.equal(answer.response.allowed, false, 'Fail: not verified');
  t.match(answer.response.status?.message, 'the registry did not answer before the deadline');
  t.ok(elapsed < 2_000, `answered within the API server's timeout (${Math.round(elapsed)} ms)`);
});
