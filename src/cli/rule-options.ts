/**
 * Options shared by every command that loads rules: `--rules DIR` (repeatable) adds user rule
 * folders to the built-in ones, `--no-builtin` leaves the built-ins out, `--disable ID|CATEGORY`
 * switches rules off.
 */
import type { ParseArgsConfig } from 'node:util';
import type { PodTemplateLocation } from '../engine/pod-spec.js';
import { loadRuleSet, type RuleSet, type RuleSetOptions } from '../engine/rule-set.js';
import { BUILTIN_RULES_DIR } from '../paths.js';
import type { PolicySources } from '../server/load-policy.js';
import { FileProblemsError } from '../rules/problems.js';
import { CliError } from './cli-error.js';

export const RULE_OPTIONS = {
  rules: { type: 'string', multiple: true },
  'no-builtin': { type: 'boolean' },
  disable: { type: 'string', multiple: true },
  'pod-template': { type: 'string', multiple: true },
  'rules-release': { type: 'string' },
} as const satisfies ParseArgsConfig['options'];

export interface RuleOptionValues {
  rules?: string[];
  'no-builtin'?: boolean;
  disable?: string[];
  'pod-template'?: string[];
  'rules-release'?: string;
}

/**
 * `--pod-template argoproj.io/Rollout=spec.template.spec` gives another kind the podSpec view,
 * so every pod rule applies to it.
 */
export function podTemplateLocations(values: RuleOptionValues): PodTemplateLocation[] {
  return (values['pod-template'] ?? []).map((text) => {
    const match = /^(?:([a-z0-9.-]+)\/)?([A-Z][A-Za-z0-9]*)=([A-Za-z0-9]+(?:\.[A-Za-z0-9]+)*)$/.exec(text);
    if (!match) throw new CliError(`--pod-template "${text}": expected GROUP/Kind=path.to.podspec, e.g. argoproj.io/Rollout=spec.template.spec`);
    return { apiGroup: match[1] ?? '', kind: match[2] ?? '', specPath: (match[3] ?? '').split('.') };
  });
}

export function ruleDirs(values: RuleOptionValues): string[] {
  return [...(values['no-builtin'] ? [] : [BUILTIN_RULES_DIR]), ...(values.rules ?? [])];
}

/** The rule folders to load, after checking there is one and that --rules-release is a release. */
export function checkedRuleDirs(values: RuleOptionValues): string[] {
  const dirs = ruleDirs(values);
  if (dirs.length === 0) throw new CliError('no rules: --no-builtin needs at least one --rules DIR');
  const release = values['rules-release'];
  if (release !== undefined && !/^\d+\.\d+\.\d+$/.test(release)) throw new CliError(`--rules-release "${release}": expected a release such as 0.2.0`);
  return dirs;
}

/** Loads the rule set or fails with every problem listed (exit 2). */
export async function loadRulesOrFail(values: RuleOptionValues, options: RuleSetOptions = {}): Promise<RuleSet> {
  const dirs = checkedRuleDirs(values);
  const release = values['rules-release'];
  const load = await loadRuleSet(dirs, {
    ...options,
    ...(release ? { release } : {}),
    podTemplates: podTemplateLocations(values),
    disabled: [...(values.disable ?? []), ...(options.disabled ?? [])],
  });
  if (!load.ruleSet) throw new CliError(new FileProblemsError('rules rejected', load.problems).message);
  return load.ruleSet;
}

/** What `loadPolicy` reads, from the shared rule options and `--config` (every cluster-facing command). */
export function policySources(values: RuleOptionValues & { config?: string }, dirs: string[]): PolicySources {
  const release = values['rules-release'];
  return {
    ruleDirs: dirs,
    ...(values.config ? { configFile: values.config } : {}),
    podTemplates: podTemplateLocations(values),
    disabled: values.disable ?? [],
    ...(release ? { release } : {}),
  };
}
