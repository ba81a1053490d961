/**
 * The verifier's promises about latency and safety, against a scripted registry on loopback whose
 * answers can be held back: concurrent registry conversations are bounded; the same reference
 * asked twice at once is resolved once; answers are cached for their TTL and asked again after
 * it; registry failures are not cached; a deadline gives a status that says why, per the failure
 * policy. (Verdicts on real cosign signatures: test/e2e/images.e2e.ts.)
 */
import { createHash, generateKeyPairSync } from 'node:crypto';
import t from 'tap';
import { readPublicKey } from '../../src/images/cosign.js';
import { RegistryClient } from '../../src/images/registry-client.js';
import { statusesOfAll } from '../../src/images/object-images.js';
import { ImageVerifier, type VerifyPolicy } from '../../src/images/verifier.js';
import { scriptedRegistry, type Scripted } from './scripted-registry.js';

const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const key = readPublicKey('test.pub', publicKey.export({ type: 'spki', format: 'pem' }).toString());

function verifierFor(registry: Scripted, options: { maxConcurrent?: number; now?: () => number; failurePolicy?: VerifyPolicy['failurePolicy'] } = {}): ImageVerifier {
  const client = new RegistryClient({ registries: () => ({ insecure: true }), sleep: async () => {}, attempts: 1 });
  return new ImageVerifier({
    client,
    policies: [{ name: 'team', images: [`${registry.host}/*`], keys: [key], failurePolicy: options.failurePolicy ?? 'Fail' }],
    tagTtlMs: 60_000,
    digestTtlMs: 600_000,
    ...(options.maxConcurrent ? { maxConcurrent: options.maxConcurrent } : {}),
    ...(options.now ? { now: options.now } : {}),
  });
}

const deadline = (ms = 5_000): AbortSignal => AbortSignal.timeout(ms);
const tagRequests = (r: Scripted): string[] => r.requests.filter((u) => u.includes('/manifests/') && !u.includes('.sig'));

t.test('at most maxConcurrent registry conversations at once; the rest wait their turn', async (t) => {
  const registry = await scriptedRegistry(t);
  let release!: () => void;
  registry.hold = new Promise<void>((resolve) => (release = resolve));
  const verifier = verifierFor(registry, { maxConcurrent: 2 });
  const pending = verifier.statuses(Array.from({ length: 6 }, (_, i) => `${registry.host}/app-${i}:1`), deadline());
  await new Promise((resolve) => setTimeout(resolve, 200));
  t.equal(registry.inFlight, 2, 'two held, four waiting');
  release();
  const statuses = await pending;
  t.equal(Object.keys(statuses).length, 6);
  t.ok(Object.values(statuses).every((s) => !s.verified && s.detail.startsWith('no cosign signature found')));
  t.equal(registry.maxInFlight, 2);
});

t.test('the same image asked twice at once is resolved once; then it comes from the cache until its TTL', async (t) => {
  const registry = await scriptedRegistry(t);
  let now = 1_000_000;
  const verifier = verifierFor(registry, { now: () => now });
  const image = `${registry.host}/web:2`;
  const [a, b] = await Promise.all([verifier.status(image, deadline()), verifier.status(image, deadline())]);
  t.same(a, b);
  t.equal(tagRequests(registry).length, 1, 'one tag lookup for both');
  await verifier.status(image, deadline());
  t.equal(tagRequests(registry).length, 1, 'cached');
  now += 61_000;
  await verifier.status(image, deadline());
  t.equal(tagRequests(registry).length, 2, 'the tag is looked up again after its TTL (tags move)');
  t.equal(registry.requests.filter((u) => u.endsWith('.sig')).length, 1, 'the digest’s verdict is still cached');
});

