/**
 * The report writer against an in-memory store (fake-report-store.ts) and the fixture audit run
 * (test/fixtures/report-writer/audit-result.json): what a sync writes, leaves alone and deletes,
 * how results keep their first-found timestamps, how it paces and retries, and what it refuses.
 * Clocks are fake: nothing here sleeps.
 */
import t from 'tap';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import type { AuditResult } from '../../src/audit/types.js';
import { listStoredReports } from '../../src/kube/report-store.js';
import { planSync, ReportWriter, type ReportWriterSettings } from '../../src/kube/report-writer.js';
import { buildReports, MANAGED_BY_LABEL } from '../../src/reports/openreports.js';
import type { Report } from '../../src/reports/types.js';
import { apiError, FakeClock, FakeReportStore, networkError } from './fake-report-store.js';

const FIXTURE = fileURLToPath(new URL('../fixtures/report-writer/audit-result.json', import.meta.url));
const FIRST_RUN = new Date('2026-03-01T12:00:05.000Z');
const LATER_RUN = new Date('2026-03-02T08:30:00.000Z');
const FIRST_SECONDS = FIRST_RUN.getTime() / 1000;
const LATER_SECONDS = LATER_RUN.getTime() / 1000;

async function loadAudit(): Promise<AuditResult> {
  const raw = JSON.parse(await readFile(FIXTURE, 'utf8')) as Omit<AuditResult, 'startedAt' | 'finishedAt'> & { startedAt: string; finishedAt: string };
  return { ...raw, startedAt: new Date(raw.startedAt), finishedAt: new Date(raw.finishedAt) };
}

const build = (audit: AuditResult, now: Date, maxResultsPerReport?: number): Report[] =>
  buildReports(audit, { now, ownerLabels: ['team'], ...(maxResultsPerReport ? { maxResultsPerReport } : {}) });

function writerFor(store: FakeReportStore, clock = new FakeClock(), settings: Partial<ReportWriterSettings> = {}): ReportWriter {
  return new ReportWriter({ store, log: pino({ level: 'silent' }), now: clock.now, sleep: clock.sleep, random: () => 1, ...settings });
}

const names = (reports: readonly { kind: string; metadata: { namespace?: string; name: string } }[]): string[] =>
  reports.map((r) => `${r.kind} ${r.metadata.namespace ? `${r.metadata.namespace}/` : ''}${r.metadata.name}`).sort();

const writes = (store: FakeReportStore): string[] => store.calls.filter((c) => !c.startsWith('list '));

/** Another engine's report in the same namespace: never Palisade's to change. */
const FOREIGN = {
  apiVersion: 'openreports.io/v1alpha1',
  kind: 'Report',
  metadata: { name: 'kyverno-web', namespace: 'shop', labels: { [MANAGED_BY_LABEL]: 'kyverno' } },
  source: 'kyverno',
  summary: { pass: 1, fail: 0, warn: 0, error: 0, skip: 0 },
  results: [{ policy: 'other', result: 'pass' }],
};

const ALL = [
  'ClusterReport palisade-clusterrolebinding-ci-admin',
  'Report payments/palisade-deployment-api',
  'Report shop/palisade-cronjob-nightly',
  'Report shop/palisade-deployment-web',
];

t.test('first sync: one report per owner with findings, owned by the owner; clean owners get none', async (t) => {
  const store = new FakeReportStore();
  store.put(FOREIGN);
  const result = await writerFor(store).sync(build(await loadAudit(), FIRST_RUN));
  t.same(result, { applied: 4, unchanged: 0, deleted: 0, failed: 0, failures: [] });
  const stored = await listStoredReports(store);
  t.same(names(stored.map((s) => s.report)), ALL, 'payments/clean has no report');
  const web = store.get('Report', 'shop', 'palisade-deployment-web');
  t.same(web?.metadata['ownerReferences'], [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: '0b0e7f6a-0000-4000-8000-00000000000a' }]);
  t.equal((web?.metadata.labels ?? {})['team'], 'storefront', 'the owner label is copied');
  t.ok(store.get('Report', 'shop', 'kyverno-web'), "another engine's report is left alone");
});

