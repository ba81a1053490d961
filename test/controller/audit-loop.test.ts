/**
 * The audit loop over a fake cluster with a history (fake-cluster.ts) and an in-memory report sink:
 * the first full audit writes what runAudit would; then only changed objects are evaluated and only
 * their owners' reports written; namespaces and contexts re-evaluate what they affect; 410 relists;
 * errors back off; rule changes re-audit; aborting stops everything. The same loop against a real
 * control plane is test/e2e/controller.e2e.ts.
 */
import t from 'tap';
import { join } from 'node:path';
import { pino } from 'pino';
import { runAudit } from '../../src/audit/audit.js';
import { AuditLoop, type AuditLoopOptions, type LoopPolicy } from '../../src/controller/audit-loop.js';
import { createControllerMetrics } from '../../src/controller/metrics.js';
import type { KubeObject } from '../../src/engine/types.js';
import { RegistryClient } from '../../src/images/registry-client.js';
import { ImageVerifier } from '../../src/images/verifier.js';
import { BUILTIN_RULES_DIR } from '../../src/paths.js';
import { buildReports } from '../../src/reports/openreports.js';
import { loadPolicy } from '../../src/server/load-policy.js';
import { FIXTURES } from '../audit/fake-cluster.js';
import { HistoryCluster, metadataOf } from './fake-cluster.js';
import { FakeSink } from './fake-sink.js';

const load = await loadPolicy({ ruleDirs: [BUILTIN_RULES_DIR, join(FIXTURES, 'rules')], configFile: join(FIXTURES, 'palisade.yaml') });
if (!('ruleSet' in load)) throw new Error(JSON.stringify(load.problems));
const policy: LoopPolicy = load;
const NOW = new Date('2026-11-22T12:00:00Z');

interface Harness {
  cluster: HistoryCluster;
  sink: FakeSink;
  loop: AuditLoop;
  metrics: ReturnType<typeof createControllerMetrics>;
  sleeps: number[];
  stop(): Promise<void>;
}

function start(options: Partial<AuditLoopOptions> = {}, current: () => LoopPolicy | undefined = () => policy): Harness {
  const cluster = new HistoryCluster();
  const sink = new FakeSink();
  const metrics = createControllerMetrics({ standards: [], processMetrics: false });
  const sleeps: number[] = [];
  const sleep = async (ms: number, signal: AbortSignal): Promise<void> => {
    signal.throwIfAborted();
    sleeps.push(ms);
    // A turn of the event loop, not a wait: what a timer of `ms` would let happen meanwhile.
    await new Promise((resolve) => setImmediate(resolve));
  };
  const loop = new AuditLoop({
    api: cluster,
    watchApi: cluster,
    policy: current,
    reports: sink,
    metrics,
    log: pino({ level: 'silent' }),
    now: () => NOW,
    sleep,
    maxBatchMs: 0,
    ...options,
    watchTiming: { sleep, random: () => 0.5, ...options.watchTiming },
  });
  const controller = new AbortController();
  const running = loop.run(controller.signal);
  return {
    cluster,
    sink,
    loop,
    metrics,
    sleeps,
    stop: async () => {
      controller.abort();
      await running;
    },
  };
}

/** Waits for the loop to have the watches open (the follow phase). */
async function following(h: Harness): Promise<void> {
  await h.sink.until(() => h.sink.calls.length > 0, 'the first full audit');
  const deadline = Date.now() + 10_000;
  while (h.cluster.watching('/api/v1/pods') === 0) {
    if (Date.now() > deadline) throw new Error('the Pod watch never opened');
    await new Promise((resolve) => setImmediate(resolve));
  }
}

const privilegedPod = (name: string, namespace = 'shop'): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace, labels: { team: 'shop' } },
  spec: { containers: [{ name: 'app', image: 'registry.example.com/x@sha256:' + 'a'.repeat(64), securityContext: { privileged: true } }] },
});

t.test('the first full audit writes what runAudit finds, then every kind is watched from its list', async (t) => {
  const h = start();
  t.teardown(h.stop);
  await following(h);
  t.same(h.sink.calls[0], { scope: 'all', reports: h.sink.stored.size });
  const expected = buildReports(await runAudit({ api: h.cluster, ruleSet: policy.ruleSet, config: policy.config, now: () => NOW }), { now: NOW });
  t.same([...h.sink.stored.keys()].sort(), expected.map((r) => `${r.metadata.namespace ?? ''}/${r.metadata.name}`).sort(), 'the same reports as a one-shot audit');
  t.ok(h.loop.ready, 'ready once written');
  const podWatch = h.cluster.watchRequests.find((w) => w.path === '/api/v1/pods');
  t.ok(podWatch?.resourceVersion, 'watched from the list resourceVersion');
  t.ok(h.cluster.watchRequests.some((w) => w.path === '/api/v1/namespaces'), 'Namespaces are watched');
  t.ok(h.cluster.watchRequests.some((w) => w.path === '/apis/networking.k8s.io/v1/networkpolicies'), 'context kinds are watched');
  t.match(await h.metrics.registry.getSingleMetricAsString('palisade_audit_objects'), /palisade_audit_objects \d+/);
});

