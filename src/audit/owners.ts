/**
 * Owner attribution: who a finding belongs to. A Pod made by a ReplicaSet made by a Deployment is
 * reported under the Deployment, a Job made by a CronJob under the CronJob: the chain follows the
 * ownerReference marked `controller: true`, the one the garbage collector and `kubectl` follow.
 *
 * Owners the audit listed anyway (it lists every audited kind) cost nothing. The others are read
 * metadata-only (PartialObjectMetadata: no spec, no status, never a Secret's data), one level of
 * the chains at a time, with a GET per owner or, when many owners of one kind share a namespace, one
 * paged metadata list; every answer is cached for the resolver's life. An owner that cannot be
 * read (deleted, forbidden, a kind the cluster no longer serves) ends the chain at its reference,
 * with subject.ts's name inference on top (ReplicaSet `web-5d4f9` with pod-template-hash `5d4f9`
 * → Deployment `web`).
 */
import { setKey } from '../json/set-key.js';
import type { KubeObject } from '../engine/types.js';
import { subjectOf } from '../policy/subject.js';
import { apiVersionOf, collectionPath, type Discovery } from './discovery.js';
import { KubeApiError, METADATA_ACCEPT, type KubeApi } from './kube-api.js';
import { listObjects } from './list.js';
import type { ObjectRef } from './types.js';
import { isRecord } from '../json/is-record.js';

/** An ownerReference with `controller: true`. */
export interface ControllerRef {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
}

/** What attribution needs of an object: never more than its metadata. */
export interface OwnerNode {
  ref: ObjectRef;
  labels: Record<string, string>;
  controller?: ControllerRef;
}

/** An owner to read: its reference, and the namespace of the object that points at it. */
export interface OwnerLookup {
  ref: ControllerRef;
  namespace?: string;
}

export interface Unreadable {
  unreadable: string;
  /** False when discovery says the owner's kind is cluster-scoped. */
  namespaced?: boolean;
}

/** Reads owners by reference; answers by uid: the owner, or why it could not be read. */
export interface OwnerReader {
  read(lookups: readonly OwnerLookup[], signal?: AbortSignal): Promise<Map<string, OwnerNode | Unreadable>>;
}

/** Chains longer than this are cut (ownerReferences can form cycles through bad controllers). */
export const MAX_CHAIN = 16;

export function ownerNodeOf(object: KubeObject, apiVersion = stringOf(object['apiVersion']), kind = stringOf(object['kind'])): OwnerNode {
  const metadata = isRecord(object['metadata']) ? object['metadata'] : {};
  const namespace = stringOf(metadata['namespace']);
  const uid = stringOf(metadata['uid']);
  const controller = controllerOf(metadata);
  return {
    ref: { apiVersion, kind, ...(namespace ? { namespace } : {}), name: stringOf(metadata['name']), ...(uid ? { uid } : {}) },
    labels: labelsOf(metadata),
    ...(controller ? { controller } : {}),
  };
}

/** The ownerReference with `controller: true`, if the object has one. */
export function controllerOf(metadata: Record<string, unknown>): ControllerRef | undefined {
  const refs = Array.isArray(metadata['ownerReferences']) ? metadata['ownerReferences'] : [];
  for (const ref of refs) {
    if (!isRecord(ref) || ref['controller'] !== true) continue;
    const [apiVersion, kind, name, uid] = [ref['apiVersion'], ref['kind'], ref['name'], ref['uid']].map(stringOf);
    if (kind && name && uid) return { apiVersion: apiVersion ?? '', kind, name, uid };
  }
  return undefined;
}

export class OwnerResolver {
  readonly #reader: OwnerReader | undefined;
  readonly #known = new Map<string, OwnerNode>();
  readonly #unreadable = new Map<string, Unreadable>();

  /** Without a reader, only owners given to `remember` are known (the others end the chain). */
  constructor(reader?: OwnerReader) {
    this.#reader = reader;
  }

