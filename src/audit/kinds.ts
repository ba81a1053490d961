/**
 * Which kinds the audit reads. The loaded rules say which (group, kind) pairs they match
 * (`workloads` is every kind with a pod template; `*` is every listable kind the cluster serves,
 * except events, leases and policy reports), and context rules say which kinds they need to see; API discovery
 * turns each into a resource that can be listed, so a user rule over a CRD kind is audited like
 * a built-in one. Kinds the cluster does not serve are reported as skipped, with why.
 *
 * `wantedKinds` and `resolveKinds` are pure (rules and discovery data in, plan out); `planKinds`
 * does the discovery requests between them.
 */
import { kindKey } from '../engine/pod-spec.js';
import type { RuleSet } from '../engine/rule-set.js';
import { classRunsIn } from '../rules/classes.js';
import { WORKLOADS } from '../rules/loader.js';
import type { Operation } from '../rules/types.js';
import { isNeverIntercepted } from '../webhook/resource-names.js';
import type { ApiResource, Discovery, GroupResources } from './discovery.js';

/**
 * The audit evaluates each object as if it were created now, as `palisade scan` does: the question
 * it answers is "would admission let this in today?". Rules that match no CREATE do not run.
 */
export const AUDIT_OPERATION: Operation = 'CREATE';

/**
 * Policy reports (Palisade's own output, and other posture tools') are left out of `*`: auditing
 * them finds nothing, and the controller would re-read every report it writes. A rule that names
 * a report kind still audits it.
 */
export const REPORT_GROUPS: ReadonlySet<string> = new Set(['openreports.io', 'wgpolicyk8s.io']);

/** Rule ids by what they match, for the plan and for messages. */
export interface WantedKinds {
  /** `group/Kind` → rule ids. */
  exact: Map<string, string[]>;
  /** group → rule ids of rules matching every kind of the group. */
  anyKindOf: Map<string, string[]>;
  /** Kind → rule ids of rules matching the kind in every group. */
  anyGroupOf: Map<string, string[]>;
  /** Rule ids of rules matching every kind of every group. */
  everything: string[];
  /** `group/Kind` → ids of the context rules that read it. */
  context: Map<string, string[]>;
}

/** A resource the audit lists: evaluated (audited), read for context rules, or both. */
export interface AuditKind extends ApiResource {
  /** `Kind` for the core group, else `group/Kind` (the form exceptions use). */
  label: string;
  audited: boolean;
  context: boolean;
}

export interface SkippedKind {
  kind: string;
  reason: string;
}

export interface KindPlan {
  kinds: AuditKind[];
  skipped: SkippedKind[];
}

/** `Pod` in the core group, `apps/Deployment` elsewhere: the form exceptions and reports use. */
export function kindLabel(group: string, kind: string): string {
  return group === '' ? kind : `${group}/${kind}`;
}

/** What the rules that run in the audit match, and what the context rules among them read. */
export function wantedKinds(ruleSet: RuleSet): WantedKinds {
  const wanted: WantedKinds = { exact: new Map(), anyKindOf: new Map(), anyGroupOf: new Map(), everything: [], context: new Map() };
  const add = (map: Map<string, string[]>, key: string, id: string): void => {
    const ids = map.get(key);
    if (!ids) map.set(key, [id]);
    else if (!ids.includes(id)) ids.push(id);
  };
  for (const rule of ruleSet.rules) {
    const id = rule.meta.id;
    if (!classRunsIn(rule.meta.ruleClass, 'audit') || !rule.match.operations.includes(AUDIT_OPERATION)) continue;
    for (const selector of rule.match.resources) {
      // As the rule-set index does: a selector naming `workloads` stands for the pod-template kinds.
      const pairs = selector.kinds.includes(WORKLOADS)
        ? [...ruleSet.podTemplates.values()].map((t) => [t.apiGroup, t.kind] as const)
        : selector.apiGroups.flatMap((group) => selector.kinds.map((kind) => [group, kind] as const));
      for (const [group, kind] of pairs) {
        if (group === '*' && kind === '*') {
          if (!wanted.everything.includes(id)) wanted.everything.push(id);
        } else if (kind === '*') add(wanted.anyKindOf, group, id);
        else if (group === '*') add(wanted.anyGroupOf, kind, id);
        else add(wanted.exact, kindKey(group, kind), id);
      }
    }
    if (rule.meta.ruleClass === 'context') {
      for (const contextKind of rule.meta.contextKinds) {
        const { group, kind } = parseKindKey(contextKind);
        add(wanted.context, kindKey(group, kind), id);
      }
    }
  }
  return wanted;
}

/** `networking.k8s.io/NetworkPolicy` → group and kind; `/Namespace` and `Namespace` are core. */
export function parseKindKey(key: string): { group: string; kind: string } {
  const slash = key.lastIndexOf('/');
  return slash === -1 ? { group: '', kind: key } : { group: key.slice(0, slash), kind: key.slice(slash + 1) };
}

/** The groups whose resources discovery must fetch for this plan (every served group for `*`). */
export function groupsToDiscover(wanted: WantedKinds, served: readonly string[]): string[] {
  if (wanted.everything.length > 0 || wanted.anyGroupOf.size > 0) return [...served];
  const groups = new Set<string>(['']);
  for (const key of [...wanted.exact.keys(), ...wanted.context.keys()]) groups.add(parseKindKey(key).group);
  for (const group of wanted.anyKindOf.keys()) groups.add(group);
  return [...groups].filter((g) => served.includes(g));
}

