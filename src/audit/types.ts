/**
 * What the audit produces, shared by the loop (src/audit), the report writers (src/reports) and
 * the CLI: one entry per audited owner (a Deployment stands for its ReplicaSets and Pods), with
 * the decided findings of the objects it owns. Pure data: no object bodies, no Secret data.
 */
import type { DecidedFinding } from '../policy/types.js';

export interface ObjectRef {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
  uid?: string;
}

/** A finding of an entry: the same rule code and message on several of the owner's objects is one finding. */
export interface AuditFinding extends DecidedFinding {
  /** How many of the entry's objects had it (a Deployment, its ReplicaSet and 3 Pods → 5). */
  occurrences?: number;
}

export interface AuditEntry {
  /** The top of the owner chain (the object itself when it has no controller owner). */
  owner: ObjectRef;
  /** How many audited objects this entry stands for (50 Pods of one Deployment → 50). */
  objects: number;
  /** Labels of the owner, for team attribution in the rollout report. */
  labels: Record<string, string>;
  /** Rule ids evaluated against the owner's objects (for pass results and scores). */
  evaluated: string[];
  /**
   * Findings, de-duplicated across the objects of one owner (same rule code and message). Of
   * duplicates the one that counts most is kept (denying, then not excepted), the owner's own first.
   */
  findings: AuditFinding[];
}

export interface AuditResult {
  startedAt: Date;
  finishedAt: Date;
  /** Objects read from the cluster, by kind. */
  objectsByKind: Record<string, number>;
  entries: AuditEntry[];
  /** Kinds the rules match that the cluster does not serve, or could not be listed, with why. */
  skippedKinds: { kind: string; reason: string }[];
  /** The namespace the audit was limited to, when it was. */
  namespace?: string;
  /**
   * Objects not evaluated: in namespaces the configuration excludes (`namespaces.excluded`), or
   * being deleted. They are counted in objectsByKind all the same.
   */
  notEvaluated?: { excludedNamespaces: number; deleting: number };
}
