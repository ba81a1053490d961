/**
 * Sends fuzz cases to the webhook app (inject: the full Fastify pipeline without sockets) and
 * checks every answer: never a crash, never a 5xx, always a valid HTTP answer; a 200 is an
 * AdmissionReview carrying the request's uid; a refusal is a JSON error with a code.
 */
import { pino } from 'pino';
import type { FastifyInstance } from 'fastify';
import { defaultConfig } from '../../src/config/defaults.js';
import { loadRuleSet } from '../../src/engine/rule-set.js';
import { BUILTIN_RULES_DIR } from '../../src/paths.js';
import { buildServer } from '../../src/server/app.js';
import { createMetrics } from '../../src/server/metrics.js';
import { PolicyHolder } from '../../src/server/policy-holder.js';
import { fuzzCase, random } from './reviews.js';

export const FUZZ_BODY_LIMIT = 512 * 1024;

export async function fuzzApp(): Promise<FastifyInstance> {
  const load = await loadRuleSet([BUILTIN_RULES_DIR]);
  if (!load.ruleSet) throw new Error('built-in rules must load');
  const holder = new PolicyHolder();
  const config = defaultConfig();
  config.admission.mutation = { rules: ['restrict-seccomp', 'disallow-privilege-escalation'], namespaces: ['*'] };
  holder.replace(load.ruleSet, config, new Date());
  return buildServer({ policy: holder, metrics: createMetrics({ processMetrics: false }), logger: pino({ level: 'silent' }), bodyLimit: FUZZ_BODY_LIMIT });
}

export interface FuzzResult {
  sent: number;
  byStatus: Record<number, number>;
  byKind: Record<string, number>;
  failures: string[];
}

export async function runFuzz(app: FastifyInstance, count: number, seed: number): Promise<FuzzResult> {
  const rand = random(seed);
  const result: FuzzResult = { sent: 0, byStatus: {}, byKind: {}, failures: [] };
  for (let i = 0; i < count; i++) {
    const testCase = fuzzCase(rand, FUZZ_BODY_LIMIT);
    const url = rand() < 0.5 ? '/validate' : rand() < 0.5 ? '/mutate' : '/validate/enforce';
    const res = await app.inject({ method: 'POST', url, payload: testCase.body, headers: { 'content-type': 'application/json' } });
    result.sent++;
    result.byStatus[res.statusCode] = (result.byStatus[res.statusCode] ?? 0) + 1;
    result.byKind[testCase.kind] = (result.byKind[testCase.kind] ?? 0) + 1;
    const problem = check(res.statusCode, res.body, testCase.body);
    if (problem && result.failures.length < 20) result.failures.push(`seed ${seed} case ${i} (${testCase.kind}, ${url}): ${problem}`);
  }
  return result;
}

function check(status: number, body: string, sent: string): string | undefined {
  if (({} as Record<string, unknown>)['polluted'] !== undefined) return 'Object.prototype was polluted';
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return `HTTP ${status} with a body that is not JSON: ${body.slice(0, 200)}`;
  }
  if (status >= 500) return `HTTP ${status}: ${body.slice(0, 300)}`;
  if (status === 200) {
    const review = parsed as { apiVersion?: unknown; kind?: unknown; response?: { uid?: unknown; allowed?: unknown } };
    const uid = (JSON.parse(sent) as { request: { uid: string } }).request.uid;
    if (review.kind !== 'AdmissionReview' || review.apiVersion !== 'admission.k8s.io/v1') return 'a 200 that is not an AdmissionReview';
    if (review.response?.uid !== uid) return `response uid ${String(review.response?.uid)} is not the request uid ${uid}`;
    if (typeof review.response.allowed !== 'boolean') return 'response.allowed is not a boolean';
    return undefined;
  }
  const error = parsed as { code?: unknown; message?: unknown };
  if (typeof error.code !== 'string' || typeof error.message !== 'string') return `HTTP ${status} without an error code and message`;
  return undefined;
}
