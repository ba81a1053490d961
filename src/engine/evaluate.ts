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
import { findingFor } from './finding.js';
import { CONTAINER_LISTS, kindKey, podSpecView, type PodSpecView } from './pod-spec.js';
import { dropManagedFields, integersToBigInt, redactSecrets } from './prepare.js';
import type { RuleSet } from './rule-set.js';
import { labelsOf, matchesAnyGlob, matchesLabelSelector } from './selectors.js';
import type { ClusterContext, Finding, KubeObject, Resource } from './types.js';
import { isRecord } from '../json/is-record.js';

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
  // Not prepared here (it may come from a typed client's cache), but no rule sees managedFields.
  if (resource.namespaceObject) dropManagedFields(resource.namespaceObject);
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
    if (evaluateRule(rule, activation, object, podSpec, override !== undefined, result)) result.evaluated.push(rule.meta.id);
    else result.excludedByCondition.push(rule.meta.id);
  }
  return result;
}

/** Leaves out managedFields, redacts Secret values and converts whole numbers to BigInt, in place (see prepare.ts). */
export function prepareObject(object: KubeObject): void {
  dropManagedFields(object);
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

/**
 * path() and jsonPointer() resolve the podSpec view to the real PodSpec it was built from, and look
 * there first; each container is an anchor of its own before that, since most findings point into
 * one, and `path(c)` then costs one comparison instead of a walk of the PodSpec.
 */
export function anchorsOf(podSpec: PodSpecView | undefined): PathAnchor[] {
  if (!podSpec) return [];
  const anchors: PathAnchor[] = [];
  for (const list of CONTAINER_LISTS) {
    const items = podSpec.spec[list];
    if (!Array.isArray(items)) continue;
    for (let i = 0; i < items.length; i++) {
      const container: unknown = items[i];
      if (isRecord(container)) anchors.push({ view: container, node: container, path: `${podSpec.specPath}.${list}[${i}]` });
    }
  }
  anchors.push({ view: podSpec.view, node: podSpec.spec, path: podSpec.specPath });
  return anchors;
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

/** A rule without variables reads this one: nothing to allocate per evaluation. */
const NO_VARIABLES: Record<string, unknown> = Object.freeze({});

/**
 * Runs one rule and adds its findings and audit annotations to `result`; false when a
 * matchCondition excluded the object. A CEL error anywhere replaces the rule's findings with one
 * error finding.
 */
function evaluateRule(
  rule: CompiledRule,
  activation: Activation,
  object: KubeObject,
  podSpec: PodSpecView | undefined,
  paramsOverridden: boolean,
  result: Evaluation,
): boolean {
  const step: RuleStep = { part: 'matchConditions', name: '' };
  const firstFinding = result.findings.length;
  try {
    if (!passesMatchConditions(rule, activation, step)) return false;
    activation.variables = rule.variables.length > 0 ? {} : NO_VARIABLES;
    // Deferred variables (read only by messages, field paths and annotations) wait until needed.
    let deferredDone = false;
    computeVariables(rule, activation, false, paramsOverridden, step);
    const validations = rule.validations;
    for (let index = 0; index < validations.length; index++) {
      const validation = validations[index] as CompiledValidation;
      step.part = 'validations';
      step.name = index;
      const verdict = validation.expression.run(activation);
      if (verdict === true) continue;
      if (verdict !== false) throw new CelEvaluationError(`${validation.code}: validation returned ${typeof verdict}, not bool`);
      if (!deferredDone) computeVariables(rule, activation, (deferredDone = true), paramsOverridden, step);
      step.part = 'validations';
      step.name = index;
      const detail = failureDetail(validation, activation);
      result.findings.push(findingFor({ rule, object, podSpec }, validation, 'fail', detail, failurePaths(validation, activation)));
    }
    if (rule.auditAnnotations.length > 0) {
      if (!deferredDone) computeVariables(rule, activation, (deferredDone = true), paramsOverridden, step);
      Object.assign(result.auditAnnotations, annotate(rule, activation));
    }
  } catch (error) {
    const message = `rule evaluation failed in ${describeStep(step)}: ${(error as Error).message}`;
    const first = rule.validations[0] as CompiledValidation;
    result.findings.length = firstFinding;
    result.findings.push(findingFor({ rule, object, podSpec }, first, 'error', message, []));
  }
  return true;
}

/**
 * Names the expression being run, so an evaluation error says where in the rule it happened. Kept
 * as parts and spelt only on error (describeStep), so a run that succeeds builds no strings.
 */
export interface RuleStep {
  part: 'matchConditions' | 'variables' | 'validations';
  /** The condition's or variable's name, or the validation's index ('' before the first condition). */
  name: string | number;
}

export function describeStep(step: RuleStep): string {
  if (step.part === 'variables') return `variables.${step.name}`;
  return step.name === '' ? step.part : `${step.part}[${step.name}]`;
}

/** Runs the rule's matchConditions; false as soon as one excludes the object. Throws on a CEL error. */
export function passesMatchConditions(rule: CompiledRule, activation: Activation, step: RuleStep): boolean {
  for (const condition of rule.matchConditions) {
    step.part = 'matchConditions';
    step.name = condition.name;
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
    step.part = 'variables';
    step.name = variable.name;
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
