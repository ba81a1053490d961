/**
 * The cluster's policy for Exception resources, whose authors are tenants rather than the people
 * who review the configuration (docs/configuration.md, `cluster`):
 * - accepted only from the namespaces in `cluster.exceptionNamespaces` (none when it is empty);
 * - `expiresAt` is required and at most `cluster.maxExceptionLifetimeDays` after the resource was
 *   created. Counting from creation, not from the last edit, means a lifetime cannot be renewed by
 *   editing the resource: it has to be created again, by someone allowed to.
 * Used at load (cluster/resources.ts) and at apply time (cluster/admission.ts), so both refuse the
 * same resources with the same words.
 */
import type { ClusterConfig } from '../config/types.js';

const DAY_MS = 86_400_000;

export interface PolicyRefusal {
  /** `Forbidden` when the resource is in the wrong place, `Invalid` when what it asks for is wrong. */
  reason: 'Forbidden' | 'Invalid';
  field: string;
  message: string;
}

export interface ClusterExceptionFacts {
  namespace: string | undefined;
  expiresAt: Date | undefined;
  /** When the resource was created (metadata.creationTimestamp). */
  createdAt: Date;
}

export function clusterExceptionRefusals(facts: ClusterExceptionFacts, cluster: ClusterConfig): PolicyRefusal[] {
  const refusals: PolicyRefusal[] = [];
  const allowed = cluster.exceptionNamespaces;
  if (allowed.length === 0) {
    refusals.push({
      reason: 'Forbidden',
      field: 'metadata.namespace',
      message: 'this cluster accepts no Exception resources (cluster.exceptionNamespaces in the Palisade configuration is empty); ask an administrator for an exception in the configuration',
    });
  } else if (facts.namespace === undefined || !allowed.includes(facts.namespace)) {
    refusals.push({
      reason: 'Forbidden',
      field: 'metadata.namespace',
      message: `Exception resources are accepted only in ${quotedList(allowed)} (cluster.exceptionNamespaces), not in "${facts.namespace ?? ''}"; create it there`,
    });
  }
  const max = cluster.maxExceptionLifetimeDays;
  const latest = new Date(facts.createdAt.getTime() + max * DAY_MS);
  if (!facts.expiresAt) {
    refusals.push({ reason: 'Invalid', field: 'spec.expiresAt', message: `is required: an Exception resource must expire, at the latest ${latest.toISOString()} (${max} days after it was created)` });
  } else if (facts.expiresAt.getTime() > latest.getTime()) {
    const days = Math.ceil((facts.expiresAt.getTime() - facts.createdAt.getTime()) / DAY_MS);
    refusals.push({
      reason: 'Invalid',
      field: 'spec.expiresAt',
      message: `${facts.expiresAt.toISOString()} is ${days} days after the Exception was created (${facts.createdAt.toISOString()}); cluster.maxExceptionLifetimeDays allows ${max}: set it to ${latest.toISOString()} or earlier`,
    });
  }
  return refusals;
}

/** `metadata.creationTimestamp` as a date, or `fallback` when absent or unreadable. */
export function createdAtOf(metadata: Record<string, unknown> | undefined, fallback: Date): Date {
  const value = metadata?.['creationTimestamp'];
  if (typeof value !== 'string') return fallback;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? fallback : date;
}

function quotedList(names: readonly string[]): string {
  return names.map((n) => `"${n}"`).join(', ');
}
