/**
 * The loop's report sink over the real ReportWriter and an in-memory store: a sync of some owners
 * sees (lists, compares, deletes) only their reports, whatever else is stored, even in the same
 * namespace; a full sync still deletes stale reports anywhere.
 */
import t from 'tap';
import { pino } from 'pino';
import type { AuditEntry } from '../../src/audit/types.js';
import { ownersSelector, writerSink, type ReportSource } from '../../src/controller/report-sink.js';
import type { ListPage, ListRequest, ReportKind, ReportStore } from '../../src/kube/report-store.js';
import { buildReports } from '../../src/reports/openreports.js';
import type { Report } from '../../src/reports/types.js';
import { FakeReportStore } from '../kube/fake-report-store.js';

/** FakeReportStore with set-based selectors (`key in (a,b)`), as the API server has them. */
class SelectorStore implements ReportStore {
  readonly inner = new FakeReportStore();
  readonly selectors: string[] = [];
  /** Lists and report builds in the order they happened. */
  readonly events: string[] = [];
  async list(kind: ReportKind, request: ListRequest): Promise<ListPage> {
    const selector = request.labelSelector ?? '';
    this.selectors.push(selector);
    this.events.push(`list ${kind} ${request.namespace ?? '*'}`);
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
/** What the loop hands `all`: the reports of each namespace, built when asked (noted in `events`). */
const sourceOf = (entries: AuditEntry[], namespaces: string[], events: string[] = []): ReportSource => ({
  namespaces,
  reportsOf: (namespace) => {
    events.push(`build ${namespace ?? '*'}`);
    return reportsOf(entries.filter((e) => (e.owner.namespace ?? undefined) === namespace));
  },
});

t.test('ownersSelector: Palisade’s reports of exactly these owners', async (t) => {
  t.equal(ownersSelector(['b', 'a']), 'app.kubernetes.io/managed-by=palisade,palisade.dev/owner-uid in (a,b)');
});

t.test('an owners sync touches those owners only; a full sync prunes everywhere', async (t) => {
  const store = new SelectorStore();
  const sink = writerSink({ store, log: pino({ level: 'silent' }), writesPerSecond: 1000 });
  const signal = new AbortController().signal;
  await sink.all(sourceOf([entry('web', 'u-web'), entry('api', 'u-api'), entry('db', 'u-db', 'data')], ['shop', 'data']), signal);
  t.same(names(store), ['Report/data/palisade-deployment-db', 'Report/shop/palisade-deployment-api', 'Report/shop/palisade-deployment-web']);

  // web is clean now, a new owner appeared; api (same namespace) and db are not part of this sync.
  const result = await sink.owners(reportsOf([entry('cache', 'u-cache')]), ['u-web', 'u-cache'], signal);
  t.match(result, { applied: 1, deleted: 1, failed: 0 });
  t.same(names(store), ['Report/data/palisade-deployment-db', 'Report/shop/palisade-deployment-api', 'Report/shop/palisade-deployment-cache']);
  t.same(store.selectors.slice(-2), [ownersSelector(['u-web', 'u-cache']), ownersSelector(['u-web', 'u-cache'])], 'Reports and ClusterReports listed with the owners’ selector only');

  await sink.all(sourceOf([entry('cache', 'u-cache')], ['shop', 'data']), signal);
  t.same(names(store), ['Report/shop/palisade-deployment-cache'], 'a full sync removes what no owner has any more');
});

t.test('a full sync goes one namespace at a time: each one built only when its turn comes, ClusterReports last', async (t) => {
  const store = new SelectorStore();
  const sink = writerSink({ store, log: pino({ level: 'silent' }), writesPerSecond: 1000 });
  const signal = new AbortController().signal;
  const clusterWide: AuditEntry = { ...entry('reader', 'u-reader'), owner: { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', name: 'reader', uid: 'u-reader' } };
  await sink.all(sourceOf([entry('web', 'u-web'), entry('db', 'u-db', 'data'), clusterWide], ['shop', 'data', 'empty'], store.events), signal);
  t.same(store.events, ['build data', 'list Report data', 'build empty', 'list Report empty', 'build shop', 'list Report shop', 'build *', 'list ClusterReport *']);
  t.same(names(store), ['ClusterReport//palisade-clusterrole-reader', 'Report/data/palisade-deployment-db', 'Report/shop/palisade-deployment-web']);

  // The ClusterRole is fixed and `data` is no longer among the namespaces: its report is left to
  // the namespace's deletion (garbage collection), the stale ClusterReport is removed.
  const result = await sink.all(sourceOf([entry('web', 'u-web')], ['shop']), signal);
  t.match(result, { applied: 0, unchanged: 1, deleted: 1, failed: 0 });
  t.same(names(store), ['Report/data/palisade-deployment-db', 'Report/shop/palisade-deployment-web']);
});

t.test('many owners are synced in batches', async (t) => {
  const store = new SelectorStore();
  const sink = writerSink({ store, log: pino({ level: 'silent' }), writesPerSecond: 1000 });
  const entries = Array.from({ length: 120 }, (_, i) => entry(`app-${i}`, `u-${i}`));
  const result = await sink.owners(reportsOf(entries), entries.map((e) => e.owner.uid ?? ''), new AbortController().signal);
  t.equal(result.applied, 120);
  t.equal(store.selectors.length, 6, '3 batches of at most 50 owners, each listing Reports and ClusterReports');
});