  /** An object read anyway (listed by the audit): a possible owner that needs no request. */
  remember(node: OwnerNode): void {
    if (node.ref.uid) this.#known.set(node.ref.uid, node);
  }

  /** Owners that could not be read, by uid, with why (for diagnostics). */
  get unreadable(): ReadonlyMap<string, Unreadable> {
    return this.#unreadable;
  }

  /** Reads every owner the chains of `nodes` need and nobody has read yet, one level at a time. */
  async resolve(nodes: Iterable<OwnerNode>, signal?: AbortSignal): Promise<void> {
    let frontier = [...nodes];
    const visited = new Set<string>();
    for (let depth = 0; depth < MAX_CHAIN && frontier.length > 0; depth++) {
      const missing = new Map<string, OwnerLookup>();
      for (const node of frontier) {
        const c = node.controller;
        if (c && !this.#known.has(c.uid) && !this.#unreadable.has(c.uid) && !missing.has(c.uid)) {
          missing.set(c.uid, { ref: c, ...(node.ref.namespace ? { namespace: node.ref.namespace } : {}) });
        }
      }
      if (missing.size > 0) {
        const read = this.#reader ? await this.#reader.read([...missing.values()], signal) : new Map<string, OwnerNode | Unreadable>();
        for (const uid of missing.keys()) {
          const answer = read.get(uid) ?? { unreadable: 'not read' };
          if ('unreadable' in answer) this.#unreadable.set(uid, answer);
          else this.#known.set(uid, answer);
        }
      }
      const next: OwnerNode[] = [];
      for (const node of frontier) {
        const parent = node.controller ? this.#known.get(node.controller.uid) : undefined;
        const uid = parent?.ref.uid;
        if (parent && uid && !visited.has(uid)) {
          visited.add(uid);
          next.push(parent);
        }
      }
      frontier = next;
    }
  }

  /** The owner chain of a node, nearest first (empty when it has no controller). Call resolve first. */
  chainOf(node: OwnerNode): OwnerNode[] {
    const chain: OwnerNode[] = [];
    const seen = new Set<string>(node.ref.uid ? [node.ref.uid] : []);
    let current = node;
    while (current.controller && chain.length < MAX_CHAIN) {
      const c = current.controller;
      if (seen.has(c.uid)) break;
      seen.add(c.uid);
      const parent = this.#known.get(c.uid);
      if (parent) {
        chain.push(parent);
        current = parent;
        continue;
      }
      const namespaced = this.#unreadable.get(c.uid)?.namespaced ?? true;
      const namespace = namespaced ? current.ref.namespace : undefined;
      chain.push({ ref: { apiVersion: c.apiVersion, kind: c.kind, ...(namespace ? { namespace } : {}), name: c.name, uid: c.uid }, labels: {} });
      chain.push(...inferredBeyond(current));
      break;
    }
    return chain;
  }
}

/**
 * Owners above the unreadable controller of `node`, inferred from names as subject.ts does for
 * admission (a Pod's ReplicaSet → its Deployment), without a cluster read.
 */
function inferredBeyond(node: OwnerNode): OwnerNode[] {
  const skeleton: KubeObject = {
    apiVersion: node.ref.apiVersion,
    kind: node.ref.kind,
    metadata: {
      name: node.ref.name,
      ...(node.ref.namespace ? { namespace: node.ref.namespace } : {}),
      labels: node.labels,
      ownerReferences: node.controller ? [node.controller] : [],
    },
  };
  return subjectOf({ object: skeleton, operation: 'CREATE' }).owners.slice(1).map((owner) => ({
    ref: { apiVersion: owner.apiVersion ?? '', kind: owner.kind, ...(node.ref.namespace ? { namespace: node.ref.namespace } : {}), name: owner.name },
    labels: {},
  }));
}

