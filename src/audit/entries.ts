/**
 * From evaluated objects to AuditEntries: each object's findings are decided with its owner chain
 * (so an Exception that names a Deployment as owner covers its Pods, as at admission), then the
 * objects are grouped under the top of their chain — a Deployment's entry stands for itself, its
 * ReplicaSets and their Pods — and findings are de-duplicated within the entry by rule code and
 * message (a privileged container is one finding, not one per Pod).
 *
 * Pure: owner chains come from a function (OwnerResolver.chainOf), time is passed in.
 */
import type { Finding } from '../engine/types.js';
import { decide } from '../policy/decide.js';
import type { DecidedFinding, PolicyConfig, Subject } from '../policy/types.js';
import type { OwnerNode } from './owners.js';
import type { AuditEntry, AuditFinding, ObjectRef } from './types.js';

/** What the audit keeps of an object once evaluated: metadata for attribution, and its findings. */
export interface AuditedObject extends OwnerNode {
  /** The engine's findings, not yet decided (decided once the owner chain is known). */
  findings: readonly Finding[];
  /** Rule ids evaluated against the object. */
  evaluated: readonly string[];
  namespaceLabels?: Record<string, string>;
}

interface Member {
  object: AuditedObject;
  chain: OwnerNode[];
}

export function buildEntries(
  objects: Iterable<AuditedObject>,
  chainOf: (node: OwnerNode) => OwnerNode[],
  policy: PolicyConfig,
  now: Date,
): AuditEntry[] {
  const groups = new Map<string, { owner: OwnerNode; members: Member[] }>();
  for (const object of objects) {
    const chain = chainOf(object);
    const top = chain[chain.length - 1] ?? object;
    const key = ownerKey(top.ref);
    let group = groups.get(key);
    if (!group) {
      group = { owner: top, members: [] };
      groups.set(key, group);
    } else if (!group.owner.ref.uid && top.ref.uid) {
      // An owner that was read (uid, labels) beats one only inferred from a name.
      group.owner = top;
    }
    group.members.push({ object, chain });
  }
  const entries: AuditEntry[] = [];
  for (const { owner, members } of groups.values()) {
    // The owner's own findings first: their field paths are on the object users edit.
    members.sort((a, b) => a.chain.length - b.chain.length || compareRefs(a.object.ref, b.object.ref));
    const findings = new Map<string, AuditFinding>();
    const evaluated = new Set<string>();
    for (const member of members) {
      for (const id of member.object.evaluated) evaluated.add(id);
      if (member.object.findings.length === 0) continue;
      const decision = decide(member.object.findings, subjectOf(member), policy, now);
      for (const finding of decision.findings) {
        const key = `${finding.code}\u0000${finding.message}`;
        const seen = findings.get(key);
        if (!seen) findings.set(key, { ...finding, occurrences: 1 });
        else if (rank(finding) < rank(seen)) findings.set(key, { ...finding, occurrences: (seen.occurrences ?? 1) + 1 });
        else seen.occurrences = (seen.occurrences ?? 1) + 1;
      }
    }
    entries.push({
      owner: { ...owner.ref },
      objects: members.length,
      labels: { ...owner.labels },
      evaluated: [...evaluated].sort(),
      findings: [...findings.values()],
    });
  }
  return entries.sort((a, b) => compareRefs(a.owner, b.owner));
}

/** Lower counts more: a denial, then a finding that still warns or records, then an excepted one. */
function rank(finding: DecidedFinding): number {
  if (finding.exceptedBy) return 2;
  return finding.denies ? 0 : 1;
}

function subjectOf(member: Member): Subject {
  const { ref, labels, namespaceLabels } = member.object;
  return {
    apiGroup: groupOf(ref.apiVersion),
    kind: ref.kind,
    ...(ref.namespace ? { namespace: ref.namespace } : {}),
    name: ref.name,
    labels,
    owners: member.chain.map((n) => ({ apiVersion: n.ref.apiVersion, kind: n.ref.kind, name: n.ref.name })),
    ...(namespaceLabels ? { namespaceLabels } : {}),
  };
}

/** Objects are the same owner when group, kind, namespace and name agree (versions may differ). */
export function ownerKey(ref: ObjectRef): string {
  return [groupOf(ref.apiVersion), ref.kind, ref.namespace ?? '', ref.name].join('\u0000');
}

/** Cluster-scoped first, then by namespace, kind and name. */
export function compareRefs(a: ObjectRef, b: ObjectRef): number {
  return compare(a.namespace ?? '', b.namespace ?? '') || compare(a.kind, b.kind) || compare(a.name, b.name) || compare(a.apiVersion, b.apiVersion);
}

function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash === -1 ? '' : apiVersion.slice(0, slash);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
