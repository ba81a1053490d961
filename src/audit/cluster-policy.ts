/**
 * Palisade's own Rule and Exception resources, read once for an audit, in the shape loadPolicy
 * takes (`PolicySources.cluster`): so the audit judges the cluster by the rules and exceptions the
 * webhook serves, not only by the files. A cluster without Palisade's CRDs has none.
 */
import { EXCEPTION_KIND, PALISADE_GROUP, RULE_KIND } from '../cluster/api-names.js';
import type { KubeObject } from '../engine/types.js';
import type { Discovery } from './discovery.js';
import type { KubeApi } from './kube-api.js';
import { listObjects } from './list.js';

export interface ClusterPolicy {
  rules(): readonly unknown[];
  exceptions(): readonly unknown[];
}

export async function readClusterPolicy(api: KubeApi, discovery: Discovery, signal?: AbortSignal): Promise<ClusterPolicy> {
  const read = async (kind: string): Promise<KubeObject[]> => {
    if (!discovery.served(PALISADE_GROUP)) return [];
    const resource = await discovery.find(PALISADE_GROUP, kind, signal);
    if ('error' in resource) return [];
    const objects: KubeObject[] = [];
    for await (const object of listObjects(api, resource, signal ? { signal } : {})) objects.push(object);
    return objects;
  };
  const [rules, exceptions] = [await read(RULE_KIND), await read(EXCEPTION_KIND)];
  return { rules: () => rules, exceptions: () => exceptions };
}