t.test('a second identical sync writes nothing, and results keep the time they were first found', async (t) => {
  const store = new FakeReportStore();
  const writer = writerFor(store);
  const audit = await loadAudit();
  await writer.sync(build(audit, FIRST_RUN));
  const revisions = [...store.objects.values()].map((o) => o.metadata['resourceVersion']);
  store.calls.length = 0;

  const result = await writer.sync(build(audit, LATER_RUN));
  t.same(result, { applied: 0, unchanged: 4, deleted: 0, failed: 0, failures: [] });
  t.same(writes(store), [], 'no apply, no delete: only lists');
  t.same([...store.objects.values()].map((o) => o.metadata['resourceVersion']), revisions, 'no stored object changed');
  const stamps = [...store.objects.values()].flatMap((o) => (o['results'] as { timestamp: { seconds: number } }[]).map((r) => r.timestamp.seconds));
  t.ok(stamps.every((s) => s === FIRST_SECONDS), 'every result still says it was found in the first run');
});

t.test('a changed owner: only its report is written; the unchanged result keeps its timestamp', async (t) => {
  const store = new FakeReportStore();
  const writer = writerFor(store);
  const audit = await loadAudit();
  await writer.sync(build(audit, FIRST_RUN));
  store.calls.length = 0;

  const web = audit.entries[0];
  if (!web?.findings[0] || !web.findings[1]) throw new Error('fixture: web has two findings');
  web.findings[1] = { ...web.findings[1], message: 'container web has no cpu limit', paths: ['spec.template.spec.containers[0].resources.limits.cpu'] };
  const result = await writer.sync(build(audit, LATER_RUN));
  t.same(result, { applied: 1, unchanged: 3, deleted: 0, failed: 0, failures: [] });
  t.same(writes(store), ['apply Report shop/palisade-deployment-web']);
  const results = store.get('Report', 'shop', 'palisade-deployment-web')?.['results'] as { policy: string; message: string; timestamp: { seconds: number } }[];
  t.same(results.map((r) => [r.policy, r.timestamp.seconds]), [
    ['require-run-as-non-root', FIRST_SECONDS],
    ['require-resource-requests-limits', LATER_SECONDS],
  ], 'unchanged: first found; changed: found now');
});

t.test('stale reports are deleted: an owner without findings, and parts no longer needed', async (t) => {
  const store = new FakeReportStore();
  store.put(FOREIGN);
  const writer = writerFor(store);
  const audit = await loadAudit();
  // One result per report: web (two findings) has two parts.
  await writer.sync(build(audit, FIRST_RUN, 1));
  t.ok(store.get('Report', 'shop', 'palisade-deployment-web-2'), 'web has a second part');
  const apiUid = store.get('Report', 'payments', 'palisade-deployment-api')?.metadata['uid'];
  store.calls.length = 0;

  const web = audit.entries[0];
  const api = audit.entries[2];
  if (!web || !api) throw new Error('fixture');
  web.findings = web.findings.slice(0, 1);
  api.findings = [];
  const result = await writer.sync(build(audit, LATER_RUN, 1));
  t.same(result, { applied: 1, unchanged: 2, deleted: 2, failed: 0, failures: [] });
  t.same(writes(store), [
    'apply Report shop/palisade-deployment-web',
    'delete Report payments/palisade-deployment-api',
    'delete Report shop/palisade-deployment-web-2',
  ], 'web part 1 of 2 becomes 1 of 1 (first), then the stale ones go');
  const annotations = store.get('Report', 'shop', 'palisade-deployment-web')?.metadata['annotations'] as Record<string, string> | undefined;
  t.equal(annotations?.['palisade.dev/part'], '1/1');
  t.notOk(store.get('Report', 'payments', 'palisade-deployment-api'));
  t.ok(store.get('Report', 'shop', 'kyverno-web'), "another engine's report is never deleted");
  t.ok(apiUid, 'deletes name the uid they listed (precondition)');
});

