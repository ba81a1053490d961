/**
 * Keeps the cluster's stored reports equal to the latest audit's: `sync` reads Palisade's Reports
 * and ClusterReports (label app.kubernetes.io/managed-by=palisade, paged), then
 *
 * - applies the reports that are new or changed, with server-side apply (field manager `palisade`,
 *   forced), each result keeping the timestamp it was first found with (carryTimestamps);
 * - leaves the unchanged ones alone (sameReport): no request, no etcd revision, no watch event;
 * - deletes the stale ones: reports of owners that no longer have findings, and parts an owner no
 *   longer needs. With `scope.namespace` only that namespace is looked at, so a namespace-limited
 *   audit never deletes another namespace's reports (nor any ClusterReport).
 *
 * Writes go through a token bucket (default 20 a second) and are retried with capped exponential
 * backoff on 429, 5xx, conflicts and lost connections (a 429's Retry-After is honoured). A report
 * over the byte budget is refused and counted as failed, never written. Syncs never overlap.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import {
  byteLength,
  carryTimestamps,
  DEFAULT_MAX_REPORT_BYTES,
  OWNER_KIND_LABEL,
  OWNER_NAME_LABEL,
  OWNER_UID_LABEL,
  sameReport,
} from '../reports/openreports.js';
import type { Report } from '../reports/types.js';
import {
  isAbort,
  isRetryable,
  kubeReportStore,
  kubeRequestError,
  KubeRequestError,
  listStoredReports,
  DEFAULT_PAGE_SIZE,
  type ReportStore,
  type StoredReport,
} from './report-store.js';
import { sleep as realSleep, TokenBucket } from './token-bucket.js';

/** All defaults in one place. */
export const REPORT_WRITER_DEFAULTS = {
  writesPerSecond: 20,
  /** Writes in flight at once (each still takes a token). */
  concurrency: 4,
  /** Tries of one request, the first included. */
  maxAttempts: 5,
  initialBackoffMs: 250,
  maxBackoffMs: 10_000,
  maxReportBytes: DEFAULT_MAX_REPORT_BYTES,
  pageSize: DEFAULT_PAGE_SIZE,
} as const;

export interface ReportWriterSettings {
  log: Logger;
  writesPerSecond?: number;
  /** Writes the bucket lets through at once after a quiet spell. Default: writesPerSecond. */
  burst?: number;
  concurrency?: number;
  maxAttempts?: number;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** Reports whose JSON is larger are refused. Default 512 KiB, as buildReports packs them. */
  maxReportBytes?: number;
  pageSize?: number;
  /** Milliseconds, monotonic (for the token bucket). */
  now?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** 0 ≤ x < 1, for backoff jitter. Default Math.random. */
  random?: () => number;
}

export type ReportWriterOptions = ReportWriterSettings & ({ kc: KubeConfig } | { store: ReportStore });

export interface SyncScope {
  /** The audit covered this namespace only: Reports elsewhere, and ClusterReports, are left alone. */
  namespace?: string;
  /** ClusterReports only: every Report is left alone. */
  clusterScoped?: boolean;
}

export interface SyncFailure {
  operation: 'apply' | 'delete';
  kind: Report['kind'];
  namespace?: string;
  name: string;
  error: string;
}

export interface SyncResult {
  /** Created or changed. */
  applied: number;
  /** Already stored as they are: not written. */
  unchanged: number;
  /** Stale reports removed. */
  deleted: number;
  /** Writes or deletes that failed after retries, and reports refused for their size. */
  failed: number;
  failures: SyncFailure[];
}

export interface SyncPlan {
  /** New or changed reports, timestamps carried over: to apply. */
  apply: Report[];
  unchanged: Report[];
  /** Stored reports no report of this run replaces. */
  delete: StoredReport[];
  /** Over the byte budget: never written (a stored report of the same name is kept). */
  refused: { report: Report; bytes: number }[];
}

export interface PlanOptions {
  scope: SyncScope;
  maxReportBytes: number;
}

