/**
 * Paged lists: `limit` + `continue`, never one unbounded list, so neither the API server nor
 * Palisade ever holds a whole large collection at once. One async iterator per resource; the
 * caller handles each page and lets it go before the next is read.
 *
 * A continue token expires (410 Gone, reason Expired) when a list is paged more slowly than etcd
 * compacts; the list then starts again from the beginning, and objects already yielded (by uid)
 * are not yielded twice.
 */
import type { KubeObject } from '../engine/types.js';
import { apiVersionOf, collectionPath, type ApiResource } from './discovery.js';
import { KubeApiError, METADATA_LIST_ACCEPT, type KubeApi } from './kube-api.js';
import { isRecord } from '../json/is-record.js';

export const DEFAULT_PAGE_SIZE = 500;
const DEFAULT_MAX_RESTARTS = 3;

export interface ListOptions {
  /** List one namespace (namespaced resources only); otherwise every namespace. */
  namespace?: string;
  fieldSelector?: string;
  labelSelector?: string;
  /** Ask for PartialObjectMetadataList: metadata only, no spec or status. */
  metadataOnly?: boolean;
  /** `limit` of each page (default 500). */
  pageSize?: number;
  /** How many times an expired continue token may restart the list (default 3). */
  maxRestarts?: number;
  signal?: AbortSignal;
}

export interface ListPage {
  /** The page's objects, with apiVersion and kind set (list items of built-in kinds lack them). */
  items: KubeObject[];
  /** Objects yielded so far, this page included. */
  listed: number;
  /** Estimated size of the whole list, when the server says how many items remain. */
  total?: number;
  /** True on the first page after an expired continue token restarted the list. */
  restarted: boolean;
  /**
   * The list's resourceVersion: every page of one list is a snapshot at the same version (a
   * restarted list takes a new one), so the last page's is where a watch of the collection starts.
   */
  resourceVersion?: string;
}

export type ListedResource = Pick<ApiResource, 'group' | 'version' | 'kind' | 'resource' | 'namespaced'>;

/** The pages of a resource's collection, in order. Throws KubeApiError when a page cannot be read. */
export async function* listPages(api: KubeApi, resource: ListedResource, options: ListOptions = {}): AsyncGenerator<ListPage> {
  const path = collectionPath(resource, options.namespace);
  const apiVersion = apiVersionOf(resource);
  const seen = new Set<string>();
  let listed = 0;
  let restarts = 0;
  let restarted = false;
  let token: string | undefined;
  for (;;) {
    options.signal?.throwIfAborted();
    let body: unknown;
    try {
      body = await api.get(path, {
        query: {
          limit: options.pageSize ?? DEFAULT_PAGE_SIZE,
          continue: token,
          fieldSelector: options.fieldSelector,
          labelSelector: options.labelSelector,
        },
        ...(options.metadataOnly ? { accept: METADATA_LIST_ACCEPT } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
      });
    } catch (error) {
      if (token !== undefined && isExpired(error) && restarts < (options.maxRestarts ?? DEFAULT_MAX_RESTARTS)) {
        restarts++;
        restarted = true;
        token = undefined;
        continue;
      }
      throw error;
    }
    const list = isRecord(body) ? body : {};
    const metadata = isRecord(list['metadata']) ? list['metadata'] : {};
    const items: KubeObject[] = [];
    for (const item of Array.isArray(list['items']) ? list['items'] : []) {
      if (!isRecord(item)) continue;
      const uid = uidOf(item);
      if (uid !== undefined) {
        if (seen.has(uid)) continue;
        seen.add(uid);
      }
      if (!options.metadataOnly) {
        item['apiVersion'] = apiVersion;
        item['kind'] = resource.kind;
      }
      items.push(item);
    }
    listed += items.length;
    token = typeof metadata['continue'] === 'string' && metadata['continue'] !== '' ? metadata['continue'] : undefined;
    const remaining = metadata['remainingItemCount'];
    const total = typeof remaining === 'number' ? listed + remaining : token === undefined ? listed : undefined;
    const resourceVersion = typeof metadata['resourceVersion'] === 'string' && metadata['resourceVersion'] !== '' ? metadata['resourceVersion'] : undefined;
    yield { items, listed, ...(total !== undefined ? { total } : {}), restarted, ...(resourceVersion !== undefined ? { resourceVersion } : {}) };
    restarted = false;
    if (token === undefined) return;
  }
}

/** Every object of a resource, one at a time (pages read as needed). */
export async function* listObjects(api: KubeApi, resource: ListedResource, options: ListOptions = {}): AsyncGenerator<KubeObject> {
  for await (const page of listPages(api, resource, options)) yield* page.items;
}

/** 410 Gone: the continue token (or the resourceVersion it carries) has been compacted away. */
export function isExpired(error: unknown): boolean {
  return error instanceof KubeApiError && (error.status === 410 || error.reason === 'Expired');
}

function uidOf(object: Record<string, unknown>): string | undefined {
  const metadata = object['metadata'];
  const uid = isRecord(metadata) ? metadata['uid'] : undefined;
  return typeof uid === 'string' && uid !== '' ? uid : undefined;
}