t.test('a new object: only its owner is evaluated and written; fixing and deleting it follow', async (t) => {
  const h = start();
  t.teardown(h.stop);
  await following(h);
  const listsBefore = h.cluster.requests.length;
  const pod = h.cluster.create(privilegedPod('lone'));
  const uid = String(metadataOf(pod)['uid']);
  await h.sink.until(() => h.sink.rulesOf('shop', 'palisade-pod-lone').includes('disallow-privileged'), 'the report of the new Pod');
  const call = h.sink.calls.at(-1);
  t.same(call?.scope, 'owners');
  t.same(call?.uids, [uid], 'only that owner was synced');
  t.equal(h.cluster.requests.length, listsBefore, 'nothing was listed again: the event carried the object');

  h.cluster.update(uid, (o) => {
    const spec = o['spec'] as { containers: { securityContext: Record<string, unknown> }[] };
    spec.containers[0]!.securityContext = { privileged: false };
  });
  await h.sink.until(() => !h.sink.rulesOf('shop', 'palisade-pod-lone').includes('disallow-privileged'), 'the fixed finding to go');
  t.pass('the fix removed the finding');

  h.cluster.remove(uid);
  await h.sink.until(() => h.sink.report('shop', 'palisade-pod-lone') === undefined, 'the report of the deleted Pod to go');
  t.same(h.sink.calls.at(-1)?.uids, [uid]);

  // Three events (create, update, delete): each timed to its evaluation, and to its report written.
  // The latency is observed just after the write the sink has seen: give the flush its last turn.
  const count = async (name: string): Promise<number> => Number(new RegExp(`^${name}_count (\\d+)`, 'm').exec(await h.metrics.registry.metrics())?.[1]);
  for (let i = 0; i < 100 && (await count('palisade_audit_event_latency_seconds')) < 3; i++) await new Promise((resolve) => setTimeout(resolve, 10));
  t.equal(await count('palisade_audit_event_evaluation_seconds'), 3);
  t.equal(await count('palisade_audit_event_latency_seconds'), 3);
});

t.test('with image verification, a new object’s images are resolved before it is evaluated', async (t) => {
  // A deny entry by repository: a verdict the verifier gives without a registry.
  const verifier = new ImageVerifier({ client: new RegistryClient(), policies: [], deny: [{ repository: 'registry.example.com/withdrawn', reason: 'withdrawn: CVE-2026-0004' }] });
  const h = start({}, () => ({ ...policy, images: { verifier, timeoutMs: 1_000 } }));
  t.teardown(h.stop);
  await following(h);
  const pod = privilegedPod('late');
  (pod['spec'] as { containers: { image: string }[] }).containers[0]!.image = 'registry.example.com/withdrawn:1.0';
  h.cluster.create(pod);
  await h.sink.until(() => h.sink.rulesOf('shop', 'palisade-pod-late').includes('deny-known-bad-images'), 'the denied image to be reported');
  t.pass('deny-known-bad-images, from the verifier, on a watch event');
});

t.test('an event seen already (same resourceVersion) and a change that changes no finding write nothing', async (t) => {
  const h = start();
  t.teardown(h.stop);
  await following(h);
  const before = h.sink.calls.length;
  // A status-only change of a Pod of web: the same findings.
  h.cluster.update('pod-web-a', (o) => { o['status'] = { phase: 'Running' }; });
  // Then something that does change, to know the first has been handled.
  h.cluster.create(privilegedPod('marker'));
  await h.sink.until(() => h.sink.report('shop', 'palisade-pod-marker') !== undefined, 'the marker');
  t.equal(h.sink.calls.length, before + 1, 'one sync: the marker only');
});

