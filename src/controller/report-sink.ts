/**
 * Where the loop's reports go: ReportWriter.sync, scoped three ways.
 *
 * - `all`: after a full audit, every report (stale ones anywhere are deleted), namespace by
 *   namespace: each namespace's reports are built, its stored ones listed, compared and written
 *   before the next namespace's are built, so memory holds one namespace's reports at a time, not
 *   the cluster's (at 100,000 objects, tens of thousands of reports twice over: built and stored).
 *   The price is one list request per namespace, most of them empty.
 * - `owners`: after watch events, the reports of a few owners. The writer deletes every stored
 *   report in its scope that it is not given, and its scope is at most a namespace; so it is handed
 *   a view of the store in which only those owners' reports exist (label selector
 *   `palisade.dev/owner-uid in (…)`). Unrelated reports are never listed, compared or deleted.
 * - `namespace`: owners without a uid (an owner only inferred from a name) have no owner-uid
 *   label; their namespace is synced whole from the loop's entries instead (rare).
 *
 * Every write of every sync takes a token from one bucket, so the write rate holds across syncs.
 */
import type { Logger } from 'pino';
import { OWNER_UID_LABEL } from '../reports/openreports.js';
import type { Report } from '../reports/types.js';
import { MANAGED_SELECTOR, type ReportStore } from '../kube/report-store.js';
import { ReportWriter, type SyncResult } from '../kube/report-writer.js';
import { TokenBucket } from '../kube/token-bucket.js';

/** Every report of a full audit, built one namespace at a time. */
export interface ReportSource {
  /** Every namespace that may hold a report: the cluster's, as the audit listed them. */
  namespaces: Iterable<string>;
  /** The reports of one namespace (undefined: the ClusterReports), built when its turn comes. */
  reportsOf(namespace: string | undefined): readonly Report[];
}

export interface ReportSink {
  /** After a full audit: every namespace in turn, then the ClusterReports; stale reports anywhere are deleted. */
  all(source: ReportSource, signal: AbortSignal): Promise<SyncResult>;
  /** Makes the stored reports of these owners (by uid) exactly `reports`. */
  owners(reports: readonly Report[], uids: readonly string[], signal: AbortSignal): Promise<SyncResult>;
  namespace(reports: readonly Report[], namespace: string, signal: AbortSignal): Promise<SyncResult>;
}

/** Owners per list request: a set-based selector with 50 uids stays far below URL limits. */
export const OWNERS_PER_SYNC = 50;

export interface WriterSinkOptions {
  store: ReportStore;
  log: Logger;
  /** Writes a second across all syncs (default 20, as the writer's own default). */
  writesPerSecond?: number;
}

/** The selector of Palisade's reports of these owners. */
export function ownersSelector(uids: readonly string[]): string {
  return `${MANAGED_SELECTOR},${OWNER_UID_LABEL} in (${[...uids].sort().join(',')})`;
}

/** The store as seen by a sync of these owners: lists hold only their reports. */
export function ownersView(store: ReportStore, uids: readonly string[]): ReportStore {
  const selector = ownersSelector(uids);
  return {
    list: (kind, request, signal) => store.list(kind, { ...request, labelSelector: selector }, signal),
    apply: (report, signal) => store.apply(report, signal),
    delete: (kind, name, namespace, uid, signal) => store.delete(kind, name, namespace, uid, signal),
  };
}

function paced(store: ReportStore, bucket: TokenBucket): ReportStore {
  return {
    list: (kind, request, signal) => store.list(kind, request, signal),
    apply: async (report, signal) => {
      await bucket.take(signal);
      await store.apply(report, signal);
    },
    delete: async (kind, name, namespace, uid, signal) => {
      await bucket.take(signal);
      await store.delete(kind, name, namespace, uid, signal);
    },
  };
}

const NOTHING: SyncResult = Object.freeze({ applied: 0, unchanged: 0, deleted: 0, failed: 0, failures: [] });

function add(into: SyncResult, more: SyncResult): SyncResult {
  return {
    applied: into.applied + more.applied,
    unchanged: into.unchanged + more.unchanged,
    deleted: into.deleted + more.deleted,
    failed: into.failed + more.failed,
    failures: [...into.failures, ...more.failures],
  };
}

export function writerSink(options: WriterSinkOptions): ReportSink {
  const bucket = new TokenBucket({ ratePerSecond: options.writesPerSecond ?? 20 });
  const store = paced(options.store, bucket);
  // The shared bucket paces; each writer's own is set out of the way.
  const writer = (view: ReportStore): ReportWriter => new ReportWriter({ store: view, log: options.log, writesPerSecond: 1_000_000 });
  const whole = writer(store);
  return {
    async all(source, signal) {
      let result = NOTHING;
      for (const namespace of [...new Set(source.namespaces)].sort()) {
        result = add(result, await whole.sync(source.reportsOf(namespace), { namespace }, { signal }));
      }
      return add(result, await whole.sync(source.reportsOf(undefined), { clusterScoped: true }, { signal }));
    },
    namespace: (reports, namespace, signal) => whole.sync(reports, { namespace }, { signal }),
    async owners(reports, uids, signal) {
      let result = NOTHING;
      for (let i = 0; i < uids.length; i += OWNERS_PER_SYNC) {
        const batch = uids.slice(i, i + OWNERS_PER_SYNC);
        const wanted = new Set(batch);
        const mine = reports.filter((r) => wanted.has(r.metadata.labels?.[OWNER_UID_LABEL] ?? ''));
        result = add(result, await writer(ownersView(store, batch)).sync(mine, {}, { signal }));
      }
      return result;
    },
  };
}
