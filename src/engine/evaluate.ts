/**
 * evaluate(ruleSet, resource) → findings. Pure: no I/O, no clock. Data a rule needs from outside
 * (namespace labels, image signatures, cluster context) arrives in the Resource.
 *
 * The engine takes ownership of resource.object and resource.oldObject: it redacts Secret values
 * and converts whole numbers to BigInt in place, once per object.
 */
import { CelEvaluationError, type Activation } from '../cel/environment.js';
import type { PathAnchor } from '../cel/path-of.js';
import { classRunsIn, type Phase } from '../rules/classes.js';
import type { CompiledRule, CompiledValidation } from '../rules/types.js';
import { findingFor, type FindingInput } from './finding.js';
import { isRecord, kindKey, podSpecView, type PodSpecView } from './pod-spec.js';
import { integersToBigInt, redactSecrets } from './prepare.js';
import type { RuleSet } from './rule-set.js';
import { labelsOf, matchesAnyGlob, matchesLabelSelector } from './selectors.js';
import type { ClusterContext, Finding, KubeObject, Resource } from './types.js';

export interface EvaluationOptions {
  phase: Phase;
  /** Objects context rules may look at (the scanned set, or the cluster). */
  cluster?: ClusterContext;
  /** Rule id → parameter values for this evaluation only, over the compiled ones (fixtures). */
  parameters?: Readonly<Record<string, Record<string, unknown>>>;
  /**
   * True once the caller's deadline has passed (admission: the API server's timeout). Rules not
   * yet run then end as error findings, which follow their onError, instead of answering late.
   */
  pastDeadline?: () => boolean;
}

export interface Evaluation {
  findings: Finding[];
  /** Rule ids that matched the object and were evaluated (for pass results in reports). */
  evaluated: string[];
  /** Rule ids whose kind matched but a matchCondition excluded the object (an intended exemption). */
  excludedByCondition: string[];
  /** auditAnnotations of the evaluated rules: key → value. */
  auditAnnotations: Record<string, string>;
}

export function apiGroupOf(object: KubeObject): string {
  const apiVersion = typeof object['apiVersion'] === 'string' ? object['apiVersion'] : '';
  const slash = apiVersion.indexOf('/');
  return slash === -1 ? '' : apiVersion.slice(0, slash);
}

export function evaluate(ruleSet: RuleSet, resource: Resource, options: EvaluationOptions): Evaluation {
  const object = resource.object;
  prepareObject(object);
  if (resource.oldObject) prepareObject(resource.oldObject);
  const kind = typeof object['kind'] === 'string' ? object['kind'] : '';
  const apiGroup = apiGroupOf(object);
  const result: Evaluation = { findings: [], evaluated: [], excludedByCondition: [], auditAnnotations: {} };
  const candidates = ruleSet.rulesFor(apiGroup, kind);
  if (candidates.length === 0) return result;

  const podSpec = podSpecView(object, ruleSet.podTemplates.get(kindKey(apiGroup, kind)));
  const namespace = namespaceOf(resource);
  // One activation per object; evaluateRule sets params and variables for each rule in turn.
  const activation = activationFor(resource, object, podSpec, options.cluster);
  const anchors = anchorsOf(podSpec);
  const labels = matchLabelsOf(resource);
  for (const rule of candidates) {
    if (!appliesTo(rule, resource, options.phase, namespace, labels)) continue;
    if (options.pastDeadline?.()) {
      const first = rule.validations[0] as CompiledValidation;
      result.evaluated.push(rule.meta.id);
      result.findings.push(findingFor({ rule, object, podSpec }, first, 'error', 'not evaluated: the deadline of the request passed', []));
      continue;
    }
    ruleSet.env.beginEvaluation(object, anchors);
    const override = options.parameters?.[rule.meta.id];
    activation.params = override ? { ...rule.params, ...override } : rule.params;
    const outcome = evaluateRule(rule, activation, object, podSpec, override !== undefined);
    if (outcome === 'skipped') {
      result.excludedByCondition.push(rule.meta.id);
      continue;
    }
    result.evaluated.push(rule.meta.id);
    result.findings.push(...outcome.findings);
    Object.assign(result.auditAnnotations, outcome.auditAnnotations);
  }
  return result;
}

