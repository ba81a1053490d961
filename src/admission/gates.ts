/**
 * The checks made before any rule runs: requests Palisade deliberately does not evaluate (status
 * updates, objects being deleted, excluded namespaces, exempt users and runtime classes) and the
 * guard on Palisade's own namespace labels. Each returns the reason in words for logs and metrics.
 */
import type { PalisadeConfig, UserMatch } from '../config/types.js';
import { labelsOf, matchesAnyGlob } from '../engine/selectors.js';
import type { KubeObject, UserInfo } from '../engine/types.js';
import { parseMode } from '../policy/modes.js';
import type { AdmissionRequest } from './review.js';
import { isRecord } from '../json/is-record.js';

export const PALISADE_LABEL_PREFIX = 'palisade.dev/';

export type SkipReason = 'status-subresource' | 'deleting' | 'excluded-namespace' | 'exempt-user' | 'exempt-runtime-class' | 'no-object';

export function userMatches(match: UserMatch, user: UserInfo): boolean {
  if (user.username !== undefined && match.usernames.includes(user.username)) return true;
  return (user.groups ?? []).some((g) => match.groups.includes(g));
}

/** Why this request is not evaluated at all, or undefined when it is. */
export function skipReason(request: AdmissionRequest, object: KubeObject | undefined, config: PalisadeConfig): SkipReason | undefined {
  // Status is written by controllers and the kubelet; it is not what a user asked to run.
  if (request.subResource === 'status') return 'status-subresource';
  if (!object) return 'no-object';
  const metadata = isRecord(object['metadata']) ? object['metadata'] : {};
  if (request.operation === 'UPDATE' && metadata['deletionTimestamp']) return 'deleting';
  const namespace = request.namespace || (request.kind.kind === 'Namespace' && request.kind.group === '' ? request.name : undefined);
  if (namespace && matchesAnyGlob(config.policy.excludedNamespaces, namespace)) return 'excluded-namespace';
  if (request.userInfo.username !== undefined && config.admission.exemptUsernames.includes(request.userInfo.username)) return 'exempt-user';
  const runtimeClass = runtimeClassOf(object);
  if (runtimeClass && config.admission.exemptRuntimeClasses.includes(runtimeClass)) return 'exempt-runtime-class';
  return undefined;
}

function runtimeClassOf(object: KubeObject): string | undefined {
  const spec = isRecord(object['spec']) ? object['spec'] : {};
  const template = isRecord(spec['template']) && isRecord(spec['template']['spec']) ? spec['template']['spec'] : spec;
  return typeof template['runtimeClassName'] === 'string' ? template['runtimeClassName'] : undefined;
}

/**
 * Changes to `palisade.dev/*` labels on a Namespace decide how strictly it is checked, so only the
 * configured users may make them, and a mode label must name a real mode. Returns the denial
 * message, or undefined when the change is fine.
 */
export function namespaceLabelViolation(request: AdmissionRequest, config: PalisadeConfig): string | undefined {
  if (request.kind.group !== '' || request.kind.kind !== 'Namespace' || request.subResource) return undefined;
  if (request.operation !== 'CREATE' && request.operation !== 'UPDATE') return undefined;
  const labels = ours(labelsOf(request.object ?? undefined));
  const before = ours(labelsOf(request.oldObject ?? undefined));
  const changed = [...new Set([...Object.keys(labels), ...Object.keys(before)])].filter((k) => labels[k] !== before[k]).sort();
  if (changed.length === 0) return undefined;
  const mode = labels['palisade.dev/mode'];
  if (mode !== undefined && !parseMode(mode)) {
    return `Palisade: label palisade.dev/mode="${mode}" is not a mode; use enforce, audit or dry-run`;
  }
  if (userMatches(config.admission.modeLabelSetters, request.userInfo)) return undefined;
  return `Palisade: user "${request.userInfo.username ?? ''}" may not change the label${changed.length === 1 ? '' : 's'} ${changed.join(', ')} on namespace "${request.name ?? ''}"; ask a cluster administrator (see admission.modeLabelSetters in the Palisade configuration)`;
}

function ours(labels: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(labels).filter(([k]) => k.startsWith(PALISADE_LABEL_PREFIX)));
}
