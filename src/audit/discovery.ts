/**
 * API discovery: which resources the cluster serves, in each group's preferred version. The core
 * group comes from /api/v1, the others from /apis (groups and preferred versions) and
 * /apis/<group>/<version> (their resources), fetched only for the groups someone asks about and
 * at most once each. A group whose discovery fails (an aggregated API that is down) is reported,
 * not fatal: the rest of the cluster is still audited.
 */
import type { KubeApi } from './kube-api.js';
import { isRecord } from '../json/is-record.js';

/** One listable (or not) resource of one group, in the group's preferred version. */
export interface ApiResource {
  group: string;
  version: string;
  kind: string;
  /** Plural resource name, as in the URL: deployments. */
  resource: string;
  namespaced: boolean;
  verbs: string[];
}

export type GroupResources = { version: string; resources: ApiResource[] } | { error: string };

export class Discovery {
  readonly #api: KubeApi;
  /** Group → preferred version, from /apis ('' → v1). */
  readonly #preferred: ReadonlyMap<string, string>;
  readonly #groups = new Map<string, Promise<GroupResources>>();

  private constructor(api: KubeApi, preferred: ReadonlyMap<string, string>) {
    this.#api = api;
    this.#preferred = preferred;
  }

  /** Reads the list of groups; fails when the API server cannot be reached at all. */
  static async load(api: KubeApi, signal?: AbortSignal): Promise<Discovery> {
    const list = await api.get('/apis', signal ? { signal } : {});
    return new Discovery(api, preferredVersions(list));
  }

  /** Every served group, '' (core) first, then by name. */
  groups(): string[] {
    return [...this.#preferred.keys()].sort();
  }

  served(group: string): boolean {
    return this.#preferred.has(group);
  }

  /** The group's resources in its preferred version (fetched once; later calls share the answer). */
  resourcesOf(group: string, signal?: AbortSignal): Promise<GroupResources> {
    let found = this.#groups.get(group);
    if (!found) {
      found = this.#fetch(group, signal);
      this.#groups.set(group, found);
    }
    return found;
  }

  /** The resources of several groups, at most `concurrency` requests at a time. */
  async resourcesOfGroups(groups: readonly string[], signal?: AbortSignal, concurrency = 8): Promise<Map<string, GroupResources>> {
    const out = new Map<string, GroupResources>();
    const queue = [...groups];
    const worker = async (): Promise<void> => {
      for (let group = queue.shift(); group !== undefined; group = queue.shift()) out.set(group, await this.resourcesOf(group, signal));
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, queue.length) }, worker));
    return out;
  }

  /** The resource serving `kind` in `group`, or why there is none. */
  async find(group: string, kind: string, signal?: AbortSignal): Promise<ApiResource | { error: string }> {
    if (!this.served(group)) return { error: `API group "${group}" is not served by the cluster` };
    const resources = await this.resourcesOf(group, signal);
    if ('error' in resources) return resources;
    return resources.resources.find((r) => r.kind === kind) ?? { error: `kind ${kind} is not served in API group "${group || 'core'}"` };
  }

  async #fetch(group: string, signal: AbortSignal | undefined): Promise<GroupResources> {
    const version = this.#preferred.get(group);
    if (version === undefined) return { error: `API group "${group}" is not served by the cluster` };
    const path = group === '' ? `/api/${version}` : `/apis/${group}/${version}`;
    try {
      return { version, resources: resourcesOf(group, version, await this.#api.get(path, signal ? { signal } : {})) };
    } catch (error) {
      if (signal?.aborted) throw error;
      return { error: `discovery of ${path} failed: ${(error as Error).message}` };
    }
  }
}

/** Group → preferred version from an APIGroupList; the core group is always v1. */
export function preferredVersions(list: unknown): Map<string, string> {
  const out = new Map<string, string>([['', 'v1']]);
  const groups = isRecord(list) && Array.isArray(list['groups']) ? list['groups'] : [];
  for (const group of groups) {
    if (!isRecord(group) || typeof group['name'] !== 'string') continue;
    const preferred = isRecord(group['preferredVersion']) ? group['preferredVersion']['version'] : undefined;
    const first = Array.isArray(group['versions']) && isRecord(group['versions'][0]) ? group['versions'][0]['version'] : undefined;
    const version = typeof preferred === 'string' ? preferred : typeof first === 'string' ? first : undefined;
    if (version) out.set(group['name'], version);
  }
  return out;
}

/** The top-level resources of an APIResourceList (subresources such as pods/status left out). */
export function resourcesOf(group: string, version: string, list: unknown): ApiResource[] {
  const resources = isRecord(list) && Array.isArray(list['resources']) ? list['resources'] : [];
  const out: ApiResource[] = [];
  for (const r of resources) {
    if (!isRecord(r) || typeof r['name'] !== 'string' || typeof r['kind'] !== 'string' || r['name'].includes('/')) continue;
    out.push({
      group,
      version,
      kind: r['kind'],
      resource: r['name'],
      namespaced: r['namespaced'] === true,
      verbs: Array.isArray(r['verbs']) ? r['verbs'].filter((v): v is string => typeof v === 'string') : [],
    });
  }
  return out;
}

/** The URL path of a resource's collection, in one namespace or cluster-wide. */
export function collectionPath(resource: Pick<ApiResource, 'group' | 'version' | 'resource' | 'namespaced'>, namespace?: string): string {
  const base = resource.group === '' ? `/api/${resource.version}` : `/apis/${resource.group}/${resource.version}`;
  return resource.namespaced && namespace ? `${base}/namespaces/${encodeURIComponent(namespace)}/${resource.resource}` : `${base}/${resource.resource}`;
}

/** `apps/v1`, or `v1` for the core group. */
export function apiVersionOf(resource: Pick<ApiResource, 'group' | 'version'>): string {
  return resource.group === '' ? resource.version : `${resource.group}/${resource.version}`;
}
