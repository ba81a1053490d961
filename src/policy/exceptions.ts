/**
 * Does an exception cover a finding on a subject? Exceptions match by namespace, kind, name, labels
 * and owner chain (Pods made by controllers have generated names), and optionally by container or
 * image, so an injected sidecar can be exempted without exempting the workload's own containers.
 */
import type { Finding } from '../engine/types.js';
import { matchesAnyGlob, matchesGlob, matchesLabelSelector } from '../engine/selectors.js';
import type { ExceptionRef, PolicyException, Subject } from './types.js';

export function exceptionCovers(exception: PolicyException, finding: Finding, subject: Subject): boolean {
  const rules = exception.rules;
  if (!rules.includes('*') && !rules.includes(finding.ruleId) && !rules.includes(finding.code)) return false;
  const match = exception.match;
  // An exception that lives in a namespace only reaches into that namespace unless it says otherwise.
  const namespaces = match.namespaces.length > 0 ? match.namespaces : exception.namespace ? [exception.namespace] : [];
  if (namespaces.length > 0 && (subject.namespace === undefined || !matchesAnyGlob(namespaces, subject.namespace))) return false;
  if (match.kinds.length > 0 && !match.kinds.some((k) => k === subject.kind || k === `${subject.apiGroup}/${subject.kind}`)) return false;
  if (match.names.length > 0 && !matchesAnyGlob(match.names, subject.name)) return false;
  if (!matchesLabelSelector(match.selector, subject.labels)) return false;
  if (match.owners.length > 0 && !match.owners.some((o) => subject.owners.some((s) => s.kind === o.kind && matchesGlob(o.name, s.name)))) return false;
  if (match.containers.length > 0 && !allCovered(finding.containers, match.containers)) return false;
  if (match.images.length > 0 && !allCovered(finding.images, match.images)) return false;
  return true;
}

/** Every offending item must be covered: one exempt sidecar must not hide the app container. */
function allCovered(items: readonly string[], patterns: readonly string[]): boolean {
  return items.length > 0 && items.every((item) => matchesAnyGlob(patterns, item));
}

export function isExpired(exception: PolicyException, now: Date): boolean {
  return exception.expiresAt !== undefined && exception.expiresAt.getTime() <= now.getTime();
}

export function exceptionRef(exception: PolicyException): ExceptionRef {
  return {
    name: exception.name,
    ...(exception.namespace ? { namespace: exception.namespace } : {}),
    reason: exception.reason,
    owner: exception.owner,
    ...(exception.expiresAt ? { expiresAt: exception.expiresAt.toISOString() } : {}),
  };
}