/** Redacts Secret values and converts whole numbers to BigInt, in place (see prepare.ts). */
export function prepareObject(object: KubeObject): void {
  redactSecrets(object);
  integersToBigInt(object);
}

/**
 * The activation of every rule on `object` (the resource's object, or a patched copy of it), without
 * the per-rule `params` and `variables`.
 */
export function activationFor(
  resource: Resource,
  object: KubeObject,
  podSpec: PodSpecView | undefined,
  cluster: ClusterContext | undefined,
): Activation {
  const kind = typeof object['kind'] === 'string' ? object['kind'] : '';
  return {
    object,
    oldObject: resource.oldObject ?? null,
    request: resource.request ?? null,
    podSpec: podSpec?.view ?? null,
    images: resource.images ?? {},
    cluster: clusterView(cluster, namespaceOf(resource), kind === 'Namespace' ? nameOf(object) : undefined),
    namespaceObject: resource.namespaceObject ?? null,
  };
}

/** path() and jsonPointer() resolve the podSpec view to the real PodSpec it was built from, and look there first. */
export function anchorsOf(podSpec: PodSpecView | undefined): PathAnchor[] {
  return podSpec ? [{ view: podSpec.view, node: podSpec.spec, path: podSpec.specPath }] : [];
}

/** The labels objectSelector matches: the object's, or the old object's on DELETE. */
export function matchLabelsOf(resource: Resource): Record<string, string> {
  return labelsOf(resource.operation === 'DELETE' && resource.oldObject ? resource.oldObject : resource.object);
}

export function namespaceOf(resource: Resource): string | undefined {
  const metadata = resource.object['metadata'];
  const ns = isRecord(metadata) ? metadata['namespace'] : undefined;
  return typeof ns === 'string' && ns ? ns : resource.request?.namespace || undefined;
}

function nameOf(object: KubeObject): string | undefined {
  const metadata = object['metadata'];
  const name = isRecord(metadata) ? metadata['name'] : undefined;
  return typeof name === 'string' ? name : undefined;
}

function clusterView(cluster: ClusterContext | undefined, namespace: string | undefined, ownNamespace: string | undefined): unknown {
  if (!cluster) return null;
  const ns = ownNamespace ?? namespace;
  return { inNamespace: (ns && cluster.namespaced[ns]) || {}, clusterScoped: cluster.clusterScoped };
}

/** Whether the rule's class, operations, namespaces and selectors take in the resource (matchConditions aside). */
export function appliesTo(
  rule: CompiledRule,
  resource: Resource,
  phase: Phase,
  namespace: string | undefined,
  labels: Record<string, string>,
): boolean {
  const match = rule.match;
  if (!classRunsIn(rule.meta.ruleClass, phase)) return false;
  if (!match.operations.includes(resource.operation)) return false;
  if (match.namespaces.length > 0 && (!namespace || !matchesAnyGlob(match.namespaces, namespace))) return false;
  if (namespace && matchesAnyGlob(match.excludeNamespaces, namespace)) return false;
  // Unknown namespace labels (a scan of files) match: reporting beats silently skipping.
  if (resource.namespaceLabels && !matchesLabelSelector(match.namespaceSelector, resource.namespaceLabels)) return false;
  return matchesLabelSelector(match.objectSelector, labels);
}

interface RuleOutcome {
  findings: Finding[];
  auditAnnotations: Record<string, string>;
}