t.test('a deadline: a status that says why, per the failure policy; the answer still fills the cache', async (t) => {
  const registry = await scriptedRegistry(t);
  let release!: () => void;
  registry.hold = new Promise<void>((resolve) => (release = resolve));
  const strict = verifierFor(registry);
  const image = `${registry.host}/slow:1`;
  t.match(await strict.status(image, deadline(100)), { verified: false, detail: `${registry.host}/slow:1 could not be verified: the registry did not answer before the deadline` });
  const lenient = verifierFor(registry, { failurePolicy: 'Ignore' });
  t.match(await lenient.status(image, deadline(100)), { verified: false, ignored: true, detail: /let through by the failurePolicy Ignore of team: the registry did not answer before the deadline/ });
  release();
  registry.hold = undefined;
  await new Promise((resolve) => setTimeout(resolve, 100));
  const tagsBefore = tagRequests(registry).length;
  t.match(await strict.status(image, deadline()), { verified: false, detail: 'no cosign signature found' });
  t.equal(tagRequests(registry).length, tagsBefore, 'the late tag answer was cached: no new tag lookup');
});

t.test('registry failures are not cached: the next request asks again', async (t) => {
  const registry = await scriptedRegistry(t);
  registry.failing = true;
  const verifier = verifierFor(registry);
  const image = `${registry.host}/flaky:1`;
  t.match(await verifier.status(image, deadline()), { verified: false, detail: /could not be read: .* answered 500/ });
  registry.failing = false;
  t.match(await verifier.status(image, deadline()), { detail: 'no cosign signature found', digest: /^sha256:/ });
});

t.test('the digest in a status is the sha256 of the manifest bytes', async (t) => {
  const registry = await scriptedRegistry(t);
  const status = await verifierFor(registry).status(`${registry.host}/web:3`, deadline());
  const body = JSON.stringify({ schemaVersion: 2, layers: [], annotations: { for: '/v2/web/manifests/3' } });
  t.equal(status.digest, `sha256:${createHash('sha256').update(body).digest('hex')}`);
});

t.test('knownStatuses: answered without waiting only when the caches (or the configuration) can say', async (t) => {
  const registry = await scriptedRegistry(t);
  const verifier = verifierFor(registry);
  const keyed = `${registry.host}/web:4`;
  t.equal(verifier.knownStatuses([keyed]), undefined, 'never asked: the registry must be');
  t.match(verifier.knownStatuses(['registry.example.com/other:1', 'Not A Reference']), {
    'registry.example.com/other:1': { verified: false, detail: 'no trusted key is configured for registry.example.com/other' },
    'Not A Reference': { verified: false, detail: /lower-case/ },
  }, 'no key for it, or not a reference: known from the configuration alone');
  const asked = await verifier.status(keyed, deadline());
  const before = registry.requests.length;
  t.same(verifier.knownStatuses([keyed]), { [keyed]: asked }, 'once asked, the same status from the caches');
  t.equal(registry.requests.length, before, 'without a request');
  t.equal(verifier.knownStatuses([keyed, `${registry.host}/new:1`]), undefined, 'all or nothing');
});

t.test('a private key is refused as a trusted key, whatever Node could derive from it', async (t) => {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  t.throws(() => readPublicKey('cosign.key', privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()), /cosign\.key: a private key; give the public key \(cosign\.pub\)/);
  t.throws(() => readPublicKey('sec1.key', privateKey.export({ type: 'sec1', format: 'pem' }).toString()), /a private key/);
});

t.test("many images for an audit: batches within the deadline, stopped at once by the audit's signal", async (t) => {
  const registry = await scriptedRegistry(t);
  let release!: () => void;
  registry.hold = new Promise<void>((resolve) => (release = resolve));
  t.teardown(() => release());
  const stop = new AbortController();
  const started = Date.now();
  setTimeout(() => stop.abort(new Error('lease lost')), 100);
  const images = Array.from({ length: 40 }, (_, i) => `${registry.host}/app-${i}:1`);
  await t.rejects(statusesOfAll(verifierFor(registry), images, 5_000, stop.signal), /lease lost/);
  t.ok(Date.now() - started < 2_000, 'not five batches of five seconds');
});
