/**
 * The engine's input (Resource) and output (Finding). Every entry point — admission, the
 * background audit and `palisade scan` — builds a Resource, so a rule behaves identically in all.
 */
import type { Mode, OnError, Operation, RuleClass, Severity, SourceRef, StatusReason } from '../rules/types.js';

/** A Kubernetes object as decoded from JSON or YAML. */
export type KubeObject = Record<string, unknown>;

export interface UserInfo {
  username?: string;
  uid?: string;
  groups?: string[];
  extra?: Record<string, string[]>;
}

/** The parts of an AdmissionRequest a rule may read (as `request`, admission rules only). */
export interface RequestView {
  uid: string;
  kind: { group: string; version: string; kind: string };
  resource: { group: string; version: string; resource: string };
  subResource?: string;
  name?: string;
  namespace?: string;
  operation: Operation;
  userInfo: UserInfo;
  dryRun: boolean;
  options?: unknown;
}

export interface OwnerRef {
  apiVersion?: string;
  kind: string;
  name: string;
}

/** One image's resolved signature status, handed to external rules as data (`images[ref]`). */
export interface ImageStatus {
  verified: boolean;
  digest?: string;
  /** Why it is or is not verified, in words a user can act on. */
  detail: string;
  /** Not verified because the registry could not answer, and the image's failure policy is Ignore. */
  ignored?: boolean;
  /** Not verified because the registry could not answer in time (with Ignore, `ignored` too). */
  unavailable?: boolean;
  /** Why a deny-list entry names the image (`deny-known-bad-images`). */
  denied?: string;
}

/**
 * What context rules see as `cluster`: objects of the kinds the rule declared, from the scanned set
 * or the cluster. `namespaced[ns][Kind]` and `clusterScoped[Kind]` are lists of objects.
 */
export interface ClusterContext {
  namespaced: Record<string, Record<string, KubeObject[]>>;
  clusterScoped: Record<string, KubeObject[]>;
}

export interface Resource {
  object: KubeObject;
  /** UPDATE and DELETE at admission. */
  oldObject?: KubeObject | null;
  operation: Operation;
  request?: RequestView;
  /** The object's Namespace, when known (admission and audit): `namespaceObject` in CEL. */
  namespaceObject?: KubeObject;
  /** Labels of the object's namespace, when known (admission and audit). */
  namespaceLabels?: Record<string, string>;
  /** The owner chain, nearest first; defaults to the object's ownerReferences. */
  owners?: OwnerRef[];
  /** Images resolved by the image verifier, keyed by the reference as written in the object. */
  images?: Record<string, ImageStatus>;
  /** Where the object was read from (scan). */
  source?: SourceRef;
}

export type FindingResult = 'fail' | 'error';

/** Something a rule found wrong with one resource. Pure data: safe to log, report and render. */
export interface Finding {
  ruleId: string;
  /** Stable short code: the rule id, or `rule-id/validation-name` where a rule has several. */
  code: string;
  title: string;
  severity: Severity;
  category: string;
  /** The specific detail, naming containers and fields (never a Secret value). */
  message: string;
  remediation: string;
  reason: StatusReason;
  /** Exact field paths on the real kind, e.g. spec.template.spec.containers[1].securityContext.privileged */
  paths: string[];
  /** Names of the containers the paths point into (for container-scoped exceptions). */
  containers: string[];
  /** Images of those containers. */
  images: string[];
  standards: Record<string, string[]>;
  ruleClass: RuleClass;
  /** The rule's own default mode, if it sets one; the effective mode is decided later (policy/decide). */
  ruleMode?: Mode;
  onError?: OnError;
  result: FindingResult;
  docs: string;
  /** 1-based line of the first path in the source file, when the object came from a file (scan). */
  line?: number;
}
