/**
 * The loop's report sink over the real ReportWriter and an in-memory store: a sync of some owners
 * sees (lists, compares, deletes) only their reports, whatever else is stored, even in the same
 * namespace; a full sync still deletes stale reports anywhere.
 */
import t from 'tap';
import { pino } from 'pino';
import type { AuditEntry } from '../../src/audit/types.js';
import { ownersSelector, writerSink } from '../../src/controller/report-sink.js';
import type { ListPage, ListRequest, ReportKind, ReportStore } from '../../src/kube/report-store.js';
import { buildReports } from '../../src/reports/openreports.js';
import type { Report } from '../../src/reports/types.js';
import { FakeReportStore } from '../kube/fake-report-store.js';

/** FakeReportStore with set-based selectors (`key in (a,b)`), as the API server has them. */
class SelectorStore implements ReportStore {
  readonly inner = new FakeReportStore();
  readonly selectors: string[] = [];
  async list(kind: ReportKind, request: ListRequest): Promise<ListPage> {
    const selector = request.labelSelector ?? '';
    this.selectors.push(selector);
    const [first, ...rest] = selector.split(/,(?![^(]*\))/);
    const page = await this.inner.list(kind, { ...request, ...(first ? { labelSelector: first } : {}) });
    const items = page.items.filter((item) => rest.every((requirement) => {
      const labels = ((item as { metadata: { labels?: Record<string, string> } }).metadata.labels ?? {});
      const set = /^(\S+) in \((.*)\)$/.exec(requirement);
      if (set) return (set[2] ?? '').split(',').includes(labels[set[1] ?? ''] ?? '\u0000');
      const [key, value] = requirement.split('=');
      return labels[key ?? ''] === value;
    }));
    return { ...page, items };
  }
  apply = (report: Report) => this.inner.apply(report);
  delete = (kind: ReportKind, name: string, namespace: string | undefined, uid: string | undefined) => this.inner.delete(kind, name, namespace, uid);
}

const NOW = new Date('2026-11-22T12:00:00Z');
const finding = { ruleId: 'disallow-privileged', code: 'disallow-privileged', title: 't', severity: 'high' as const, category: 'pod-security', message: 'privileged', remediation: '', reason: 'Forbidden' as const, paths: [], containers: [], images: [], standards: {}, ruleClass: 'object' as const, result: 'fail' as const, docs: '', mode: 'audit' as const, modeSource: 'default' as const, denies: false };
const entry = (name: string, uid: string, namespace = 'shop'): AuditEntry => ({
  owner: { apiVersion: 'apps/v1', kind: 'Deployment', namespace, name, uid },
  objects: 1,
  labels: {},
  evaluated: ['disallow-privileged'],
  findings: [finding],
});
const reportsOf = (entries: AuditEntry[]) => buildReports({ startedAt: NOW, finishedAt: NOW, objectsByKind: {}, entries, skippedKinds: [] }, { now: NOW });
const names = (store: SelectorStore): string[] => [...store.inner.objects.keys()].sort();

t.test('ownersSelector: Palisade’s reports of exactly these owners', async (t) => {
  t.equal(ownersSelector(['b', 'a']), 'app.kubernetes.io/managed-by=palisade,palisade.dev/owner-uid in (a,b)');
});

t.test('an owners sync touches those owners only; a full sync prunes everywhere', async (t) => {
  const store = new SelectorStore();
  const sink = writerSink({ store, log: pino({ level: 'silent' }), writesPerSecond: 1000 });
  const signal = new AbortController().signal;
  await sink.all(reportsOf([entry('web', 'u-web'), entry('api', 'u-api'), entry('db', 'u-db', 'data')]), signal);
  t.same(names(store), ['Report/data/palisade-deployment-db', 'Report/shop/palisade-deployment-api', 'Report/shop/palisade-deployment-web']);

  // web is clean now, a new owner appeared; api (same namespace) and db are not part of this sync.
  const result = await sink.owners(reportsOf([entry('cache', 'u-cache')]), ['u-web', 'u-cache'], signal);
  t.match(result, { applied: 1, deleted: 1, failed: 0 });
  t.same(names(store), ['Report/data/palisade-deployment-db', 'Report/shop/palisade-deployment-api', 'Report/shop/palisade-deployment-cache']);
  t.same(store.selectors.slice(-2), [ownersSelector(['u-web', 'u-cache']), ownersSelector(['u-web', 'u-cache'])], 'Reports and ClusterReports listed with the owners’ selector only');

  await sink.all(reportsOf([entry('cache', 'u-cache')]), signal);
  t.same(names(store), ['Report/shop/palisade-deployment-cache'], 'a full sync removes what no owner has any more');
});

t.test('many owners are synced in batches', async (t) => {
  const store = new SelectorStore();
  const sink = writerSink({ store, log: pino({ level: 'silent' }), writesPerSecond: 1000 });
  const entries = Array.from({ length: 120 }, (_, i) => entry(`app-${i}`, `u-${i}`));
  const result = await sink.owners(reportsOf(entries), entries.map((e) => e.owner.uid ?? ''), new AbortController().signal);
  t.equal(result.applied, 120);
  t.equal(store.selectors.length, 6, '3 batches of at most 50 owners, each listing Reports and ClusterReports');
});
