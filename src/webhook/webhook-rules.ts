/**
 * The resources and operations one webhook registration must receive, collected as (group,
 * resource, operation) and written out as few `rules` entries as keeps them exact: one entry per
 * set of operations and resources, with the groups that share both merged. Entries covered by a
 * wildcard (`apps/*`, or a resource in group `*`) are dropped. The order is sorted, so the same rule
 * set always renders the same configuration (GitOps tools and the reconciler compare them).
 */
import { OPERATIONS, type Operation } from '../rules/types.js';
import type { WebhookRule } from './types.js';

export class Interceptions {
  /** group → resource → operations. */
  private readonly byGroup = new Map<string, Map<string, Set<Operation>>>();

  add(group: string, resource: string, operations: readonly Operation[]): void {
    if (operations.length === 0) return;
    let resources = this.byGroup.get(group);
    if (!resources) this.byGroup.set(group, (resources = new Map()));
    let ops = resources.get(resource);
    if (!ops) resources.set(resource, (ops = new Set()));
    for (const op of operations) ops.add(op);
  }

  operationsOf(group: string, resource: string): Operation[] {
    const ops = this.byGroup.get(group)?.get(resource);
    return ops ? OPERATIONS.filter((op) => ops.has(op)) : [];
  }

  get size(): number {
    let n = 0;
    for (const resources of this.byGroup.values()) n += resources.size;
    return n;
  }

  /** Whether (group, resource, op) is also taken in by another, wider entry. */
  private covered(group: string, resource: string, op: Operation): boolean {
    const isSubresource = resource.includes('/');
    for (const [g, resources] of this.byGroup) {
      if (g !== group && g !== '*') continue;
      for (const [r, ops] of resources) {
        if (g === group && r === resource) continue;
        if (!ops.has(op)) continue;
        if (r === resource || (r === '*' && !isSubresource)) return true;
      }
    }
    return false;
  }

  toRules(): WebhookRule[] {
    // group → operations key → resources, wider entries having taken in the narrower ones.
    const byOps = new Map<string, Map<string, string[]>>();
    for (const [group, resources] of this.byGroup) {
      for (const [resource, ops] of resources) {
        const kept = OPERATIONS.filter((op) => ops.has(op) && !this.covered(group, resource, op));
        if (kept.length === 0) continue;
        const opsKey = kept.join(',');
        let groups = byOps.get(opsKey);
        if (!groups) byOps.set(opsKey, (groups = new Map()));
        groups.set(group, [...(groups.get(group) ?? []), resource]);
      }
    }
    const rules: WebhookRule[] = [];
    for (const [opsKey, groups] of byOps) {
      // Groups with the same resources share one entry. `*` may not be listed with other groups.
      const byResources = new Map<string, { groups: string[]; resources: string[] }>();
      for (const [group, resources] of groups) {
        const sorted = [...resources].sort(compare);
        const key = group === '*' ? `*\u0000${sorted.join(',')}` : sorted.join(',');
        const entry = byResources.get(key);
        if (entry) entry.groups.push(group);
        else byResources.set(key, { groups: [group], resources: sorted });
      }
      for (const { groups: apiGroups, resources } of byResources.values()) {
        rules.push({
          apiGroups: apiGroups.sort(compare),
          apiVersions: ['*'],
          operations: opsKey.split(',') as Operation[],
          resources,
          scope: '*',
        });
      }
    }
    return rules.sort((a, b) =>
      compare(a.apiGroups.join(','), b.apiGroups.join(','))
      || compare(a.resources.join(','), b.resources.join(','))
      || compare(a.operations.join(','), b.operations.join(',')));
  }
}

/** Code-point order: the same in every locale. */
export function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