t.test('a namespace-scoped sync looks only at that namespace', async (t) => {
  const store = new FakeReportStore();
  const writer = writerFor(store);
  const audit = await loadAudit();
  await writer.sync(build(audit, FIRST_RUN));
  store.calls.length = 0;

  const shopOnly = build({ ...audit, entries: audit.entries.filter((e) => e.owner.namespace === 'shop'), namespace: 'shop' }, LATER_RUN);
  const result = await writer.sync(shopOnly, { namespace: 'shop' });
  t.same(result, { applied: 0, unchanged: 2, deleted: 0, failed: 0, failures: [] }, 'payments and the ClusterReport are not stale: out of scope');
  t.same(store.calls, ['list Report shop'], 'only the namespace is listed; ClusterReports are not');

  const emptied = await writer.sync([], { namespace: 'payments' });
  t.same(emptied, { applied: 0, unchanged: 0, deleted: 1, failed: 0, failures: [] });
  t.same(names((await listStoredReports(store)).map((s) => s.report)), ALL.filter((n) => !n.includes('payments')));

  await t.rejects(writer.sync(build(audit, LATER_RUN), { namespace: 'shop' }), /outside the sync's namespace shop/, 'a report outside the scope is a programming error');
});

t.test('planSync: the same plan from data alone', async (t) => {
  const audit = await loadAudit();
  const store = new FakeReportStore();
  await writerFor(store).sync(build(audit, FIRST_RUN));
  const stored = await listStoredReports(store);
  const next = build({ ...audit, entries: audit.entries.slice(1) }, LATER_RUN);
  const plan = planSync(next, stored, { scope: {}, maxReportBytes: 512 * 1024 });
  t.same(names(plan.apply), []);
  t.same(names(plan.unchanged), ALL.filter((n) => !n.includes('web')));
  t.same(names(plan.delete.map((s) => s.report)), ['Report shop/palisade-deployment-web']);
  t.ok(plan.delete[0]?.uid, 'the stored uid is kept for the delete precondition');
  t.throws(() => planSync([...next, ...next.slice(0, 1)], stored, { scope: {}, maxReportBytes: 512 * 1024 }), /given twice/);
});

t.test('a report over the byte budget is refused, never written; the stored one stays', async (t) => {
  const store = new FakeReportStore();
  const audit = await loadAudit();
  await writerFor(store).sync(build(audit, FIRST_RUN));
  const before = JSON.stringify(store.get('Report', 'shop', 'palisade-deployment-web'));
  store.calls.length = 0;

  const web = audit.entries[0];
  if (!web?.findings[0]) throw new Error('fixture');
  web.findings[0] = { ...web.findings[0], message: 'x'.repeat(1000) };
  const result = await writerFor(store, new FakeClock(), { maxReportBytes: 2500 }).sync(build(audit, LATER_RUN));
  t.equal(result.failed, 1);
  t.equal(result.applied, 0);
  t.match(result.failures, [{ operation: 'apply', kind: 'Report', namespace: 'shop', name: 'palisade-deployment-web', error: /bytes of JSON, over the budget of 2500: not written/ }]);
  t.same(writes(store), [], 'nothing was sent');
  t.equal(JSON.stringify(store.get('Report', 'shop', 'palisade-deployment-web')), before, 'the stored report is neither replaced nor deleted');
});

t.test('throttling, server errors, conflicts and lost connections are retried with backoff', async (t) => {
  const store = new FakeReportStore();
  const clock = new FakeClock();
  store.failNext('apply', apiError(429, 'TooManyRequests', { 'retry-after': '3' }));
  store.failNext('apply', apiError(503, 'ServiceUnavailable'));
  store.failNext('apply', apiError(409, 'Conflict'));
  store.failNext('apply', networkError());
  const writer = writerFor(store, clock, { concurrency: 1 });
  const result = await writer.sync(build(await loadAudit(), FIRST_RUN));
  t.same(result, { applied: 4, unchanged: 0, deleted: 0, failed: 0, failures: [] });
  t.same(clock.sleeps, [3000, 500, 1000, 2000], "the server's Retry-After (3 s), then 250 ms doubling: 500, 1000, 2000");
  t.equal(writes(store).length, 8, 'four failures, four successes');
});

t.test('backoff: exponential, capped, with jitter, never below Retry-After', async (t) => {
  const random = [0, 0.5, 0.999];
  let i = 0;
  const writer = new ReportWriter({ store: new FakeReportStore(), log: pino({ level: 'silent' }), random: () => random[i++ % 3] ?? 0, initialBackoffMs: 100, maxBackoffMs: 1000 });
  t.equal(writer.backoffMs(1), 50, 'half the step at the least');
  t.equal(writer.backoffMs(2), 150);
  t.equal(writer.backoffMs(3), 400);
  t.equal(writer.backoffMs(10), 500, 'the cap, jittered');
  t.equal(writer.backoffMs(1, 800), 800, 'Retry-After wins');
  t.equal(writer.backoffMs(1, 60_000), 1000, 'but not beyond the cap');
});

t.test('what retrying cannot fix fails at once; what keeps failing fails after maxAttempts', async (t) => {
  const store = new FakeReportStore();
  store.failNext('apply', apiError(422, 'Invalid'));
  for (let i = 0; i < 3; i++) store.failNext('apply', apiError(500, 'InternalError'));
  const result = await writerFor(store, new FakeClock(), { concurrency: 1, maxAttempts: 3 }).sync(build(await loadAudit(), FIRST_RUN));
  t.equal(result.applied, 2);
  t.equal(result.failed, 2);
  t.match(result.failures, [
    { operation: 'apply', error: /422 Invalid/ },
    { operation: 'apply', error: /500 InternalError/ },
  ]);
  t.equal(writes(store).length, 1 + 3 + 2, '422 tried once, 500 three times, then two good ones');
});

t.test('deletes: gone already counts as deleted; a replaced object (uid conflict) is not retried', async (t) => {
  const store = new FakeReportStore();
  const writer = writerFor(store, new FakeClock(), { concurrency: 1 });
  const audit = await loadAudit();
  await writer.sync(build(audit, FIRST_RUN));
  store.failNext('delete', apiError(404, 'NotFound'));
  store.failNext('delete', apiError(409, 'Conflict'));
  store.calls.length = 0;
  const result = await writer.sync(build({ ...audit, entries: audit.entries.slice(0, 2) }, LATER_RUN));
  t.equal(result.deleted, 1, 'the 404');
  t.equal(result.failed, 1, 'the conflict');
  t.equal(writes(store).length, 2, 'one request each: no retry');
});

t.test('a list that keeps failing stops the sync before anything is written', async (t) => {
  const store = new FakeReportStore();
  store.failNext('list', apiError(500, 'InternalError'));
  const clock = new FakeClock();
  t.equal((await writerFor(store, clock).sync(build(await loadAudit(), FIRST_RUN))).applied, 4, 'a 500 on a list is retried');
  t.same(clock.sleeps, [250]);
  store.failNext('list', apiError(403, 'Forbidden'));
  store.calls.length = 0;
  await t.rejects(writerFor(store).sync([]), /403 Forbidden/);
  t.same(writes(store), [], 'nothing deleted on a failed list');
});

t.test('writes are paced by the token bucket, also with several in flight', async (t) => {
  const store = new FakeReportStore();
  const clock = new FakeClock();
  const result = await writerFor(store, clock, { writesPerSecond: 2, burst: 1, concurrency: 4 }).sync(build(await loadAudit(), FIRST_RUN));
  t.equal(result.applied, 4);
  t.equal(clock.ms, 1500, 'one at once, three more at 2/s');
});

t.test('stored reports are read page by page; an expired continue token starts again without duplicates', async (t) => {
  const store = new FakeReportStore();
  const audit = await loadAudit();
  await writerFor(store).sync(build(audit, FIRST_RUN, 1));
  store.calls.length = 0;
  const all = await listStoredReports(store, { pageSize: 2 });
  t.equal(all.length, 5);
  t.same(store.calls, ['list Report', 'list Report', 'list ClusterReport'], 'four Reports in two pages, one ClusterReport');

  store.expireTokensOnce = true;
  store.calls.length = 0;
  const again = await listStoredReports(store, { pageSize: 1 });
  t.same(names(again.map((s) => s.report)), names(all.map((s) => s.report)), 'the same reports, each once');
  t.ok(store.calls.filter((c) => c === 'list Report').length > 4, 'the list started again');

  const result = await writerFor(store, new FakeClock(), { pageSize: 1 }).sync(build(audit, LATER_RUN, 1));
  t.same(result, { applied: 0, unchanged: 5, deleted: 0, failed: 0, failures: [] }, 'paging does not change the outcome');
});

t.test('settings are checked when the writer is made', async (t) => {
  const store = new FakeReportStore();
  const log = pino({ level: 'silent' });
  t.throws(() => new ReportWriter({ store, log, writesPerSecond: 0 }), RangeError);
  t.throws(() => new ReportWriter({ store, log, concurrency: 0 }), RangeError);
  t.throws(() => new ReportWriter({ store, log, maxAttempts: 0 }), RangeError);
  t.throws(() => new ReportWriter({ store, log, initialBackoffMs: 500, maxBackoffMs: 100 }), RangeError);
  t.throws(() => new ReportWriter({ store, log, pageSize: 0 }), RangeError);
});
