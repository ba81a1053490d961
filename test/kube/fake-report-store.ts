/**
 * An in-memory ReportStore that behaves like the API server where the writer can tell: objects
 * come back as plain JSON with server fields added (uid, resourceVersion, managedFields) and keys
 * in another order; lists are filtered by one `key=value` label selector and paged with `limit` +
 * `continue`; delete honours a uid precondition. Failures are scripted per operation, shaped like
 * client-node's ApiException. Not a *.test.ts file, so tap does not run it on its own.
 */
import type { ListPage, ListRequest, ReportKind, ReportStore } from '../../src/kube/report-store.js';
import type { Report } from '../../src/reports/types.js';

type Raw = Record<string, unknown> & { metadata: Record<string, unknown> & { name: string; namespace?: string; labels?: Record<string, string> } };

export type Operation = 'list' | 'apply' | 'delete';

/** An error as client-node throws it for a non-2xx response (ApiException: code, body, headers). */
export function apiError(code: number, reason: string, headers: Record<string, string> = {}): Error {
  return Object.assign(new Error(`HTTP-Code: ${code}`), { code, body: JSON.stringify({ kind: 'Status', reason, message: `${reason} (fake)` }), headers });
}

/** A connection that failed before any response. */
export function networkError(): Error {
  return Object.assign(new Error('request to https://127.0.0.1/ failed, reason: socket hang up'), { code: 'ECONNRESET' });
}

/** Reverses key order at every level, as a reminder that the server does not keep it. */
function shuffled(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v as Record<string, unknown>).reverse()) : v)) as unknown;
}

export class FakeReportStore implements ReportStore {
  readonly objects = new Map<string, Raw>();
  /** Every request, in order: `list Report`, `apply Report shop/name`, `delete ClusterReport name`. */
  readonly calls: string[] = [];
  /** When set, the next request with a continue token answers 410 Expired (the token aged out), once. */
  expireTokensOnce = false;
  readonly #failures: { operation: Operation; error: Error }[] = [];
  #uids = 0;
  #revision = 100;

  static key(kind: string, namespace: string | undefined, name: string): string {
    return `${kind}/${namespace ?? ''}/${name}`;
  }

  /** The next request of this operation fails with the error (queued: call several times for several). */
  failNext(operation: Operation, error: Error): void {
    this.#failures.push({ operation, error });
  }

  #takeFailure(operation: Operation): void {
    const index = this.#failures.findIndex((f) => f.operation === operation);
    if (index === -1) return;
    const [failure] = this.#failures.splice(index, 1);
    if (failure) throw failure.error;
  }

  /** Stores an object as given (another tool's report, or one Palisade wrote before). */
  put(object: Record<string, unknown>): void {
    const raw = JSON.parse(JSON.stringify(object)) as Raw;
    raw.metadata['uid'] ??= `uid-${++this.#uids}`;
    raw.metadata['resourceVersion'] = String(++this.#revision);
    this.objects.set(FakeReportStore.key(String(raw['kind']), raw.metadata.namespace, raw.metadata.name), raw);
  }

  get(kind: ReportKind, namespace: string | undefined, name: string): Raw | undefined {
    return this.objects.get(FakeReportStore.key(kind, namespace, name));
  }

  async list(kind: ReportKind, request: ListRequest): Promise<ListPage> {
    this.calls.push(`list ${kind}${request.namespace ? ` ${request.namespace}` : ''}`);
    this.#takeFailure('list');
    const [labelKey, labelValue] = (request.labelSelector ?? '').split('=');
    const matching = [...this.objects.values()]
      .filter((o) => o['kind'] === kind)
      .filter((o) => request.namespace === undefined || o.metadata.namespace === request.namespace)
      .filter((o) => !labelKey || o.metadata.labels?.[labelKey] === labelValue)
      .sort((a, b) => `${a.metadata.namespace ?? ''}/${a.metadata.name}`.localeCompare(`${b.metadata.namespace ?? ''}/${b.metadata.name}`));
    if (request.continue !== undefined && this.expireTokensOnce) {
      this.expireTokensOnce = false;
      throw apiError(410, 'Expired');
    }
    const start = request.continue === undefined ? 0 : Number(request.continue);
    const items = matching.slice(start, start + request.limit).map(shuffled);
    const next = start + request.limit;
    return { items, ...(next < matching.length ? { continue: String(next) } : {}) };
  }

  async apply(report: Report): Promise<void> {
    const { namespace, name } = report.metadata;
    this.calls.push(`apply ${report.kind} ${namespace ? `${namespace}/` : ''}${name}`);
    this.#takeFailure('apply');
    const existing = this.get(report.kind, namespace, name);
    const raw = JSON.parse(JSON.stringify(report)) as Raw;
    raw.metadata['uid'] = existing?.metadata['uid'] ?? `uid-${++this.#uids}`;
    raw.metadata['resourceVersion'] = String(++this.#revision);
    raw.metadata['creationTimestamp'] = existing?.metadata['creationTimestamp'] ?? '2026-03-01T12:00:00Z';
    raw.metadata['managedFields'] = [{ manager: 'palisade', operation: 'Apply', apiVersion: 'openreports.io/v1alpha1' }];
    this.objects.set(FakeReportStore.key(report.kind, namespace, name), raw);
  }

  async delete(kind: ReportKind, name: string, namespace: string | undefined, uid: string | undefined): Promise<void> {
    this.calls.push(`delete ${kind} ${namespace ? `${namespace}/` : ''}${name}`);
    this.#takeFailure('delete');
    const existing = this.get(kind, namespace, name);
    if (!existing) throw apiError(404, 'NotFound');
    if (uid !== undefined && existing.metadata['uid'] !== uid) throw apiError(409, 'Conflict');
    this.objects.delete(FakeReportStore.key(kind, namespace, name));
  }
}

/** A clock that moves only when something sleeps on it. */
export class FakeClock {
  ms = 0;
  readonly sleeps: number[] = [];
  now = (): number => this.ms;
  sleep = async (ms: number, signal?: AbortSignal): Promise<void> => {
    signal?.throwIfAborted();
    this.sleeps.push(ms);
    this.ms += ms;
  };
}
