/**
 * A fake API server for the audit's unit tests, made of data files: discovery answers from
 * test/fixtures/audit/discovery.json, objects from a YAML file. It pages lists (`limit`,
 * `continue`, `remainingItemCount`), strips apiVersion and kind from list items as the real server
 * does for built-in kinds, answers PartialObjectMetadata when asked, and records every request so
 * tests can check what the audit read and how.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import type { KubeObject } from '../../src/engine/types.js';
import { KubeApiError, METADATA_ACCEPT, METADATA_LIST_ACCEPT, type GetOptions, type KubeApi } from '../../src/audit/kube-api.js';

export const FIXTURES = fileURLToPath(new URL('../fixtures/audit/', import.meta.url));

export function readDiscovery(): Record<string, unknown> {
  return JSON.parse(readFileSync(`${FIXTURES}discovery.json`, 'utf8')) as Record<string, unknown>;
}

export function readObjects(file = 'objects.yaml'): KubeObject[] {
  return parseAllDocuments(readFileSync(`${FIXTURES}${file}`, 'utf8'))
    .map((doc) => doc.toJS() as unknown)
    .filter((o): o is KubeObject => typeof o === 'object' && o !== null);
}

export interface RecordedRequest {
  path: string;
  query: Record<string, string>;
  accept: string;
}

interface Resource {
  group: string;
  kind: string;
  namespaced: boolean;
}

export class FakeCluster implements KubeApi {
  readonly requests: RecordedRequest[] = [];
  readonly #discovery: Record<string, unknown>;
  readonly #objects: KubeObject[];
  /** `path` → error thrown on every GET of it. */
  readonly failing = new Map<string, KubeApiError>();
  /** Collection paths whose first continued page answers 410 Expired (once each). */
  readonly expireOnce = new Set<string>();

  constructor(objects: KubeObject[] = readObjects(), discovery: Record<string, unknown> = readDiscovery()) {
    this.#objects = objects;
    this.#discovery = discovery;
    // discovery.json lists metrics.k8s.io but not its resources: an aggregated API that is down.
    this.failing.set('/apis/metrics.k8s.io/v1beta1', new KubeApiError(503, 'ServiceUnavailable', 'GET /apis/metrics.k8s.io/v1beta1: 503 ServiceUnavailable: the server is currently unable to handle the request'));
  }

  async get(path: string, options: GetOptions = {}): Promise<unknown> {
    const query: Record<string, string> = {};
    for (const [k, v] of Object.entries(options.query ?? {})) if (v !== undefined) query[k] = String(v);
    const accept = options.accept ?? 'application/json';
    this.requests.push({ path, query, accept });
    const failure = this.failing.get(path);
    if (failure) throw failure;
    if (path in this.#discovery) return structuredClone(this.#discovery[path]);
    const target = this.#route(path);
    if (!target) throw new KubeApiError(404, 'NotFound', `GET ${path}: 404 NotFound: the server could not find the requested resource`);
    const { resource, namespace, name } = target;
    const matching = this.#objects.filter((o) => {
      const metadata = o['metadata'] as Record<string, unknown>;
      return groupOf(String(o['apiVersion'])) === resource.group && o['kind'] === resource.kind && (namespace === undefined || metadata['namespace'] === namespace);
    });
    if (name !== undefined) {
      const found = matching.find((o) => (o['metadata'] as Record<string, unknown>)['name'] === name);
      if (!found) throw new KubeApiError(404, 'NotFound', `GET ${path}: 404 NotFound: ${resource.kind} "${name}" not found`);
      return accept === METADATA_ACCEPT
        ? { apiVersion: 'meta.k8s.io/v1', kind: 'PartialObjectMetadata', metadata: structuredClone(found['metadata']) }
        : structuredClone(found);
    }
    const fieldName = /^metadata\.name=(.+)$/.exec(query['fieldSelector'] ?? '')?.[1];
    const selected = fieldName === undefined ? matching : matching.filter((o) => (o['metadata'] as Record<string, unknown>)['name'] === fieldName);
    if (query['continue'] && this.expireOnce.delete(path)) {
      throw new KubeApiError(410, 'Expired', `GET ${path}: 410 Expired: The provided continue parameter is too old`);
    }
    const offset = query['continue'] ? Number(query['continue'].slice('offset-'.length)) : 0;
    const limit = Number(query['limit'] ?? selected.length) || selected.length;
    const page = selected.slice(offset, offset + limit);
    const remaining = selected.length - offset - page.length;
    const metadataOnly = accept === METADATA_LIST_ACCEPT;
    return {
      apiVersion: metadataOnly ? 'meta.k8s.io/v1' : 'v1',
      kind: metadataOnly ? 'PartialObjectMetadataList' : `${resource.kind}List`,
      metadata: remaining > 0 ? { continue: `offset-${offset + page.length}`, remainingItemCount: remaining } : {},
      items: page.map((o) => {
        if (metadataOnly) return { apiVersion: 'meta.k8s.io/v1', kind: 'PartialObjectMetadata', metadata: structuredClone(o['metadata']) };
        const copy = structuredClone(o);
        // The real API server leaves these out of list items of built-in kinds.
        if (!resource.group.includes('.') || resource.group.endsWith('.k8s.io')) {
          delete copy['apiVersion'];
          delete copy['kind'];
        }
        return copy;
      }),
    };
  }

  /** Requests for one resource path prefix, e.g. '/apis/apps/v1/namespaces/shop/replicasets'. */
  requestsTo(prefix: string): RecordedRequest[] {
    return this.requests.filter((r) => r.path.startsWith(prefix));
  }

  #route(path: string): { resource: Resource; namespace?: string; name?: string } | undefined {
    const match = /^(\/api\/v1|\/apis\/[^/]+\/[^/]+)\/(.*)$/.exec(path);
    if (!match) return undefined;
    const base = match[1] as string;
    let segments = (match[2] as string).split('/').map(decodeURIComponent);
    let namespace: string | undefined;
    if (segments[0] === 'namespaces' && segments.length >= 3) {
      namespace = segments[1];
      segments = segments.slice(2);
    }
    const list = this.#discovery[base] as { resources?: { name: string; kind: string; namespaced: boolean }[] } | undefined;
    const found = list?.resources?.find((r) => r.name === segments[0]);
    if (!found) return undefined;
    const group = base === '/api/v1' ? '' : (base.split('/')[2] as string);
    return { resource: { group, kind: found.kind, namespaced: found.namespaced }, ...(namespace !== undefined ? { namespace } : {}), ...(segments[1] !== undefined ? { name: segments[1] } : {}) };
  }
}

function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash === -1 ? '' : apiVersion.slice(0, slash);
}
