/**
 * Inputs and output of the pure `decide` step: findings + configuration + exceptions → what
 * happens (deny, warn, record). Every entry point uses it, so they honour exceptions identically.
 */
import type { Finding, OwnerRef } from '../engine/types.js';
import type { LabelSelector, Mode, OnError, SourceRef } from '../rules/types.js';

export interface ExceptionMatch {
  /** Namespace names; `*` globs allowed. Empty = any. */
  namespaces: string[];
  /** Kinds (`Deployment`) or `group/Kind`. Empty = any. */
  kinds: string[];
  /** Object names; `*` globs allowed, for generated names. Empty = any. */
  names: string[];
  selector?: LabelSelector;
  /** Matches when any owner in the object's owner chain matches (Pods made by a Deployment). */
  owners: { kind: string; name: string }[];
  /** When set, only findings whose every container is listed are exempted (injected sidecars). */
  containers: string[];
  /** Like containers, by image reference glob. */
  images: string[];
}

export interface PolicyException {
  name: string;
  namespace?: string;
  /** Rule ids; `*` exempts every rule. */
  rules: string[];
  match: ExceptionMatch;
  reason: string;
  owner: string;
  /** Absent = never expires (discouraged; the cluster config can require a maximum lifetime). */
  expiresAt?: Date;
  /** Who created it, when known (set from the cluster, never trusted from the file). */
  createdBy?: string;
  source?: SourceRef;
}

export interface RuleOverride {
  mode?: Mode;
  disabled?: boolean;
  onError?: OnError;
  parameters?: Record<string, unknown>;
}

export interface PolicyConfig {
  /** Mode for rules that declare none. */
  defaultMode: Mode;
  /** Rule id → override. A `mode` set here "pins" the rule: a namespace label may only tighten it. */
  rules: Record<string, RuleOverride>;
  /** Namespace name → mode, for standalone use where no namespace labels are known. */
  namespaceModes: Record<string, Mode>;
  excludedNamespaces: string[];
  disabledCategories: string[];
  onError: OnError;
  exceptions: PolicyException[];
}

/** What the object is, for exception matching. */
export interface Subject {
  apiGroup: string;
  kind: string;
  namespace?: string;
  name: string;
  labels: Record<string, string>;
  owners: OwnerRef[];
  namespaceLabels?: Record<string, string>;
}

export interface ExceptionRef {
  name: string;
  namespace?: string;
  reason: string;
  owner: string;
  expiresAt?: string;
}

export interface DecidedFinding extends Finding {
  /** Effective mode after config, namespace and exceptions. */
  mode: Mode;
  /** Where the mode came from, for explanations: exception | namespace | config | rule | default. */
  modeSource: 'namespace' | 'config' | 'rule' | 'default';
  /** Set when an unexpired exception exempts this finding; it stays visible as excepted. */
  exceptedBy?: ExceptionRef;
  /** An expired exception that would have matched: reported, no longer exempting. */
  expiredException?: ExceptionRef;
  /** True when this finding alone would deny the request in its effective mode. */
  denies: boolean;
}

export interface Decision {
  allowed: boolean;
  findings: DecidedFinding[];
  denied: DecidedFinding[];
  /** audit-mode findings: shown to the user as warnings (admission) and recorded. */
  warned: DecidedFinding[];
  /** dry-run findings: recorded only. */
  recorded: DecidedFinding[];
  excepted: DecidedFinding[];
}
