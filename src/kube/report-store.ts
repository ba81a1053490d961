/**
 * Where Palisade's OpenReports objects live: the API server's `openreports.io/v1alpha1` Reports and
 * ClusterReports. `ReportStore` is the writer's one door to them (a page of a list, a server-side
 * apply, a delete), so the writer's diffing and pacing can be tested against data, and
 * `readStoredReports` gives any replica or the CLI the stored reports to render from.
 *
 * The custom-objects API is used rather than KubernetesObjectApi: the latter decodes a list's
 * metadata as ObjectMeta, which drops `metadata.continue` of a custom resource list (so paging
 * stops after the first page), and it resolves resources through a discovery cache that can lag a
 * CRD that was established a moment ago. Server-side apply is the same request either way:
 * `application/apply-patch+yaml` under the field manager `palisade`, forced.
 */
import { CustomObjectsApi, PatchStrategy, setHeaderOptions, type KubeConfig } from '@kubernetes/client-node';
import { MANAGED_BY_LABEL, REPORT_SOURCE } from '../reports/openreports.js';
import { readReport } from '../reports/read-report.js';
import type { Report } from '../reports/types.js';
import { untilAborted } from './until-aborted.js';
import { FIELD_MANAGER } from './webhook-reconciler.js';
import { isRecord } from '../json/is-record.js';

export const OPENREPORTS_GROUP = 'openreports.io';
export const OPENREPORTS_VERSION = 'v1alpha1';
export type ReportKind = Report['kind'];
export const REPORT_KINDS: readonly ReportKind[] = ['Report', 'ClusterReport'];
const PLURALS: Record<ReportKind, string> = { Report: 'reports', ClusterReport: 'clusterreports' };

/** Selects the reports Palisade wrote (and only those: other engines write Reports too). */
export const MANAGED_SELECTOR = `${MANAGED_BY_LABEL}=${REPORT_SOURCE}`;
export const DEFAULT_PAGE_SIZE = 250;
const MAX_LIST_RESTARTS = 3;

/** A request the API server refused or that never got an answer (status 0). */
export class KubeRequestError extends Error {
  /** HTTP status; 0 when there was no response (connection refused, reset, timed out). */
  readonly status: number;
  /** metav1.Status reason (NotFound, Conflict, TooManyRequests, Expired, …); '' when not sent. */
  readonly reason: string;
  /** The server's Retry-After, when it sent one. */
  readonly retryAfterMs: number | undefined;
  constructor(status: number, reason: string, message: string, retryAfterMs?: number) {
    super(message);
    this.name = 'KubeRequestError';
    this.status = status;
    this.reason = reason;
    this.retryAfterMs = retryAfterMs;
  }
}

/** True for an AbortSignal's rejection: never retried, never wrapped. */
export function isAbort(error: unknown): boolean {
  return error instanceof Error && (error.name === 'AbortError' || (error as { code?: unknown }).code === 'ABORT_ERR');
}

/**
 * The client's errors as KubeRequestError: client-node's ApiException (`code`, `body`, `headers`)
 * or a network error (no status). `what` names the request, for the message.
 */
export function kubeRequestError(error: unknown, what: string): KubeRequestError {
  if (error instanceof KubeRequestError) return error;
  const record = isRecord(error) ? error : {};
  const status = typeof record['code'] === 'number' ? record['code'] : 0;
  let body = record['body'];
  if (typeof body === 'string') {
    try {
      body = JSON.parse(body) as unknown;
    } catch {
      // Not a Status: the text itself is the message.
    }
  }
  const reason = isRecord(body) && typeof body['reason'] === 'string' ? body['reason'] : '';
  const detail = isRecord(body) && typeof body['message'] === 'string'
    ? body['message']
    : typeof body === 'string' && body.trim() !== ''
      ? body.trim().slice(0, 500)
      : error instanceof Error ? error.message : String(error);
  const headers = isRecord(record['headers']) ? record['headers'] : {};
  const retryAfter = Number(headers['retry-after'] ?? headers['Retry-After']);
  const retryAfterMs = Number.isFinite(retryAfter) && retryAfter >= 0 ? retryAfter * 1000 : undefined;
  const prefix = status === 0 ? `${what}: no response` : `${what}: ${status}${reason ? ` ${reason}` : ''}`;
  return new KubeRequestError(status, reason, `${prefix}: ${detail}`, retryAfterMs);
}