export interface ResolveOptions {
  /** Audit one namespace: cluster-scoped kinds the rules match are skipped (context kinds are still read). */
  namespace?: string;
}

/**
 * Pure: the plan for what the rules want, given the resources of each discovered group (a group
 * missing from `groups` is not served).
 */
export function resolveKinds(wanted: WantedKinds, groups: ReadonlyMap<string, GroupResources>, options: ResolveOptions = {}): KindPlan {
  const byKey = new Map<string, AuditKind>();
  const skipped = new Map<string, string>();
  const listable = (r: ApiResource): boolean => r.verbs.includes('list');
  const take = (resource: ApiResource, role: 'audited' | 'context'): void => {
    const key = kindKey(resource.group, resource.kind);
    let kind = byKey.get(key);
    if (!kind) {
      kind = { ...resource, label: kindLabel(resource.group, resource.kind), audited: false, context: false };
      byKey.set(key, kind);
    }
    kind[role] = true;
  };
  const served = (group: string): ApiResource[] => {
    const found = groups.get(group);
    return found && 'resources' in found ? found.resources : [];
  };
  const skip = (label: string, reason: string): void => {
    if (!skipped.has(label)) skipped.set(label, reason);
  };
  const explicit = (group: string, kind: string, role: 'audited' | 'context', ruleIds: readonly string[]): void => {
    const label = kindLabel(group, kind);
    const needs = `${role === 'context' ? 'read by' : 'matched by'} ${ruleList(ruleIds)}`;
    const found = groups.get(group);
    if (!found) return skip(label, `not served by the cluster: no API group "${group}" (${needs})`);
    if ('error' in found) return skip(label, `${found.error} (${needs})`);
    const resource = found.resources.find((r) => r.kind === kind);
    if (!resource) return skip(label, `not served by the cluster (${needs})`);
    if (!listable(resource)) return skip(label, `the cluster does not allow listing ${resource.resource} (${needs})`);
    if (role === 'audited' && options.namespace !== undefined && !resource.namespaced && !isNamespaceKind(resource)) {
      return skip(label, `cluster-scoped: the audit is limited to namespace "${options.namespace}" (${needs})`);
    }
    take(resource, role);
  };
  // Expansions of `*` take what is listable and leave out what is never worth reading.
  const expand = (resources: readonly ApiResource[]): void => {
    for (const resource of resources) {
      if (!listable(resource) || isNeverIntercepted(resource.group, resource.resource) || REPORT_GROUPS.has(resource.group)) continue;
      if (options.namespace !== undefined && !resource.namespaced && !isNamespaceKind(resource)) continue;
      take(resource, 'audited');
    }
  };

  for (const [key, ids] of wanted.exact) {
    const { group, kind } = parseKindKey(key);
    explicit(group, kind, 'audited', ids);
  }
  for (const [group, ids] of wanted.anyKindOf) {
    const found = groups.get(group);
    if (!found) skip(kindLabel(group, '*'), `not served by the cluster: no API group "${group}" (matched by ${ruleList(ids)})`);
    else if ('error' in found) skip(kindLabel(group, '*'), `${found.error} (matched by ${ruleList(ids)})`);
    else expand(found.resources);
  }
  for (const [kind, ids] of wanted.anyGroupOf) {
    const matches = [...groups.keys()].flatMap((group) => served(group).filter((r) => r.kind === kind));
    if (matches.length === 0) skip(`*/${kind}`, `not served by the cluster in any API group (matched by ${ruleList(ids)})`);
    for (const resource of matches) explicit(resource.group, kind, 'audited', ids);
  }
  if (wanted.everything.length > 0) {
    for (const [group, found] of groups) {
      if ('error' in found) skip(kindLabel(group, '*'), `${found.error} (matched by ${ruleList(wanted.everything)})`);
      else expand(found.resources);
    }
  }
  for (const [key, ids] of wanted.context) {
    const { group, kind } = parseKindKey(key);
    explicit(group, kind, 'context', ids);
  }
  const kinds = [...byKey.values()].sort((a, b) => compare(a.group, b.group) || compare(a.kind, b.kind));
  const skippedList = [...skipped].map(([kind, reason]) => ({ kind, reason })).sort((a, b) => compare(a.kind, b.kind));
  return { kinds, skipped: skippedList };
}

/** Discovery for what the rules want, then the plan. */
export async function planKinds(ruleSet: RuleSet, discovery: Discovery, options: ResolveOptions & { signal?: AbortSignal } = {}): Promise<KindPlan> {
  const wanted = wantedKinds(ruleSet);
  const groups = await discovery.resourcesOfGroups(groupsToDiscover(wanted, discovery.groups()), options.signal);
  return resolveKinds(wanted, groups, options.namespace !== undefined ? { namespace: options.namespace } : {});
}

export function isNamespaceKind(resource: Pick<ApiResource, 'group' | 'kind'>): boolean {
  return resource.group === '' && resource.kind === 'Namespace';
}

/** `a, b, c and 27 more`: a kind every pod rule matches would otherwise list them all. */
function ruleList(ids: readonly string[]): string {
  return ids.length > 3 ? `${ids.slice(0, 3).join(', ')} and ${ids.length - 3} more` : ids.join(', ');
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