function objectKey(kind: Report['kind'], namespace: string | undefined, name: string): string {
  return `${kind}\u0000${namespace ?? ''}\u0000${name}`;
}

const keyOf = (report: Report): string => objectKey(report.kind, report.metadata.namespace, report.metadata.name);

/**
 * The owner a report is about: its uid label (what every part of one owner shares), else its
 * scope, else its owner labels. Reports of one owner carry their results' timestamps between them
 * (a result can move from part 2 to part 1).
 */
export function ownerKeyOf(report: Report): string {
  const labels = report.metadata.labels ?? {};
  const uid = labels[OWNER_UID_LABEL];
  if (uid) return `uid\u0000${uid}`;
  const scope = report.scope;
  if (scope?.kind && scope.name) return `scope\u0000${scope.apiVersion ?? ''}\u0000${scope.kind}\u0000${scope.namespace ?? ''}\u0000${scope.name}`;
  return `labels\u0000${report.kind}\u0000${report.metadata.namespace ?? ''}\u0000${labels[OWNER_KIND_LABEL] ?? ''}\u0000${labels[OWNER_NAME_LABEL] ?? report.metadata.name}`;
}

function inScope(kind: Report['kind'], namespace: string | undefined, scope: SyncScope): boolean {
  if (scope.clusterScoped) return kind === 'ClusterReport';
  return scope.namespace === undefined || (kind === 'Report' && namespace === scope.namespace);
}

/** Refuses reports that cannot be what the caller meant: a programming error, not a cluster problem. */
function checkDesired(desired: readonly Report[], scope: SyncScope): void {
  const seen = new Set<string>();
  for (const report of desired) {
    const { name, namespace } = report.metadata;
    const shown = `${report.kind} ${namespace ? `${namespace}/` : ''}${name}`;
    if (report.kind === 'Report' && !namespace) throw new RangeError(`${shown}: a Report needs a namespace`);
    if (report.kind === 'ClusterReport' && namespace) throw new RangeError(`${shown}: a ClusterReport has no namespace`);
    if (!inScope(report.kind, namespace, scope)) throw new RangeError(`${shown} is outside the sync's ${scope.clusterScoped ? 'cluster scope' : `namespace ${scope.namespace ?? ''}`}`);
    const key = keyOf(report);
    if (seen.has(key)) throw new RangeError(`${shown} is given twice`);
    seen.add(key);
  }
}

/**
 * What a sync has to do, from the reports of this run and those stored. Pure: the writer runs the
 * plan; tests check it with fixture data.
 */