t.test('a Deployment: its Pods stay attributed to it; the report counts them', async (t) => {
  const h = start();
  t.teardown(h.stop);
  await following(h);
  const web = () => h.sink.report('shop', 'palisade-deployment-web');
  const objects = () => Number(web()?.results[0]?.properties?.['objects']);
  t.equal(objects(), 5);
  h.cluster.create({ ...privilegedPod('web-5d4f9-ddddd'), metadata: { name: 'web-5d4f9-ddddd', namespace: 'shop', labels: { app: 'web' }, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-5d4f9', uid: 'rs-web', controller: true }] } });
  await h.sink.until(() => objects() === 6, 'the Deployment to stand for 6 objects');
  t.same(h.sink.calls.at(-1)?.uids, ['d-web'], "the Deployment's report, by its uid");
  t.notOk([...h.sink.stored.keys()].some((k) => k.includes('palisade-pod-web')), 'no report of its own for the Pod');
});

t.test('a Namespace label change re-evaluates the objects in it (modes follow)', async (t) => {
  const h = start();
  t.teardown(h.stop);
  await following(h);
  const modeOf = () => h.sink.report('shop', 'palisade-deployment-web')?.results.find((r) => r.policy === 'disallow-privileged')?.properties?.['mode'];
  t.equal(modeOf(), 'enforce', 'enforced by the configuration');
  h.cluster.update('ns-shop', (o) => {
    (metadataOf(o)['labels'] as Record<string, string>)['palisade.dev/mode'] = 'dry-run';
    (metadataOf(o)['labels'] as Record<string, string>)['team'] = 'shop-2';
  });
  const configMapMode = () => h.sink.report('shop', 'palisade-configmap-app-config')?.results[0]?.properties?.['modeSource'];
  await h.sink.until(() => configMapMode() === 'namespace', 'objects of the namespace to take its mode');
  t.ok(h.cluster.requests.some((r) => r.path === '/api/v1/namespaces/shop/configmaps'), 'the namespace was listed again, that namespace only');
  t.notOk(h.cluster.requests.some((r) => r.path === '/api/v1/namespaces/fenced/configmaps'));
});

t.test('a NetworkPolicy added to a namespace: the context rules judge it again', async (t) => {
  const h = start();
  t.teardown(h.stop);
  await following(h);
  const nsRules = () => h.sink.rulesOf(undefined, 'palisade-namespace-shop');
  t.ok(nsRules().includes('require-network-policy'), 'shop has none at first');
  h.cluster.create({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'deny', namespace: 'shop' }, spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] } });
  await h.sink.until(() => !nsRules().includes('require-network-policy'), 'require-network-policy to pass');
  t.notOk(nsRules().includes('require-default-deny-network-policy'));
});

t.test('410 Gone: the kind is listed again; what changed unseen is picked up, what went is dropped', async (t) => {
  const h = start();
  t.teardown(h.stop);
  await following(h);
  t.ok(h.sink.report('shop', 'palisade-configmap-app-config'));
  // While nobody watched: the ConfigMap with the credential was deleted, a new privileged Pod appeared.
  const gone = h.cluster.objects.find((o) => metadataOf(o)['name'] === 'app-config');
  h.cluster.objects.splice(h.cluster.objects.indexOf(gone as KubeObject), 1);
  h.cluster.revision += 5;
  const pod = privilegedPod('unseen');
  metadataOf(pod)['uid'] = 'pod-unseen';
  metadataOf(pod)['resourceVersion'] = String(++h.cluster.revision);
  h.cluster.objects.push(pod);
  h.cluster.errorEvent('/api/v1/configmaps', 410, 'Expired');
  h.cluster.goneOnce.add('/api/v1/pods');
  h.cluster.endWatches('/api/v1/pods');
  await h.sink.until(() => h.sink.report('shop', 'palisade-configmap-app-config') === undefined && h.sink.report('shop', 'palisade-pod-unseen') !== undefined, 'the relists');
  const restarts = await h.metrics.registry.getSingleMetricAsString('palisade_audit_watch_restarts_total');
  t.match(restarts, /kind="ConfigMap",reason="gone"\} 1/);
  t.match(restarts, /kind="Pod",reason="gone"\} 1/);
  const rewatch = h.cluster.watchRequests.filter((w) => w.path === '/api/v1/pods').at(-1);
  t.equal(rewatch?.resourceVersion, String(h.cluster.revision), 'watched again from the new list');
});