export interface MetadataReaderOptions {
  /** From this many owners of one kind in one namespace, one metadata list replaces the GETs (default 20). */
  listThreshold?: number;
  /** GETs in flight at once (default 8). */
  concurrency?: number;
  pageSize?: number;
}

/** Reads owners from the API server, metadata only. */
export function metadataReader(api: KubeApi, discovery: Discovery, options: MetadataReaderOptions = {}): OwnerReader {
  const threshold = options.listThreshold ?? 20;
  const concurrency = options.concurrency ?? 8;
  return {
    async read(lookups, signal) {
      const out = new Map<string, OwnerNode | Unreadable>();
      const batches = new Map<string, OwnerLookup[]>();
      for (const lookup of lookups) {
        const key = `${groupOf(lookup.ref.apiVersion)}\u0000${lookup.ref.kind}\u0000${lookup.namespace ?? ''}`;
        const batch = batches.get(key);
        if (batch) batch.push(lookup);
        else batches.set(key, [lookup]);
      }
      const gets: (() => Promise<void>)[] = [];
      for (const batch of batches.values()) {
        const first = batch[0] as OwnerLookup;
        const resource = await discovery.find(groupOf(first.ref.apiVersion), first.ref.kind, signal);
        if ('error' in resource) {
          for (const lookup of batch) out.set(lookup.ref.uid, { unreadable: resource.error });
          continue;
        }
        const namespace = resource.namespaced ? first.namespace : undefined;
        const apiVersion = apiVersionOf(resource);
        const namespaced = resource.namespaced;
        if (batch.length >= threshold && resource.verbs.includes('list')) {
          const wanted = new Set(batch.map((l) => l.ref.uid));
          try {
            for await (const item of listObjects(api, resource, { metadataOnly: true, ...(namespace ? { namespace } : {}), ...(options.pageSize ? { pageSize: options.pageSize } : {}), ...(signal ? { signal } : {}) })) {
              const node = ownerNodeOf(item, apiVersion, resource.kind);
              if (node.ref.uid && wanted.has(node.ref.uid)) out.set(node.ref.uid, node);
            }
            for (const uid of wanted) if (!out.has(uid)) out.set(uid, { unreadable: 'not found', namespaced });
            continue;
          } catch (error) {
            if (signal?.aborted) throw error;
            // A list we may not make can still be GETs we may make.
          }
        }
        for (const lookup of batch) {
          gets.push(async () => {
            const path = `${collectionPath(resource, namespace)}/${encodeURIComponent(lookup.ref.name)}`;
            try {
              const item = await api.get(path, { accept: METADATA_ACCEPT, ...(signal ? { signal } : {}) });
              const node = ownerNodeOf(isRecord(item) ? item : {}, apiVersion, resource.kind);
              out.set(lookup.ref.uid, node.ref.uid === lookup.ref.uid ? node : { unreadable: 'not found (another object now has its name)', namespaced });
            } catch (error) {
              if (signal?.aborted) throw error;
              out.set(lookup.ref.uid, { unreadable: unreadableReason(error), namespaced });
            }
          });
        }
      }
      await runLimited(gets, concurrency);
      return out;
    },
  };
}

function unreadableReason(error: unknown): string {
  if (error instanceof KubeApiError && error.status === 404) return 'not found';
  if (error instanceof KubeApiError && error.status === 403) return 'forbidden';
  return (error as Error).message;
}

async function runLimited(tasks: readonly (() => Promise<void>)[], concurrency: number): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < tasks.length) await (tasks[next++] as () => Promise<void>)();
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, tasks.length) }, worker));
}

function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash === -1 ? '' : apiVersion.slice(0, slash);
}

function labelsOf(metadata: Record<string, unknown>): Record<string, string> {
  const labels = metadata['labels'];
  if (!isRecord(labels)) return {};
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(labels)) if (typeof value === 'string') setKey(out, key, value);
  return out;
}

function stringOf(value: unknown): string {
  return typeof value === 'string' ? value : '';
}
