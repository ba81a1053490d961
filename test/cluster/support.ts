/** Shared by the cluster tests: fixtures (API server objects and AdmissionReviews), the built-in rules, a config. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { AdmissionRequest, AdmissionReview } from '../../src/admission/review.js';
import { defaultConfig } from '../../src/config/defaults.js';
import type { PalisadeConfig } from '../../src/config/types.js';
import { loadRuleSet } from '../../src/engine/rule-set.js';
import { BUILTIN_RULES_DIR } from '../../src/paths.js';

const load = await loadRuleSet([BUILTIN_RULES_DIR]);
if (!load.ruleSet) throw new Error('built-in rules must load');
export const builtinRules = load.ruleSet;
export const builtinIds: ReadonlySet<string> = new Set(builtinRules.rules.map((r) => r.meta.id));

/** The fixtures' requests are made at this instant; their objects were created two seconds before. */
export const NOW = new Date('2026-11-22T12:00:00Z');

export function fixturePath(name: string): string {
  return fileURLToPath(new URL(`../fixtures/cluster/${name}`, import.meta.url));
}

/** A fresh copy each time, so a test may change it. */
export function fixture<T = unknown>(name: string): T {
  return JSON.parse(readFileSync(fixturePath(name), 'utf8')) as T;
}

export function request(name: string): AdmissionRequest {
  return fixture<AdmissionReview>(name).request;
}

export function items(name: string): unknown[] {
  return fixture<{ items: unknown[] }>(name).items;
}

/** The default configuration, accepting Exception resources from palisade-system, with `edit` applied. */
export function config(edit: (c: PalisadeConfig) => void = () => {}): PalisadeConfig {
  const c = defaultConfig();
  c.cluster.exceptionNamespaces = ['palisade-system'];
  edit(c);
  return c;
}