function evaluateRule(
  rule: CompiledRule,
  activation: Activation,
  object: KubeObject,
  podSpec: PodSpecView | undefined,
  paramsOverridden: boolean,
): RuleOutcome | 'skipped' {
  const input: FindingInput = { rule, object, podSpec };
  const step: RuleStep = { at: 'matchConditions' };
  try {
    if (!passesMatchConditions(rule, activation, step)) return 'skipped';
    activation.variables = {};
    // Deferred variables (read only by messages, field paths and annotations) wait until needed.
    let deferredDone = false;
    computeVariables(rule, activation, false, paramsOverridden, step);
    const findings: Finding[] = [];
    for (let index = 0; index < rule.validations.length; index++) {
      const validation = rule.validations[index] as CompiledValidation;
      step.at = `validations[${index}]`;
      const verdict = validation.expression.run(activation);
      if (verdict === true) continue;
      if (verdict !== false) throw new CelEvaluationError(`${validation.code}: validation returned ${typeof verdict}, not bool`);
      if (!deferredDone) computeVariables(rule, activation, (deferredDone = true), paramsOverridden, step);
      step.at = `validations[${index}]`;
      findings.push(findingFor(input, validation, 'fail', failureDetail(validation, activation), failurePaths(validation, activation)));
    }
    if (rule.auditAnnotations.length > 0 && !deferredDone) computeVariables(rule, activation, (deferredDone = true), paramsOverridden, step);
    return { findings, auditAnnotations: annotate(rule, activation) };
  } catch (error) {
    const message = `rule evaluation failed in ${step.at}: ${(error as Error).message}`;
    const first = rule.validations[0] as CompiledValidation;
    return { findings: [findingFor(input, first, 'error', message, [])], auditAnnotations: {} };
  }
}

/** Names the expression being run, so an evaluation error says where in the rule it happened. */
export interface RuleStep {
  at: string;
}

/** Runs the rule's matchConditions; false as soon as one excludes the object. Throws on a CEL error. */
export function passesMatchConditions(rule: CompiledRule, activation: Activation, step: RuleStep): boolean {
  for (const condition of rule.matchConditions) {
    step.at = `matchConditions[${condition.name}]`;
    if (condition.program.run(activation) !== true) return false;
  }
  return true;
}

/**
 * Computes the rule's variables into activation.variables, in order: those verdicts read
 * (deferred false) or the deferred ones (true). Throws on a CEL error.
 */
export function computeVariables(
  rule: CompiledRule,
  activation: Activation,
  deferred: boolean,
  paramsOverridden: boolean,
  step: RuleStep,
): void {
  const variables = activation.variables as Record<string, unknown>;
  for (const variable of rule.variables) {
    if ((variable.deferred ?? false) !== deferred) continue;
    step.at = `variables.${variable.name}`;
    // Constants were computed with the rule's own parameters; an override recomputes them.
    variables[variable.name] = variable.constant && !paramsOverridden ? variable.constant.value : variable.program.run(activation);
  }
}

function failureDetail(validation: CompiledValidation, activation: Activation): string {
  if (validation.messageExpression) {
    const message = validation.messageExpression.run(activation);
    // VAP falls back to the static message when messageExpression yields nothing usable.
    if (typeof message === 'string' && message.trim() && !/[\n\r]/.test(message)) return message.trim();
  }
  return validation.spec.message ?? `failed expression: ${validation.spec.expression.trim()}`;
}

function failurePaths(validation: CompiledValidation, activation: Activation): string[] {
  if (!validation.fieldPathExpression) return [];
  const paths = validation.fieldPathExpression.run(activation);
  const list = Array.isArray(paths) ? paths : [paths];
  return list.filter((p): p is string => typeof p === 'string' && p !== '');
}

function annotate(rule: CompiledRule, activation: Activation): Record<string, string> {
  const out: Record<string, string> = {};
  for (const annotation of rule.auditAnnotations) {
    const value = annotation.program.run(activation);
    if (typeof value === 'string' && value) out[annotation.key] = value;
  }
  return out;
}
