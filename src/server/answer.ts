/**
 * Answers one AdmissionReview: runs validate (or mutate), and around it keeps the API server's
 * deadline, turns an internal error into the registration's failure behaviour, and writes the one
 * log line and the metrics of the decision. The response always carries the request's uid and
 * apiVersion.
 */
import type { Logger } from 'pino';
import { mutate } from '../admission/mutate-review.js';
import { failureResponse } from '../admission/failure.js';
import type { AdmissionReview, AdmissionReviewResponse, AdmissionResponse } from '../admission/review.js';
import { validate, type AdmissionContext, type ValidateOutcome } from '../admission/validate.js';
import type { Metrics } from './metrics.js';
import { parseTimeout } from './timeout.js';

export type Endpoint = 'validate' | 'mutate';

export interface AnswerOptions {
  endpoint: Endpoint;
  /** The `timeout` query parameter the API server sent. */
  timeout: unknown;
  /** performance.now() when the request arrived. */
  receivedAt: number;
  clock: () => Date;
  metrics: Metrics;
  log: Logger;
}

export function answerReview(review: AdmissionReview, context: Omit<AdmissionContext, 'now'>, options: AnswerOptions): AdmissionReviewResponse {
  const request = review.request;
  const timeoutMs = parseTimeout(options.timeout) * 1000;
  // Leave room to serialise and send the answer: stop evaluating a little before the deadline.
  const evaluateUntil = options.receivedAt + timeoutMs - Math.max(250, timeoutMs / 10);
  const pastDeadline = (): boolean => performance.now() > evaluateUntil;
  let response: AdmissionResponse;
  let outcome: Partial<ValidateOutcome> = {};
  let decision = 'allowed';
  if (performance.now() - options.receivedAt > timeoutMs) {
    // The API server has given up on this call already; answering fast sheds load.
    response = failureResponse(request.uid, context, 'not evaluated: the request waited past its deadline');
    decision = 'deadline';
  } else {
    try {
      if (options.endpoint === 'mutate') {
        const mutated = mutate(request, { ...context, now: options.clock() });
        response = mutated.response;
        outcome = { controllerOwned: mutated.controllerOwned };
        if (mutated.patchedRules.length > 0) decision = 'patched';
        if (mutated.errors.length > 0) options.log.warn({ uid: request.uid, errors: mutated.errors }, 'mutation errors');
      } else {
        outcome = validate(request, { ...context, now: options.clock(), pastDeadline });
        response = outcome.response as AdmissionResponse;
      }
      if (outcome.skipped) decision = 'skipped';
      else if (!response.allowed) decision = 'denied';
    } catch (error) {
      options.log.error({ uid: request.uid, err: error }, 'internal error while evaluating; answered per the failure policy');
      response = failureResponse(request.uid, context, 'internal error (see the Palisade logs)');
      decision = 'error';
    }
  }
  const elapsed = (performance.now() - options.receivedAt) / 1000;
  record(review, response, outcome, decision, elapsed, options);
  return { apiVersion: review.apiVersion, kind: 'AdmissionReview', response };
}

function record(
  review: AdmissionReview,
  response: AdmissionResponse,
  outcome: Partial<ValidateOutcome>,
  decision: string,
  elapsed: number,
  options: AnswerOptions,
): void {
  const request = review.request;
  const dryRun = request.dryRun === true ? 'true' : 'false';
  const controllerOwned = outcome.controllerOwned ? 'true' : 'false';
  const { metrics } = options;
  metrics.requests.inc({ operation: request.operation, kind: request.kind.kind, decision, dry_run: dryRun, controller_owned: controllerOwned, endpoint: options.endpoint });
  metrics.latency.observe({ endpoint: options.endpoint }, elapsed);
  const findings = outcome.decision?.findings ?? [];
  for (const finding of findings) {
    const result = finding.exceptedBy ? 'excepted' : finding.result;
    metrics.ruleResults.inc({ rule: finding.ruleId, mode: finding.mode, result, dry_run: dryRun, controller_owned: controllerOwned });
    if (finding.result === 'error') metrics.evaluationErrors.inc({ rule: finding.ruleId });
  }
  // One line per decision; requests with nothing to say are logged at debug to keep busy clusters quiet.
  const level = decision === 'denied' || decision === 'error' || outcome.breakGlass ? (outcome.breakGlass ? 'warn' : 'info') : findings.length > 0 || decision === 'patched' ? 'info' : 'debug';
  if (!options.log.isLevelEnabled(level)) return;
  const object = request.object ?? request.oldObject;
  const metadata = object && typeof object['metadata'] === 'object' && object['metadata'] !== null ? (object['metadata'] as Record<string, unknown>) : {};
  options.log[level]({
    uid: request.uid,
    operation: request.operation,
    kind: request.kind.kind,
    namespace: request.namespace,
    name: request.name || (typeof metadata['generateName'] === 'string' ? `${metadata['generateName']}*` : undefined),
    user: request.userInfo.username,
    dryRun: request.dryRun === true,
    endpoint: options.endpoint,
    decision,
    allowed: response.allowed,
    ...(outcome.skipped ? { skipped: outcome.skipped } : {}),
    ...(findings.length > 0 ? { rules: findings.map((f) => `${f.ruleId}:${f.exceptedBy ? 'excepted' : f.mode}`) } : {}),
    ...(outcome.existing && outcome.existing.length > 0 ? { existingViolations: outcome.existing } : {}),
    ...(outcome.breakGlass ? { breakGlass: true } : {}),
    durationMs: Math.round(elapsed * 1e6) / 1e3,
  }, 'admission decision');
}