t.test('other watch errors: restarted after a capped backoff, from the last version seen', async (t) => {
  const h = start({ watchTiming: { initialBackoffMs: 100, maxBackoffMs: 400, random: () => 0.999 } });
  t.teardown(h.stop);
  await following(h);
  h.cluster.create(privilegedPod('before-error'));
  await h.sink.until(() => h.sink.report('shop', 'palisade-pod-before-error') !== undefined, 'an event');
  const seen = String(h.cluster.revision);
  h.cluster.refused.add('/api/v1/pods');
  h.cluster.endWatches('/api/v1/pods', new Error('socket hang up'));
  const deadline = Date.now() + 10_000;
  while (h.cluster.watchRequests.filter((w) => w.path === '/api/v1/pods').length < 6 && Date.now() < deadline) await new Promise((resolve) => setImmediate(resolve));
  h.cluster.refused.delete('/api/v1/pods');
  h.cluster.create(privilegedPod('after-error'));
  await h.sink.until(() => h.sink.report('shop', 'palisade-pod-after-error') !== undefined, 'the watch to recover');
  const retries = h.cluster.watchRequests.filter((w) => w.path === '/api/v1/pods').slice(1);
  t.ok(retries.every((w) => w.resourceVersion === seen), 'each retry resumes from the last version seen');
  const podSleeps = h.sleeps.filter((ms) => ms >= 50);
  t.same(podSleeps.slice(0, 4), [100, 200, 400, 400], 'exponential backoff, capped');
  const restarts = await h.metrics.registry.getSingleMetricAsString('palisade_audit_watch_restarts_total');
  t.match(restarts, /kind="Pod",reason="error"\} \d+/);
});

t.test('a full audit when asked (rules changed): everything is written again', async (t) => {
  const h = start();
  t.teardown(h.stop);
  await following(h);
  h.loop.requestFullAudit('policy');
  await h.sink.until(() => h.sink.calls.filter((c) => c.scope === 'all').length === 2, 'a second full audit');
  t.match(await h.metrics.registry.getSingleMetricAsString('palisade_audit_runs_total'), /reason="policy",result="success"\} 1/);
});

t.test('a full audit that fails is tried again after a backoff', async (t) => {
  const h = start({ initialRetryMs: 100, maxRetryMs: 200 });
  t.teardown(h.stop);
  h.sink.failNext = new Error('the API server is down');
  await h.sink.until(() => h.sink.calls.some((c) => c.scope === 'all'), 'the retried audit');
  t.ok(h.sleeps.includes(100), 'backed off');
  t.match(await h.metrics.registry.getSingleMetricAsString('palisade_audit_runs_total'), /reason="start",result="failure"\} 1/);
});

t.test('without rules the loop waits; aborting stops it and the watches', async (t) => {
  let current: LoopPolicy | undefined;
  const h = start({}, () => current);
  await new Promise((resolve) => setImmediate(resolve));
  t.equal(h.sink.calls.length, 0, 'nothing audited without rules');
  current = policy;
  h.loop.requestFullAudit('policy');
  await following(h);
  await h.stop();
  t.equal(h.cluster.watching('/api/v1/pods'), 0, 'watches closed');
  t.notOk(h.loop.ready);
});

t.test('losing the lease aborts the audit in flight; the next term starts only after it stopped', async (t) => {
  const cluster = new HistoryCluster();
  const timeline: string[] = [];
  const sink = new FakeSink();
  const all = sink.all.bind(sink);
  sink.all = async (reports) => {
    timeline.push('audit written');
    return all(reports);
  };
  const loop = new AuditLoop({ api: cluster, watchApi: cluster, policy: () => policy, reports: sink, metrics: createControllerMetrics({ standards: [], processMetrics: false }), log: pino({ level: 'silent' }), now: () => NOW });
  // Lost at once: the first audit is still listing.
  const first = new AbortController();
  const firstRun = loop.run(first.signal).then(() => timeline.push('first term over'));
  first.abort();
  const second = new AbortController();
  const secondRun = loop.run(second.signal);
  await sink.until(() => timeline.includes('audit written'), 'the second term’s audit');
  t.same(timeline, ['first term over', 'audit written'], 'no audit of the first term was written; the second began after it ended');
  second.abort();
  await Promise.all([firstRun, secondRun]);
});

t.test('a full audit asked for while watches relist: the next round audits and follows', async (t) => {
  const h = start();
  t.teardown(h.stop);
  await following(h);
  for (const path of ['/api/v1/pods', '/api/v1/configmaps', '/api/v1/namespaces']) h.cluster.errorEvent(path, 410, 'Expired');
  h.loop.requestFullAudit('policy');
  await h.sink.until(() => h.sink.calls.filter((c) => c.scope === 'all').length === 2, 'the next full audit');
  await following(h);
  h.cluster.create(privilegedPod('after-round'));
  await h.sink.until(() => h.sink.report('shop', 'palisade-pod-after-round') !== undefined, 'the new round to follow changes');
  t.pass('the new round audits and follows');
});
