/** Shared by the admission tests: the built-in rule set, review fixtures, and a config builder. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { AdmissionReview } from '../../src/admission/review.js';
import { defaultConfig } from '../../src/config/defaults.js';
import type { PalisadeConfig } from '../../src/config/types.js';
import { loadRuleSet } from '../../src/engine/rule-set.js';
import { BUILTIN_RULES_DIR } from '../../src/paths.js';

const load = await loadRuleSet([BUILTIN_RULES_DIR]);
if (!load.ruleSet) throw new Error('built-in rules must load');
export const builtinRules = load.ruleSet;

export const NOW = new Date('2026-11-22T12:00:00Z');

/** A fresh copy each time: the engine takes ownership of the objects it evaluates. */
export function review(name: string): AdmissionReview {
  return JSON.parse(readFileSync(fileURLToPath(new URL(`../fixtures/admission/${name}`, import.meta.url)), 'utf8')) as AdmissionReview;
}

export function reviewText(name: string): string {
  return readFileSync(fileURLToPath(new URL(`../fixtures/admission/${name}`, import.meta.url)), 'utf8');
}

/** The default configuration with changes applied by `edit`. */
export function config(edit: (c: PalisadeConfig) => void = () => {}): PalisadeConfig {
  const c = defaultConfig();
  edit(c);
  return c;
}
