/**
 * The `podSpec` view: one shape for every kind that carries a pod template, so a pod rule is
 * written once and applies to Pods, Deployments, CronJobs and the rest. Further kinds (Argo
 * Rollouts, Knative…) are added by configuring where their pod template lives.
 */
import { setKey } from '../json/set-key.js';
import type { KubeObject } from './types.js';
import { isRecord } from '../json/is-record.js';

export interface PodTemplateLocation {
  /** API group; '' for the core group. */
  apiGroup: string;
  kind: string;
  /** Keys from the object root to the PodSpec. */
  specPath: readonly string[];
}

const TEMPLATE_SPEC = ['spec', 'template', 'spec'] as const;

export const DEFAULT_POD_TEMPLATES: readonly PodTemplateLocation[] = [
  { apiGroup: '', kind: 'Pod', specPath: ['spec'] },
  { apiGroup: '', kind: 'PodTemplate', specPath: ['template', 'spec'] },
  { apiGroup: '', kind: 'ReplicationController', specPath: TEMPLATE_SPEC },
  { apiGroup: 'apps', kind: 'Deployment', specPath: TEMPLATE_SPEC },
  { apiGroup: 'apps', kind: 'StatefulSet', specPath: TEMPLATE_SPEC },
  { apiGroup: 'apps', kind: 'DaemonSet', specPath: TEMPLATE_SPEC },
  { apiGroup: 'apps', kind: 'ReplicaSet', specPath: TEMPLATE_SPEC },
  { apiGroup: 'batch', kind: 'Job', specPath: TEMPLATE_SPEC },
  { apiGroup: 'batch', kind: 'CronJob', specPath: ['spec', 'jobTemplate', 'spec', 'template', 'spec'] },
];

export const CONTAINER_LISTS = ['containers', 'initContainers', 'ephemeralContainers'] as const;

export interface PodSpecView {
  /** The PodSpec's own fields plus `allContainers` and `metadata` (the pod template's metadata). */
  view: Record<string, unknown>;
  /** The real PodSpec object inside the resource (for path lookups). */
  spec: Record<string, unknown>;
  /** Field path of the PodSpec on this kind, e.g. spec.template.spec. */
  specPath: string;
}

export function kindKey(apiGroup: string, kind: string): string {
  return `${apiGroup}/${kind}`;
}

/** The podSpec view of an object, or undefined when its kind has no pod template or it is empty. */
export function podSpecView(object: KubeObject, location: PodTemplateLocation | undefined): PodSpecView | undefined {
  if (!location) return undefined;
  let node: unknown = object;
  let metadata: unknown;
  for (const key of location.specPath) {
    if (key === 'spec' && isRecord(node)) metadata = node['metadata'];
    node = isRecord(node) ? node[key] : undefined;
  }
  if (!isRecord(node)) return undefined;
  const allContainers: unknown[] = [];
  for (const list of CONTAINER_LISTS) {
    const items = node[list];
    if (Array.isArray(items)) for (const item of items) allContainers.push(item);
  }
  // A copy by for…in, not `{ ...node, allContainers, metadata }`: a spread followed by more
  // properties takes V8's slow path, about four times the cost of this loop.
  const view: Record<string, unknown> = {};
  for (const key in node) setKey(view, key, node[key]);
  view['allContainers'] = allContainers;
  view['metadata'] = isRecord(metadata) ? metadata : {};
  return {
    view,
    spec: node,
    specPath: location.specPath.join('.'),
  };
}
