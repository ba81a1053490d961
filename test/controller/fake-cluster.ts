/**
 * test/audit/fake-cluster.ts with a history: every object has a resourceVersion, lists say theirs,
 * and the cluster can be changed while watched (`create`, `update`, `remove`), which the watchers of
 * the object's collection receive as events. Watches can be scripted to fail: 410 Gone on the next
 * start (`goneOnce`), a dropped connection (`dropWatches`), a refusal (`refuseWatches`).
 * Not a *.test.ts file: tap does not run it on its own.
 */
import { KubeApiError, type GetOptions } from '../../src/audit/kube-api.js';
import type { WatchApi, WatchEvent, WatchQuery } from '../../src/controller/watch-stream.js';
import type { KubeObject } from '../../src/engine/types.js';
import { FakeCluster, readObjects } from '../audit/fake-cluster.js';

interface Watcher {
  path: string;
  push: (event: WatchEvent | Error | 'end') => void;
}

export interface WatchRequest {
  path: string;
  resourceVersion?: string;
}

const PLURALS: Record<string, string> = {
  Namespace: '/api/v1/namespaces',
  Pod: '/api/v1/pods',
  ConfigMap: '/api/v1/configmaps',
  Deployment: '/apis/apps/v1/deployments',
  ReplicaSet: '/apis/apps/v1/replicasets',
  Job: '/apis/batch/v1/jobs',
  CronJob: '/apis/batch/v1/cronjobs',
  NetworkPolicy: '/apis/networking.k8s.io/v1/networkpolicies',
  Widget: '/apis/example.com/v1/widgets',
};

export function metadataOf(object: KubeObject): Record<string, unknown> {
  return object['metadata'] as Record<string, unknown>;
}

export class HistoryCluster extends FakeCluster implements WatchApi {
  readonly objects: KubeObject[];
  revision = 1000;
  readonly watchRequests: WatchRequest[] = [];
  /** Collection paths whose next watch fails with 410 Gone (once each). */
  readonly goneOnce = new Set<string>();
  /** Collection paths whose watches are refused (500) while listed here. */
  readonly refused = new Set<string>();
  readonly #watchers = new Set<Watcher>();
  /** Every event, as the API server's watch cache keeps them: a watch from a version replays the later ones. */
  readonly #history: { path: string; version: number; event: WatchEvent }[] = [];
  #uids = 0;

  constructor(objects: KubeObject[] = readObjects()) {
    super(objects);
    this.objects = objects;
    for (const object of objects) {
      const metadata = metadataOf(object);
      metadata['resourceVersion'] ??= String(++this.revision);
    }
  }

  override async get(path: string, options: GetOptions = {}): Promise<unknown> {
    const body = await super.get(path, options);
    if (typeof body === 'object' && body !== null && Array.isArray((body as Record<string, unknown>)['items'])) {
      const list = body as { metadata: Record<string, unknown> };
      list.metadata = { ...list.metadata, resourceVersion: String(this.revision) };
    }
    return body;
  }

  /** Watchers currently open on a path. */
  watching(path: string): number {
    return [...this.#watchers].filter((w) => w.path === path).length;
  }

  async *watch(path: string, query: WatchQuery, signal: AbortSignal): AsyncIterable<WatchEvent> {
    this.watchRequests.push({ path, ...(query.resourceVersion !== undefined ? { resourceVersion: query.resourceVersion } : {}) });
    if (this.goneOnce.delete(path)) throw new KubeApiError(410, 'Expired', `watch ${path}: 410 Expired: too old resource version`);
    if (this.refused.has(path)) throw new KubeApiError(500, 'InternalError', `watch ${path}: 500 InternalError`);
    const queue: (WatchEvent | Error | 'end')[] = [];
    let wake: (() => void) | undefined;
    const watcher: Watcher = { path, push: (item) => { queue.push(item); wake?.(); } };
    const from = Number(query.resourceVersion ?? this.revision);
    for (const past of this.#history) if (past.path === path && past.version > from) queue.push(structuredClone(past.event));
    this.#watchers.add(watcher);
    const onAbort = (): void => watcher.push(new DOMException('aborted', 'AbortError') as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      for (;;) {
        const item = queue.shift();
        if (item === undefined) {
          await new Promise<void>((resolve) => (wake = resolve));
          wake = undefined;
          continue;
        }
        if (item === 'end') return;
        if (item instanceof Error) throw item;
        yield item;
      }
    } finally {
      signal.removeEventListener('abort', onAbort);
      this.#watchers.delete(watcher);
    }
  }

  #emit(type: WatchEvent['type'], object: KubeObject): void {
    const path = PLURALS[String(object['kind'])] ?? '';
    const event: WatchEvent = { type, object: structuredClone(object) };
    this.#history.push({ path, version: Number(metadataOf(object)['resourceVersion']), event });
    for (const watcher of this.#watchers) if (watcher.path === path) watcher.push(structuredClone(event));
  }

  /** Adds an object (a uid and resourceVersion are given) and tells the watchers. */
  create(object: KubeObject): KubeObject {
    const metadata = metadataOf(object);
    metadata['uid'] ??= `uid-${++this.#uids}`;
    metadata['resourceVersion'] = String(++this.revision);
    this.objects.push(object);
    this.#emit('ADDED', object);
    return object;
  }

  /** Changes an object in place (by uid) and tells the watchers. */
  update(uid: string, change: (object: KubeObject) => void): KubeObject {
    const object = this.#find(uid);
    change(object);
    metadataOf(object)['resourceVersion'] = String(++this.revision);
    this.#emit('MODIFIED', object);
    return object;
  }

  /** Deletes an object (by uid) and tells the watchers. */
  remove(uid: string): void {
    const object = this.#find(uid);
    this.objects.splice(this.objects.indexOf(object), 1);
    metadataOf(object)['resourceVersion'] = String(++this.revision);
    this.#emit('DELETED', object);
  }

  /** Changes an object without any watcher hearing of it (what a compacted-away gap looks like). */
  silently(uid: string, change: (object: KubeObject) => void): void {
    const object = this.#find(uid);
    change(object);
    metadataOf(object)['resourceVersion'] = String(++this.revision);
  }

  /** Ends every open watch of a path normally (the server's timeout), or with an error. */
  endWatches(path: string, error?: Error): void {
    for (const watcher of this.#watchers) if (watcher.path === path) watcher.push(error ?? 'end');
  }

  /** Sends an ERROR event (a Status) to the watchers of a path. */
  errorEvent(path: string, code: number, reason: string): void {
    for (const watcher of this.#watchers) if (watcher.path === path) watcher.push({ type: 'ERROR', object: { kind: 'Status', code, reason, message: 'too old resource version' } });
  }

  #find(uid: string): KubeObject {
    const object = this.objects.find((o) => metadataOf(o)['uid'] === uid);
    if (!object) throw new Error(`no object with uid ${uid}`);
    return object;
  }
}