/** What is worth trying again: throttling (429), server errors (5xx), conflicts (409), no response. */
export function isRetryable(error: KubeRequestError): boolean {
  return error.status === 0 || error.status === 409 || error.status === 429 || error.status >= 500;
}

export interface ListRequest {
  /** Reports of one namespace; absent: every namespace (ClusterReports are never namespaced). */
  namespace?: string;
  labelSelector?: string;
  limit: number;
  continue?: string;
}

export interface ListPage {
  /** Raw objects, as the API server sent them: untrusted until readReport has looked at them. */
  items: unknown[];
  /** Set when there is a further page. */
  continue?: string;
}

export interface ReportStore {
  list(kind: ReportKind, request: ListRequest, signal?: AbortSignal): Promise<ListPage>;
  /** Server-side apply of the whole report, field manager `palisade`, forced. */
  apply(report: Report, signal?: AbortSignal): Promise<void>;
  /** Deletes the object, only if it still has this uid (when given). A 404 is an error here. */
  delete(kind: ReportKind, name: string, namespace: string | undefined, uid: string | undefined, signal?: AbortSignal): Promise<void>;
}

/** A report read back, with what identifies the stored object. */
export interface StoredReport {
  report: Report;
  uid?: string;
  resourceVersion?: string;
}

/** Races the request against the signal: client-node's generated API takes no AbortSignal. */
async function call<T>(what: string, request: () => Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  signal?.throwIfAborted();
  try {
    return await untilAborted(request(), signal);
  } catch (error) {
    if (isAbort(error) || (signal?.aborted && error === signal.reason)) throw error;
    throw kubeRequestError(error, what);
  }
}

function where(kind: ReportKind, name: string, namespace: string | undefined): string {
  return `${kind} ${namespace ? `${namespace}/` : ''}${name}`;
}

/** The ReportStore of a real cluster. */
export function kubeReportStore(kc: KubeConfig): ReportStore {
  const api = kc.makeApiClient(CustomObjectsApi);
  const base = { group: OPENREPORTS_GROUP, version: OPENREPORTS_VERSION };
  const applyOptions = setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply);
  return {
    async list(kind, request, signal) {
      const query = {
        ...base,
        plural: PLURALS[kind],
        ...(request.labelSelector ? { labelSelector: request.labelSelector } : {}),
        limit: request.limit,
        ...(request.continue ? { _continue: request.continue } : {}),
      };
      const what = `list ${PLURALS[kind]}${request.namespace ? ` in ${request.namespace}` : ''}`;
      const body: unknown = await call(what, () => (kind === 'Report' && request.namespace
        ? api.listNamespacedCustomObject({ ...query, namespace: request.namespace })
        : api.listClusterCustomObject(query)) as Promise<unknown>, signal);
      const list = isRecord(body) ? body : {};
      const metadata = isRecord(list['metadata']) ? list['metadata'] : {};
      const next = metadata['continue'];
      return {
        items: Array.isArray(list['items']) ? list['items'] : [],
        ...(typeof next === 'string' && next !== '' ? { continue: next } : {}),
      };
    },
    async apply(report, signal) {
      const { name, namespace } = report.metadata;
      const request = { ...base, plural: PLURALS[report.kind], name, body: report, fieldManager: FIELD_MANAGER, force: true };
      await call(`apply ${where(report.kind, name, namespace)}`, () => (report.kind === 'Report'
        ? api.patchNamespacedCustomObject({ ...request, namespace: namespace ?? '' }, applyOptions)
        : api.patchClusterCustomObject(request, applyOptions)) as Promise<unknown>, signal);
    },
    async delete(kind, name, namespace, uid, signal) {
      const request = { ...base, plural: PLURALS[kind], name, ...(uid ? { body: { preconditions: { uid } } } : {}) };
      await call(`delete ${where(kind, name, namespace)}`, () => (kind === 'Report'
        ? api.deleteNamespacedCustomObject({ ...request, namespace: namespace ?? '' })
        : api.deleteClusterCustomObject(request)) as Promise<unknown>, signal);
    },
  };
}

