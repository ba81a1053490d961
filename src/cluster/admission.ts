/**
 * The validating webhook's answer for Palisade's own resources. The API server cannot compile CEL,
 * so a Rule resource is checked here, when it is applied, exactly as a rule file is at load: the
 * same schema, the same compiler, the served CEL limits and the configuration's parameters for
 * its id. An Exception resource is held to the cluster's exception policy (cluster/exception-policy.ts)
 * and the exception file schema, and its `palisade.dev/created-by` annotation may not be forged.
 *
 * A refusal is a normal AdmissionReview answer (allowed: false) whose message lists every problem,
 * one per line, within MESSAGE_BUDGET:
 *
 *   Palisade: Rule "team-registry" is invalid (2 problems):
 *   Rule/team-registry:14: spec.validations[0].expression: ...
 *
 * Pure: the served rule set, configuration and clock are passed in.
 */
import { MESSAGE_BUDGET } from '../admission/message.js';
import { allowed, denied } from '../admission/responses.js';
import type { AdmissionRequest, AdmissionResponse } from '../admission/review.js';
import { oneLine } from '../admission/warnings.js';
import type { PalisadeConfig } from '../config/types.js';
import type { RuleSet, RuleSetOptions } from '../engine/rule-set.js';
import { formatProblem } from '../rules/problems.js';
import { CREATED_BY_ANNOTATION, EXCEPTION_KIND, PALISADE_GROUP, RULE_KIND, type PalisadeKind } from './api-names.js';
import { clusterExceptionRefusals, createdAtOf } from './exception-policy.js';
import { createdByOf, parseExceptionResource, rulesFromResources } from './resources.js';
import { isRecord } from '../json/is-record.js';

export interface PalisadeResourceContext {
  /** The rule set being served: a Rule resource is compiled with its CEL limits and pod templates. */
  ruleSet: RuleSet;
  config: PalisadeConfig;
  now: Date;
  /**
   * Ids of the rules loaded from rule folders (built-in and --rules), including disabled ones. A
   * Rule resource may not take one of these names.
   */
  fileRuleIds: ReadonlySet<string>;
}

/** One problem line at most this long; the whole message stays within MESSAGE_BUDGET bytes. */
const LINE_MAX = 600;

/** `Rule` or `Exception` when the request is about one of Palisade's resources. */
export function palisadeKindOf(request: AdmissionRequest): PalisadeKind | undefined {
  if (request.kind.group !== PALISADE_GROUP) return undefined;
  return request.kind.kind === RULE_KIND || request.kind.kind === EXCEPTION_KIND ? request.kind.kind : undefined;
}

/**
 * The answer for a CREATE or UPDATE of a palisade.dev Rule or Exception; undefined for any other
 * request, which the caller evaluates as usual.
 */
export function reviewPalisadeResource(request: AdmissionRequest, context: PalisadeResourceContext): AdmissionResponse | undefined {
  const kind = palisadeKindOf(request);
  if (!kind || request.subResource || (request.operation !== 'CREATE' && request.operation !== 'UPDATE')) return undefined;
  const object = request.object;
  if (!object) return undefined;
  // Never block an object on its way out (a finalizer removal during deletion).
  if (request.operation === 'UPDATE' && isRecord(object['metadata']) && object['metadata']['deletionTimestamp']) return allowed(request.uid, {});
  return kind === RULE_KIND ? reviewRule(request, object, context) : reviewException(request, object, context);
}

function reviewRule(request: AdmissionRequest, object: Record<string, unknown>, context: PalisadeResourceContext): AdmissionResponse {
  const { config } = context;
  const load = rulesFromResources([object], { reservedIds: context.fileRuleIds, compile: ruleCheckOptions(context.ruleSet, config) });
  if (load.problems.length > 0) {
    const head = `Palisade: Rule "${nameOf(request, object)}" is invalid (${count(load.problems.length, 'problem')}):`;
    return denied(request.uid, { message: fitLines(head, load.problems.map(formatProblem)), reason: 'Invalid', code: 422 });
  }
  const warnings: string[] = [];
  for (const { document: rule } of load.rules) {
    if (config.policy.rules[rule.id]?.disabled) warnings.push(`Palisade: rule "${rule.id}" is valid but disabled by the configuration (rules.${rule.id}.disabled)`);
    else if (config.policy.disabledCategories.includes(rule.category)) {
      warnings.push(`Palisade: rule "${rule.id}" is valid but its category "${rule.category}" is disabled by the configuration (disabledCategories)`);
    }
  }
  return allowed(request.uid, { warnings });
}

/**
 * The options a Rule resource is compiled with, as the server compiles its rules: the served CEL
 * limits and pod templates, and the configuration's parameters by rule id. Also what the loader of
 * Rule resources passes as `compile` to rulesFromResources.
 */
export function ruleCheckOptions(ruleSet: Pick<RuleSet, 'env' | 'podTemplates'>, config: PalisadeConfig): RuleSetOptions {
  const parameters: Record<string, Record<string, unknown>> = {};
  for (const [id, override] of Object.entries(config.policy.rules)) if (override.parameters) parameters[id] = override.parameters;
  return { limits: ruleSet.env.limits, podTemplates: [...ruleSet.podTemplates.values()], parameters };
}

