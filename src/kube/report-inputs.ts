/**
 * What the report commands read from the cluster besides the reports: the names of its namespaces
 * (so the rollout report can offer namespaces without any finding for enforce) and Palisade's own
 * Rule and Exception resources (so rules defined in the cluster are known by their metadata, as
 * `palisade serve` and the audit know them). Lists are paged; a cluster without Palisade's CRDs
 * has no Rule or Exception resources.
 */
import { CoreV1Api, CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { EXCEPTION_KIND, PALISADE_GROUP, PALISADE_VERSION, RULE_KIND } from '../cluster/api-names.js';
import { DEFAULT_PAGE_SIZE, kubeRequestError } from './report-store.js';
import { isRecord } from '../json/is-record.js';

export interface PagedReadOptions {
  pageSize?: number;
}

/** Names of every namespace, sorted. */
export async function listNamespaceNames(kc: KubeConfig, options: PagedReadOptions = {}): Promise<string[]> {
  const api = kc.makeApiClient(CoreV1Api);
  const names: string[] = [];
  let token: string | undefined;
  do {
    let page;
    try {
      page = await api.listNamespace({ limit: options.pageSize ?? DEFAULT_PAGE_SIZE, ...(token ? { _continue: token } : {}) });
    } catch (error) {
      throw kubeRequestError(error, 'list namespaces');
    }
    for (const ns of page.items) if (ns.metadata?.name) names.push(ns.metadata.name);
    token = page.metadata?._continue || undefined;
  } while (token);
  return names.sort();
}

const PLURALS: Record<string, string> = { [RULE_KIND]: 'rules', [EXCEPTION_KIND]: 'exceptions' };

async function listPalisade(api: CustomObjectsApi, kind: string, pageSize: number): Promise<unknown[]> {
  const plural = PLURALS[kind] ?? '';
  const items: unknown[] = [];
  let token: string | undefined;
  do {
    let body: unknown;
    try {
      body = (await api.listClusterCustomObject({
        group: PALISADE_GROUP,
        version: PALISADE_VERSION,
        plural,
        limit: pageSize,
        ...(token ? { _continue: token } : {}),
      })) as unknown;
    } catch (error) {
      const failure = kubeRequestError(error, `list ${plural}.${PALISADE_GROUP}`);
      if (failure.status === 404) return [];
      throw failure;
    }
    const list = isRecord(body) ? body : {};
    if (Array.isArray(list['items'])) {
      // List items of custom resources carry apiVersion and kind already; set them anyway.
      for (const item of list['items']) items.push(isRecord(item) ? { apiVersion: `${PALISADE_GROUP}/${PALISADE_VERSION}`, kind, ...item } : item);
    }
    const metadata = isRecord(list['metadata']) ? list['metadata'] : {};
    token = typeof metadata['continue'] === 'string' && metadata['continue'] !== '' ? metadata['continue'] : undefined;
  } while (token);
  return items;
}

export interface PalisadeResources {
  rules(): readonly unknown[];
  exceptions(): readonly unknown[];
}

/** Palisade's Rule and Exception resources, in the shape loadPolicy takes (`PolicySources.cluster`). */
export async function readPalisadeResources(kc: KubeConfig, options: PagedReadOptions = {}): Promise<PalisadeResources> {
  const api = kc.makeApiClient(CustomObjectsApi);
  const pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE;
  const rules = await listPalisade(api, RULE_KIND, pageSize);
  const exceptions = await listPalisade(api, EXCEPTION_KIND, pageSize);
  return { rules: () => rules, exceptions: () => exceptions };
}
