/**
 * /validate: one AdmissionRequest → one AdmissionResponse, through the same engine and `decide`
 * step as the audit loop and `palisade scan`. Pure: the rule set, configuration, namespace lookup
 * and clock are passed in. The outcome carries what logs and metrics need besides the response.
 */
import { reviewPalisadeResource } from '../cluster/admission.js';
import type { PalisadeConfig } from '../config/types.js';
import { evaluate } from '../engine/evaluate.js';
import { kindKey, podSpecView } from '../engine/pod-spec.js';
import type { RuleSet } from '../engine/rule-set.js';
import type { Finding, ImageStatus, KubeObject, RequestView, Resource } from '../engine/types.js';
import { decide } from '../policy/decide.js';
import { subjectOf } from '../policy/subject.js';
import type { DecidedFinding, Decision } from '../policy/types.js';
import { deepEqual } from './deep-equal.js';
import { namespaceLabelViolation, skipReason, userMatches, type SkipReason } from './gates.js';
import { denialMessage } from './message.js';
import { servedBy, type Registration } from './registration.js';
import { allowed, denied, type ResponseParts } from './responses.js';
import type { AdmissionRequest, AdmissionResponse } from './review.js';
import { fitWarnings, oneLine, warningLines } from './warnings.js';
import { isRecord } from '../json/is-record.js';

export interface AdmissionContext {
  ruleSet: RuleSet;
  config: PalisadeConfig;
  now: Date;
  registration: Registration;
  /** Ids of the rules from rule folders (a Rule resource may not take one); empty when unknown. */
  fileRuleIds?: ReadonlySet<string>;
  /** True once the API server's deadline for this call has (nearly) passed. */
  pastDeadline?: () => boolean;
  /** The Namespace object by name, from the cluster's namespace cache; absent when standalone. */
  namespaceObject?: (name: string) => KubeObject | undefined;
  /** The object's images as the verifier resolved them before evaluation (`images` in CEL). */
  images?: Record<string, ImageStatus>;
}

export interface ValidateOutcome {
  response: AdmissionResponse;
  /** Why the request was not evaluated, when it was not. */
  skipped?: SkipReason;
  decision?: Decision;
  /** Rule ids whose findings were dropped because the old object already failed them. */
  existing: string[];
  breakGlass: boolean;
  /** The object is managed by a controller (a Pod of a ReplicaSet...): its findings are counted apart. */
  controllerOwned: boolean;
  /** The denial was Palisade guarding its own namespace labels. */
  labelGuard: boolean;
}

/** Longest audit annotation value Palisade writes. */
const ANNOTATION_MAX = 1024;

export function validate(request: AdmissionRequest, context: AdmissionContext): ValidateOutcome {
  const outcome = (response: AdmissionResponse, extra: Partial<ValidateOutcome> = {}): ValidateOutcome => ({
    response,
    existing: [],
    breakGlass: false,
    controllerOwned: false,
    labelGuard: false,
    ...extra,
  });
  const { config } = context;
  // Palisade's own Rule and Exception resources are checked first, wherever they live and whoever
  // applies them: they change what every later request is judged by.
  const own = reviewPalisadeResource(request, { ruleSet: context.ruleSet, config, now: context.now, fileRuleIds: context.fileRuleIds ?? new Set() });
  if (own) return outcome(own);
  const guard = context.registration === 'audit' ? undefined : namespaceLabelViolation(request, config);
  if (guard) return outcome(denied(request.uid, { message: guard, reason: 'Forbidden', code: 403 }), { labelGuard: true });

  const object = (request.operation === 'DELETE' ? request.oldObject : request.object) ?? undefined;
  const skipped = skipReason(request, object, config);
  if (skipped || !object) return outcome(allowed(request.uid, {}), { skipped: skipped ?? 'no-object' });

  const oldObject = request.operation === 'UPDATE' ? (request.oldObject ?? undefined) : undefined;
  const namespaceObject = request.namespace ? context.namespaceObject?.(request.namespace) : undefined;
  const resource = resourceOf(request, object, namespaceObject, context.images);
  const unchangedPodSpec = oldObject ? podSpecUnchanged(context.ruleSet, object, oldObject) : false;
  const deadline = context.pastDeadline ? { pastDeadline: context.pastDeadline } : {};
  const evaluation = evaluate(context.ruleSet, resource, { phase: 'admission', ...deadline });
  // The common case, nothing found and nothing to annotate: no decision to make.
  if (evaluation.findings.length === 0 && isEmpty(evaluation.auditAnnotations)) {
    return outcome(allowed(request.uid, {}), { controllerOwned: isControllerOwned(object) });
  }

  let findings: Finding[] = evaluation.findings;
  // An update that leaves the pod spec alone (a label edit, a finalizer removal) is not judged
  // again by rules about the pod spec: PSA's "significant update" idea.
  if (unchangedPodSpec) {
    const usesPodSpec = new Set(context.ruleSet.rules.filter((r) => r.usesPodSpec).map((r) => r.meta.id));
    findings = findings.filter((f) => !usesPodSpec.has(f.ruleId));
  }
  let existing: string[] = [];
  if (oldObject && findings.length > 0 && config.admission.allowExistingViolations) {
    const before = evaluate(context.ruleSet, { ...resource, object: oldObject, oldObject: null }, { phase: 'admission', ...deadline });
    const failedBefore = new Set(before.findings.filter((f) => f.result === 'fail').map((f) => f.code));
    existing = [...new Set(findings.filter((f) => f.result === 'fail' && failedBefore.has(f.code)).map((f) => f.ruleId))];
    findings = findings.filter((f) => !(f.result === 'fail' && failedBefore.has(f.code)));
  }

  const full = decide(findings, subjectOf(resource), config.policy, context.now);
  // Both registrations deny with the complete list (the API server reports whichever answers
  // first, and a user should see every enforced rule at once); warnings, annotations and metrics
  // come only from the registration that serves the rule, so nothing is said twice.
  const mine = (f: DecidedFinding): boolean => servedBy(context.registration, f, config.policy);
  const decision: Decision = {
    ...full,
    findings: full.findings.filter(mine),
    warned: full.warned.filter(mine),
    recorded: full.recorded.filter(mine),
    excepted: full.excepted.filter(mine),
  };
  const breakGlass = !decision.allowed && userMatches(config.admission.breakGlass, request.userInfo);
  const parts: ResponseParts = {
    auditAnnotations: { ...evaluation.auditAnnotations, ...annotationsFor(decision.findings) },
  };
  if (breakGlass && parts.auditAnnotations) parts.auditAnnotations['break-glass'] = oneLine(`allowed by break-glass for ${request.userInfo.username ?? ''}`, ANNOTATION_MAX);
  const extra = { decision, existing, breakGlass, controllerOwned: isControllerOwned(object) };
  if (!decision.allowed && !breakGlass) {
    const [first] = decision.denied;
    const reason = first?.reason ?? 'Forbidden';
    return outcome(denied(request.uid, { ...parts, message: denialMessage({ kind: request.kind.kind, name: nameOf(request, object) }, decision.denied), reason, code: statusCode(reason) }), extra);
  }
  const lines = warningLines(decision.warned);
  if (breakGlass) lines.unshift(oneLine(`Palisade: break-glass: allowed despite ${decision.denied.length} enforced finding(s); recorded for review: ${[...new Set(decision.denied.map((f) => f.ruleId))].join(', ')}`, 256));
  if (lines.length > 0) parts.warnings = fitWarnings(lines);
  return outcome(allowed(request.uid, parts), extra);
}