export interface ListStoredOptions {
  /** Reports of this namespace only, and no ClusterReports. */
  namespace?: string;
  /** ClusterReports only. */
  clusterScoped?: boolean;
  /** Default: Palisade's reports only (MANAGED_SELECTOR). */
  labelSelector?: string;
  pageSize?: number;
  /** Wraps each page request, e.g. with retries. Default: the request itself. */
  retry?: <T>(what: string, request: () => Promise<T>) => Promise<T>;
  signal?: AbortSignal;
}

function storedOf(value: unknown): StoredReport | undefined {
  const report = readReport(value);
  if (!report) return undefined;
  const metadata = isRecord(value) && isRecord(value['metadata']) ? value['metadata'] : {};
  const uid = metadata['uid'];
  const resourceVersion = metadata['resourceVersion'];
  return {
    report,
    ...(typeof uid === 'string' ? { uid } : {}),
    ...(typeof resourceVersion === 'string' ? { resourceVersion } : {}),
  };
}

/**
 * Every stored report of one kind, page by page (`limit` + `continue`). An expired continue token
 * (410) starts the list again; objects already yielded (by uid) are not yielded twice. Objects that
 * are not valid reports are skipped (readReport).
 */
export async function* storedReportPages(store: ReportStore, kind: ReportKind, options: ListStoredOptions = {}): AsyncGenerator<StoredReport[]> {
  if (kind === 'ClusterReport' && options.namespace !== undefined) return;
  if (kind === 'Report' && options.clusterScoped) return;
  const pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(pageSize) || pageSize < 1) throw new RangeError(`pageSize must be a positive integer, got ${pageSize}`);
  const retry = options.retry ?? (<T>(_what: string, request: () => Promise<T>) => request());
  const seen = new Set<string>();
  let token: string | undefined;
  let restarts = 0;
  for (;;) {
    options.signal?.throwIfAborted();
    const request: ListRequest = {
      ...(options.namespace !== undefined ? { namespace: options.namespace } : {}),
      labelSelector: options.labelSelector ?? MANAGED_SELECTOR,
      limit: pageSize,
      ...(token !== undefined ? { continue: token } : {}),
    };
    let page: ListPage;
    try {
      page = await retry(`list ${PLURALS[kind]}`, () => store.list(kind, request, options.signal));
    } catch (error) {
      if (isAbort(error) || options.signal?.aborted) throw error;
      const failure = kubeRequestError(error, `list ${PLURALS[kind]}`);
      if (token !== undefined && failure.status === 410 && restarts < MAX_LIST_RESTARTS) {
        restarts += 1;
        token = undefined;
        continue;
      }
      throw failure;
    }
    const reports: StoredReport[] = [];
    for (const item of page.items) {
      const stored = storedOf(item);
      if (!stored) continue;
      const key = stored.uid ?? `${stored.report.metadata.namespace ?? ''}/${stored.report.metadata.name}`;
      if (seen.has(key)) continue;
      seen.add(key);
      reports.push(stored);
    }
    yield reports;
    if (page.continue === undefined) return;
    token = page.continue;
  }
}

/** Every stored Report (and, without a namespace, ClusterReport) of Palisade's, all pages. */
export async function listStoredReports(store: ReportStore, options: ListStoredOptions = {}): Promise<StoredReport[]> {
  const out: StoredReport[] = [];
  for (const kind of REPORT_KINDS) {
    for await (const page of storedReportPages(store, kind, options)) out.push(...page);
  }
  return out;
}

export interface ReadStoredOptions {
  namespace?: string;
  pageSize?: number;
  signal?: AbortSignal;
}

/**
 * Palisade's stored reports, as the rollout report and the compliance summary read them. A cluster
 * without the OpenReports CRDs has none: that is an error here (KubeRequestError, 404), so a
 * caller can tell "nothing found" from "nothing can be stored".
 */
export async function readStoredReports(kc: KubeConfig, options: ReadStoredOptions = {}): Promise<Report[]> {
  const stored = await listStoredReports(kubeReportStore(kc), {
    ...(options.namespace !== undefined ? { namespace: options.namespace } : {}),
    ...(options.pageSize !== undefined ? { pageSize: options.pageSize } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  return stored.map((s) => s.report);
}
