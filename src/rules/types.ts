/**
 * The rule model: what a rule file says once it has been validated (RuleDocument) and what the
 * compiler turns it into (CompiledRule). Field names follow ValidatingAdmissionPolicy wherever
 * the concept exists there, so a user's VAP knowledge carries over.
 */
import type { Program } from '../cel/environment.js';

export const SEVERITIES = ['critical', 'high', 'medium', 'low', 'info'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** Strictest first: the order is used to decide which of two modes "tightens". */
export const MODES = ['enforce', 'audit', 'dry-run'] as const;
export type Mode = (typeof MODES)[number];

/**
 * object: looks only at the object (admission, audit, scan).
 * admission: reads request, oldObject or the user (admission only).
 * context: needs the state of the cluster or the scanned set (audit and scan only, never enforced).
 * external: needs data resolved outside CEL first, such as image signatures.
 */
export const RULE_CLASSES = ['object', 'admission', 'context', 'external'] as const;
export type RuleClass = (typeof RULE_CLASSES)[number];

export const OPERATIONS = ['CREATE', 'UPDATE', 'DELETE', 'CONNECT'] as const;
export type Operation = (typeof OPERATIONS)[number];

export type OnError = 'deny' | 'allow';

/** Kubernetes status reasons a validation may name (metav1.StatusReason), as in VAP. */
export const STATUS_REASONS = ['Unauthorized', 'Forbidden', 'Invalid', 'RequestEntityTooLarge'] as const;
export type StatusReason = (typeof STATUS_REASONS)[number];

export interface SourceRef {
  file: string;
  /** 1-based. */
  line: number;
}

export interface LabelSelectorRequirement {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
  values?: string[];
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

/** `kinds: [workloads]` is shorthand for every kind with a pod template (see engine/pod-spec.ts). */
export interface ResourceSelector {
  apiGroups: string[];
  kinds: string[];
}

export interface RuleMatch {
  resources: ResourceSelector[];
  operations: Operation[];
  /** Namespace names (glob `*` allowed). Empty = all. */
  namespaces: string[];
  excludeNamespaces: string[];
  namespaceSelector?: LabelSelector;
  objectSelector?: LabelSelector;
}

export interface NamedExpression {
  name: string;
  expression: string;
}

export interface ValidationSpec {
  /** Distinguishes validations of one rule; becomes part of the finding code `rule-id/name`. */
  name?: string;
  expression: string;
  message?: string;
  messageExpression?: string;
  reason: StatusReason;
  /** CEL returning the field path(s) at fault, usually built with path(node, 'sub.field'). */
  fieldPathExpression?: string;
}

export interface AuditAnnotationSpec {
  key: string;
  valueExpression: string;
}

export interface ParameterSpec {
  name: string;
  description: string;
  default: unknown;
}

export interface MutationSpec {
  patchType: 'JSONPatch';
  /** CEL returning a list of JSONPatch operations: [{'op': 'add', 'path': '/spec/x', 'value': 1}]. */
  expression: string;
}

export interface RuleMeta {
  id: string;
  title: string;
  description: string;
  severity: Severity;
  category: string;
  ruleClass: RuleClass;
  /** Rule revision; bumped whenever its verdicts can change. */
  version: number;
  /** Palisade release the rule first shipped in; '' for rules that do not say (user rules). */
  since: string;
  /** standard id → control ids. */
  standards: Record<string, string[]>;
  /** The rule's default mode; absent = the configured global default. */
  mode?: Mode;
  onError?: OnError;
  remediation: string;
  docs: string;
  /** Kinds a context rule needs to see (`group/Kind`, core group empty: `/Namespace`). */
  contextKinds: string[];
  source: SourceRef;
}

export interface RuleDocument extends RuleMeta {
  match: RuleMatch;
  parameters: ParameterSpec[];
  matchConditions: NamedExpression[];
  variables: NamedExpression[];
  validations: ValidationSpec[];
  auditAnnotations: AuditAnnotationSpec[];
  mutations: MutationSpec[];
}

export interface CompiledValidation {
  spec: ValidationSpec;
  /** `rule-id` or `rule-id/name`. */
  code: string;
  expression: Program;
  messageExpression?: Program;
  fieldPathExpression?: Program;
}

export interface CompiledVariable {
  name: string;
  program: Program;
  /**
   * Set when the variable reads only `params` (and other constant variables): computed once when
   * the rule is compiled — joined patterns, allow-lists — instead of on every object.
   */
  constant?: { value: unknown };
  /**
   * Set when no matchCondition or validation expression reads the variable, even through another
   * variable: only messages, field paths or audit annotations do. It is then computed only when a
   * validation fails or an annotation is written (VAP computes variables lazily too).
   */
  deferred?: boolean;
}

export interface CompiledRule {
  meta: RuleMeta;
  match: RuleMatch;
  params: Record<string, unknown>;
  matchConditions: { name: string; program: Program }[];
  variables: CompiledVariable[];
  validations: CompiledValidation[];
  auditAnnotations: { key: string; program: Program }[];
  mutations: { patchType: 'JSONPatch'; program: Program }[];
  /** True when a matched kind has a pod template, so `podSpec` is meaningful. */
  usesPodSpec: boolean;
}