function resourceOf(request: AdmissionRequest, object: KubeObject, namespaceObject: KubeObject | undefined, images: Record<string, ImageStatus> | undefined): Resource {
  const view: RequestView = {
    uid: request.uid,
    kind: request.kind,
    resource: request.resource,
    ...(request.subResource ? { subResource: request.subResource } : {}),
    ...(request.name ? { name: request.name } : {}),
    ...(request.namespace ? { namespace: request.namespace } : {}),
    operation: request.operation,
    userInfo: request.userInfo,
    dryRun: request.dryRun === true,
  };
  const namespaceLabels = namespaceObject && isRecord(namespaceObject['metadata']) && isRecord(namespaceObject['metadata']['labels'])
    ? (namespaceObject['metadata']['labels'] as Record<string, string>)
    : undefined;
  return {
    object,
    ...(request.operation === 'UPDATE' && request.oldObject ? { oldObject: request.oldObject } : {}),
    operation: request.operation,
    request: view,
    ...(namespaceObject ? { namespaceObject } : {}),
    ...(namespaceLabels ? { namespaceLabels } : {}),
    ...(images ? { images } : {}),
  };
}

function podSpecUnchanged(ruleSet: RuleSet, object: KubeObject, oldObject: KubeObject): boolean {
  const kind = typeof object['kind'] === 'string' ? object['kind'] : '';
  const apiVersion = typeof object['apiVersion'] === 'string' ? object['apiVersion'] : '';
  const group = apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
  const location = ruleSet.podTemplates.get(kindKey(group, kind));
  const now = podSpecView(object, location);
  const before = podSpecView(oldObject, location);
  // Pod rules read the PodSpec and the template's annotations (AppArmor, seccomp of old); labels,
  // finalizers and status do not change their verdicts.
  const annotations = (view: Record<string, unknown>): unknown => (isRecord(view['metadata']) ? view['metadata']['annotations'] : undefined);
  return now !== undefined && before !== undefined && deepEqual(now.spec, before.spec) && deepEqual(annotations(now.view), annotations(before.view));
}

/** Every finding the request produced, by bare rule id: the API server prefixes the webhook name. */
function annotationsFor(findings: readonly DecidedFinding[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const finding of findings) {
    const state = finding.exceptedBy
      ? `excepted by ${finding.exceptedBy.namespace ? `${finding.exceptedBy.namespace}/` : ''}${finding.exceptedBy.name}`
      : finding.result === 'error' ? `${finding.mode} error` : finding.mode;
    const value = `${state}: ${finding.message}`;
    out[finding.ruleId] = oneLine(out[finding.ruleId] ? `${out[finding.ruleId]}; ${finding.message}` : value, ANNOTATION_MAX);
  }
  return out;
}

function isEmpty(record: Record<string, string>): boolean {
  for (const _ in record) return false;
  return true;
}

function isControllerOwned(object: KubeObject): boolean {
  const metadata = isRecord(object['metadata']) ? object['metadata'] : {};
  const refs = Array.isArray(metadata['ownerReferences']) ? metadata['ownerReferences'] : [];
  return refs.some((r) => isRecord(r) && r['controller'] === true);
}

function nameOf(request: AdmissionRequest, object: KubeObject): string {
  const metadata = isRecord(object['metadata']) ? object['metadata'] : {};
  if (typeof metadata['name'] === 'string' && metadata['name']) return metadata['name'];
  if (typeof metadata['generateName'] === 'string') return `${metadata['generateName']}*`;
  return request.name ?? '';
}

function statusCode(reason: string): number {
  return { Unauthorized: 401, Forbidden: 403, Invalid: 422, RequestEntityTooLarge: 413 }[reason] ?? 403;
}