export function planSync(desired: readonly Report[], stored: readonly StoredReport[], options: PlanOptions): SyncPlan {
  checkDesired(desired, options.scope);
  const storedInScope = stored.filter((s) => inScope(s.report.kind, s.report.metadata.namespace, options.scope));
  const byKey = new Map(storedInScope.map((s) => [keyOf(s.report), s]));
  const byOwner = new Map<string, Report[]>();
  for (const s of storedInScope) {
    const key = ownerKeyOf(s.report);
    const list = byOwner.get(key);
    if (list) list.push(s.report);
    else byOwner.set(key, [s.report]);
  }

  const plan: SyncPlan = { apply: [], unchanged: [], delete: [], refused: [] };
  const kept = new Set<string>();
  for (const next of desired) {
    const key = keyOf(next);
    kept.add(key);
    const report = carryTimestamps(next, byOwner.get(ownerKeyOf(next)) ?? []);
    const current = byKey.get(key);
    if (current && sameReport(report, current.report)) {
      plan.unchanged.push(report);
      continue;
    }
    const bytes = byteLength(report);
    if (bytes > options.maxReportBytes) plan.refused.push({ report, bytes });
    else plan.apply.push(report);
  }
  for (const s of storedInScope) if (!kept.has(keyOf(s.report))) plan.delete.push(s);
  return plan;
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer, got ${value}`);
  return value;
}

function nonNegative(name: string, value: number): number {
  if (!Number.isFinite(value) || value < 0) throw new RangeError(`${name} must be a non-negative number, got ${value}`);
  return value;
}

interface Settings {
  concurrency: number;
  maxAttempts: number;
  initialBackoffMs: number;
  maxBackoffMs: number;
  maxReportBytes: number;
  pageSize: number;
}

/** Options are checked once, when the writer is made: bad settings fail at start-up. */
function settingsOf(options: ReportWriterSettings): Settings {
  const d = REPORT_WRITER_DEFAULTS;
  const maxReportBytes = positiveInteger('maxReportBytes', options.maxReportBytes ?? d.maxReportBytes);
  const initialBackoffMs = nonNegative('initialBackoffMs', options.initialBackoffMs ?? d.initialBackoffMs);
  const maxBackoffMs = nonNegative('maxBackoffMs', options.maxBackoffMs ?? d.maxBackoffMs);
  if (maxBackoffMs < initialBackoffMs) throw new RangeError(`maxBackoffMs (${maxBackoffMs}) is below initialBackoffMs (${initialBackoffMs})`);
  return {
    concurrency: positiveInteger('concurrency', options.concurrency ?? d.concurrency),
    maxAttempts: positiveInteger('maxAttempts', options.maxAttempts ?? d.maxAttempts),
    initialBackoffMs,
    maxBackoffMs,
    maxReportBytes,
    pageSize: positiveInteger('pageSize', options.pageSize ?? d.pageSize),
  };
}

function describe(report: Pick<Report, 'kind' | 'metadata'>): { kind: Report['kind']; namespace?: string; name: string } {
  return { kind: report.kind, ...(report.metadata.namespace ? { namespace: report.metadata.namespace } : {}), name: report.metadata.name };
}

export class ReportWriter {
  readonly #store: ReportStore;
  readonly #log: Logger;
  readonly #settings: Settings;
  readonly #bucket: TokenBucket;
  readonly #sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly #random: () => number;
  #running: Promise<unknown> = Promise.resolve();

  constructor(options: ReportWriterOptions) {
    this.#settings = settingsOf(options);
    this.#store = 'store' in options ? options.store : kubeReportStore(options.kc);
    this.#log = options.log.child({ component: 'report-writer' });
    this.#sleep = options.sleep ?? realSleep;
    this.#random = options.random ?? Math.random;
    const rate = options.writesPerSecond ?? REPORT_WRITER_DEFAULTS.writesPerSecond;
    this.#bucket = new TokenBucket({
      ratePerSecond: rate,
      ...(options.burst !== undefined ? { burst: options.burst } : {}),
      ...(options.now ? { now: options.now } : {}),
      sleep: this.#sleep,
    });
  }

  /**
   * Makes the stored reports (in scope) those given. Throws when the stored reports cannot be
   * listed (nothing is written then) or a report is invalid for the scope; individual writes that
   * fail are counted and listed in the result instead.
   */
  sync(reports: readonly Report[], scope: SyncScope = {}, options: { signal?: AbortSignal } = {}): Promise<SyncResult> {
    const run = this.#running.then(() => this.#sync(reports, scope, options.signal));
    this.#running = run.catch(() => undefined);
    return run;
  }

  async #sync(reports: readonly Report[], scope: SyncScope, signal: AbortSignal | undefined): Promise<SyncResult> {
    const started = Date.now();
    // Checked before anything is read, so a bad call changes nothing.
    checkDesired(reports, scope);
    const stored = await listStoredReports(this.#store, {
      ...(scope.namespace !== undefined ? { namespace: scope.namespace } : {}),
      ...(scope.clusterScoped ? { clusterScoped: true } : {}),
      pageSize: this.#settings.pageSize,
      retry: (what, request) => this.#withRetries(what, request, { write: false, retryable: isRetryable, signal }),
      ...(signal ? { signal } : {}),
    });
    const plan = planSync(reports, stored, { scope, maxReportBytes: this.#settings.maxReportBytes });
    const result: SyncResult = { applied: 0, unchanged: plan.unchanged.length, deleted: 0, failed: 0, failures: [] };
    const fail = (operation: SyncFailure['operation'], report: Pick<Report, 'kind' | 'metadata'>, error: string): void => {
      result.failed += 1;
      const failure: SyncFailure = { operation, ...describe(report), error };
      result.failures.push(failure);
      this.#log.error({ ...failure }, `${operation} of a report failed`);
    };

    for (const { report, bytes } of plan.refused) {
      fail('apply', report, `the report is ${bytes} bytes of JSON, over the budget of ${this.#settings.maxReportBytes}: not written`);
    }
    // Applies first: when an owner's results move between parts, no part is ever missing.
    await this.#each(plan.apply, signal, async (report) => {
      try {
        await this.#withRetries(`apply ${report.kind}`, () => this.#store.apply(report, signal), { write: true, retryable: isRetryable, signal });
        result.applied += 1;
      } catch (error) {
        if (isAbort(error) || signal?.aborted) throw error;
        fail('apply', report, (error as Error).message);
      }
    });
    await this.#each(plan.delete, signal, async (stale) => {
      const { kind, metadata } = stale.report;
      try {
        await this.#withRetries(`delete ${kind}`, () => this.#store.delete(kind, metadata.name, metadata.namespace, stale.uid, signal), {
          write: true,
          // A conflict on delete is the uid precondition: the object was replaced since it was
          // listed, so it is not the stale one any more. Not worth trying again.
          retryable: (e) => e.status !== 409 && isRetryable(e),
          signal,
        });
        result.deleted += 1;
      } catch (error) {
        if (isAbort(error) || signal?.aborted) throw error;
        if (error instanceof KubeRequestError && error.status === 404) {
          // Gone already (garbage collection got there first): what was wanted.
          result.deleted += 1;
          return;
        }
        fail('delete', stale.report, (error as Error).message);
      }
    });

    const { failures: _failures, ...counts } = result;
    // A full audit syncs every namespace in turn: the ones where nothing changed stay out of the info log.
    const level = counts.applied + counts.deleted + counts.failed > 0 || scope.namespace === undefined ? 'info' : 'debug';
    this.#log[level]({ ...counts, ...(scope.namespace !== undefined ? { namespace: scope.namespace } : {}), durationMs: Date.now() - started }, 'reports synced');
    return result;
  }

  /** Runs `work` over the items with at most `concurrency` in flight. */
  async #each<T>(items: readonly T[], signal: AbortSignal | undefined, work: (item: T) => Promise<void>): Promise<void> {
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < items.length) {
        signal?.throwIfAborted();
        const item = items[next++] as T;
        await work(item);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.#settings.concurrency, items.length) }, worker));
  }

  /** Backoff before try `attempt + 1`: exponential, capped, with jitter; at least the server's Retry-After. */
  backoffMs(attempt: number, retryAfterMs?: number): number {
    const { initialBackoffMs, maxBackoffMs } = this.#settings;
    const exponential = Math.min(maxBackoffMs, initialBackoffMs * 2 ** (attempt - 1));
    const jittered = exponential * (0.5 + 0.5 * this.#random());
    return Math.round(Math.min(maxBackoffMs, Math.max(jittered, retryAfterMs ?? 0)));
  }

  async #withRetries<T>(
    what: string,
    request: () => Promise<T>,
    options: { write: boolean; retryable: (error: KubeRequestError) => boolean; signal: AbortSignal | undefined },
  ): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      if (options.write) await this.#bucket.take(options.signal);
      try {
        return await request();
      } catch (caught) {
        if (isAbort(caught) || options.signal?.aborted) throw caught;
        const error = kubeRequestError(caught, what);
        if (!options.retryable(error) || attempt >= this.#settings.maxAttempts) throw error;
        const waitMs = this.backoffMs(attempt, error.retryAfterMs);
        this.#log.warn({ request: what, status: error.status, reason: error.reason, attempt, retryInMs: waitMs }, 'retrying a request');
        await this.#sleep(waitMs, options.signal);
      }
    }
  }
}