function reviewException(request: AdmissionRequest, object: Record<string, unknown>, context: PalisadeResourceContext): AdmissionResponse {
  const parsed = parseExceptionResource(object);
  const lines = parsed.problems.map(formatProblem);
  let forbidden = false;
  const refuse = (field: string, message: string, reason: 'Forbidden' | 'Invalid'): void => {
    lines.push(formatProblem({ file: parsed.file, line: 0, field, message }));
    if (reason === 'Forbidden') forbidden = true;
  };
  const metadata = isRecord(object['metadata']) ? object['metadata'] : {};
  const namespace = request.namespace || (typeof metadata['namespace'] === 'string' ? metadata['namespace'] : undefined);
  const old = request.operation === 'UPDATE' && request.oldObject ? request.oldObject : undefined;
  // The lifetime counts from creation: on UPDATE the stored object's, on CREATE the one the API
  // server has just set (or now, should it be missing).
  const createdAt = createdAtOf(isRecord(old?.['metadata']) ? old['metadata'] : metadata, context.now);
  const expiresAt = parsed.exception?.expiresAt;
  const refusals = clusterExceptionRefusals({ namespace, expiresAt, createdAt }, context.config.cluster);
  for (const refusal of refusals) {
    // Without a readable spec, "expiresAt is required" would repeat a schema problem.
    if (refusal.field === 'spec.expiresAt' && !parsed.exception) continue;
    refuse(refusal.field, refusal.message, refusal.reason);
  }
  if (request.operation === 'CREATE' && expiresAt && expiresAt.getTime() <= context.now.getTime()) {
    refuse('spec.expiresAt', `${expiresAt.toISOString()} has already passed: an expired exception exempts nothing`, 'Invalid');
  }
  const forged = forgedCreatedBy(request, object, old);
  if (forged) refuse(`metadata.annotations[${JSON.stringify(CREATED_BY_ANNOTATION)}]`, forged, 'Forbidden');

  if (lines.length > 0) {
    const head = `Palisade: Exception "${namespace ? `${namespace}/` : ''}${nameOf(request, object)}" is refused (${count(lines.length, 'problem')}):`;
    return denied(request.uid, { message: fitLines(head, lines), reason: forbidden ? 'Forbidden' : 'Invalid', code: forbidden ? 403 : 422 });
  }
  return allowed(request.uid, { warnings: unknownRuleWarnings(parsed.exception?.rules ?? [], context) });
}

/**
 * The annotation is Palisade's record of who created the Exception. The mutating webhook sets it
 * (cluster/exception-stamp.ts); this catches a request that reached here without it, e.g. while
 * that webhook was unavailable. At CREATE it may be absent or name the requesting user; at UPDATE
 * it must stay as it was.
 */
function forgedCreatedBy(request: AdmissionRequest, object: Record<string, unknown>, old: Record<string, unknown> | undefined): string | undefined {
  const now = createdByOf(object);
  if (request.operation === 'CREATE') {
    if (now === undefined || now === request.userInfo.username) return undefined;
    return `is set by Palisade to the user who creates the Exception ("${request.userInfo.username ?? ''}"), not "${now}"; remove the annotation`;
  }
  const before = old ? createdByOf(old) : undefined;
  if (now === before) return undefined;
  return before === undefined
    ? `cannot be added after the Exception was created; remove the annotation`
    : `cannot be changed or removed; it must stay "${before}"`;
}

/** Rule ids an exception names that no served or file rule has: allowed (rules come and go), but said. */
function unknownRuleWarnings(ruleIds: readonly string[], context: PalisadeResourceContext): string[] {
  const known = new Set([...context.fileRuleIds, ...context.ruleSet.rules.map((r) => r.meta.id)]);
  const unknown = ruleIds.filter((id) => id !== '*' && !known.has(id.split('/')[0] ?? id));
  if (unknown.length === 0) return [];
  return [oneLine(`Palisade: spec.rules names ${unknown.map((id) => `"${id}"`).join(', ')}, which no loaded rule has; the exception covers nothing for ${unknown.length === 1 ? 'it' : 'them'} until such a rule is loaded`, 256)];
}

/**
 * The head line and as many problem lines as fit in `budget` bytes (UTF-8), each on one line; when
 * some do not fit, a last line says how many were left out.
 */
export function fitLines(head: string, lines: readonly string[], budget = MESSAGE_BUDGET): string {
  const bytes = (text: string): number => Buffer.byteLength(text, 'utf8');
  // Room for the "+N more problems" line, whenever something may still be cut.
  const RESERVE = 48;
  let message = oneLine(head, LINE_MAX);
  for (let i = 0; i < lines.length; i++) {
    const line = oneLine(lines[i] as string, LINE_MAX);
    const last = i === lines.length - 1;
    if (bytes(message) + 1 + bytes(line) + (last ? 0 : RESERVE) > budget) {
      return `${message}\n+${count(lines.length - i, 'more problem')}`;
    }
    message += `\n${line}`;
  }
  return message;
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

function nameOf(request: AdmissionRequest, object: Record<string, unknown>): string {
  const metadata = isRecord(object['metadata']) ? object['metadata'] : {};
  return typeof metadata['name'] === 'string' && metadata['name'] ? metadata['name'] : (request.name ?? '');
}
