/**
 * A live copy of one kind of custom resource (Palisade's Rules and Exceptions): a paged list, then
 * a KindWatch from the list's resourceVersion (restarted with backoff, relisted on 410, watched
 * for staleness). `onChange` runs after every change, once the first list is in.
 *
 * While the kind is not served (the CRD not installed yet) the list is tried again with a capped
 * backoff, quietly: a cluster without Palisade's CRDs simply has no such resources.
 */
import type { Logger } from 'pino';
import { collectionPath, type ApiResource } from '../audit/discovery.js';
import { KubeApiError, type KubeApi } from '../audit/kube-api.js';
import { listPages } from '../audit/list.js';
import type { KubeObject } from '../engine/types.js';
import { abortableSleep, KindWatch, type WatchTiming } from './kind-watch.js';
import type { WatchApi } from './watch-stream.js';

export type MirroredResource = Pick<ApiResource, 'group' | 'version' | 'kind' | 'resource' | 'namespaced'>;

export interface ResourceMirrorOptions {
  api: KubeApi;
  watchApi: WatchApi;
  resource: MirroredResource;
  log: Logger;
  onChange: () => void;
  timing?: WatchTiming;
  /** Backoff of the list while it fails (default 1 s doubling to 60 s). */
  initialRetryMs?: number;
  maxRetryMs?: number;
}

export class ResourceMirror {
  readonly #o: ResourceMirrorOptions;
  readonly #objects = new Map<string, KubeObject>();
  #synced = false;
  #firstList: Promise<void>;
  #listed!: () => void;

  constructor(options: ResourceMirrorOptions) {
    this.#o = options;
    this.#firstList = new Promise((resolve) => (this.#listed = resolve));
  }

  get synced(): boolean {
    return this.#synced;
  }

  list(): KubeObject[] {
    return [...this.#objects.values()];
  }

  /** What the objects are now, as uid@resourceVersion: equal fingerprints, nothing changed. */
  fingerprint(): string {
    return [...this.#objects.values()].map((o) => `${uidOf(o)}@${versionOf(o)}`).sort().join(',');
  }

  /** Resolves after the first list attempt (successful or not), so start-up does not wait on a missing CRD. */
  get firstAttempt(): Promise<void> {
    return this.#firstList;
  }

  /** Mirrors until the signal aborts. */
  async run(signal: AbortSignal): Promise<void> {
    const sleep = this.#o.timing?.sleep ?? abortableSleep;
    let failures = 0;
    while (!signal.aborted) {
      let version: string;
      try {
        version = await this.#relist(signal);
        failures = 0;
      } catch (error) {
        this.#listed();
        if (signal.aborted) return;
        failures += 1;
        const notServed = error instanceof KubeApiError && error.status === 404;
        const wait = Math.min(this.#o.maxRetryMs ?? 60_000, (this.#o.initialRetryMs ?? 1_000) * 2 ** (failures - 1));
        if (notServed) this.#o.log.debug({ kind: this.#o.resource.kind, retryInMs: wait }, 'not served by the cluster (CRD not installed); looking again later');
        else this.#o.log.warn({ kind: this.#o.resource.kind, err: (error as Error).message, retryInMs: wait }, 'cannot list; trying again');
        await sleep(wait, signal).catch(() => undefined);
        continue;
      }
      const watch = new KindWatch({
        api: this.#o.watchApi,
        path: collectionPath(this.#o.resource),
        label: `${this.#o.resource.group}/${this.#o.resource.kind}`,
        resourceVersion: version,
        onEvent: (event) => {
          const object = event.object as KubeObject;
          const uid = uidOf(object);
          if (!uid) return;
          if (event.type === 'DELETED') this.#objects.delete(uid);
          else this.#objects.set(uid, this.#typed(object));
          this.#o.onChange();
        },
        relist: (relistSignal) => this.#relist(relistSignal),
        onRestart: (reason, detail) => this.#o.log.debug({ kind: this.#o.resource.kind, reason, detail }, 'watch restarting'),
        ...(this.#o.timing ? { timing: this.#o.timing } : {}),
      });
      await watch.run(signal);
    }
  }

  async #relist(signal: AbortSignal): Promise<string> {
    const next = new Map<string, KubeObject>();
    let version = '';
    for await (const page of listPages(this.#o.api, this.#o.resource, { signal })) {
      version = page.resourceVersion ?? version;
      for (const object of page.items) next.set(uidOf(object), this.#typed(object));
    }
    const before = this.fingerprint();
    this.#objects.clear();
    for (const [uid, object] of next) this.#objects.set(uid, object);
    this.#synced = true;
    this.#listed();
    if (this.fingerprint() !== before) this.#o.onChange();
    return version;
  }

  /** apiVersion and kind set, as loadPolicy reads them. */
  #typed(object: KubeObject): KubeObject {
    const { group, version, kind } = this.#o.resource;
    return { ...object, apiVersion: `${group}/${version}`, kind };
  }
}

function metadataOf(object: KubeObject): Record<string, unknown> {
  const metadata = object['metadata'];
  return typeof metadata === 'object' && metadata !== null ? (metadata as Record<string, unknown>) : {};
}

function uidOf(object: KubeObject): string {
  const uid = metadataOf(object)['uid'];
  return typeof uid === 'string' ? uid : '';
}

function versionOf(object: KubeObject): string {
  const version = metadataOf(object)['resourceVersion'];
  return typeof version === 'string' ? version : '';
}
