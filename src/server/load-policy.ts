/**
 * Loads what the server serves: the configuration file, then the rule folders compiled with the
 * configuration's parameters, disabled rules and release pin. All or nothing: any problem in any
 * file refuses the whole load, with every problem named by file and line.
 */
import { defaultConfig } from '../config/defaults.js';
import { loadConfigFile } from '../config/load.js';
import { unknownRuleProblems } from '../config/unknown-rules.js';
import type { PalisadeConfig } from '../config/types.js';
import type { PodTemplateLocation } from '../engine/pod-spec.js';
import { buildRuleSet, type RuleSet } from '../engine/rule-set.js';
import { loadRuleDirs } from '../rules/loader.js';
import type { FileProblem } from '../rules/problems.js';

export interface PolicySources {
  ruleDirs: readonly string[];
  configFile?: string;
  podTemplates?: readonly PodTemplateLocation[];
  /** Rule ids or categories switched off on the command line, besides those the configuration disables. */
  disabled?: readonly string[];
  /** A release pin from the command line; the configuration's `release` applies when absent. */
  release?: string;
  /** The webhook's own namespace, never evaluated (so Palisade cannot block its own recovery). */
  ownNamespace?: string;
}

export type PolicyLoad = { ruleSet: RuleSet; config: PalisadeConfig; problems: [] } | { problems: FileProblem[] };

export async function loadPolicy(sources: PolicySources): Promise<PolicyLoad> {
  let config: PalisadeConfig = defaultConfig();
  if (sources.configFile) {
    const load = await loadConfigFile(sources.configFile);
    if (!load.config) return { problems: load.problems };
    config = load.config;
  }
  if (sources.ownNamespace && !config.policy.excludedNamespaces.includes(sources.ownNamespace)) {
    config.policy.excludedNamespaces.push(sources.ownNamespace);
  }
  const rules = await loadRuleDirs(sources.ruleDirs);
  if (rules.problems.length > 0) return { problems: rules.problems };
  const unknown = unknownRuleProblems(config, rules.rules.map((r) => r.document.id), rules.rules.map((r) => r.document.category));
  if (unknown.length > 0) return { problems: unknown };

  const parameters: Record<string, Record<string, unknown>> = {};
  const disabled = [...config.policy.disabledCategories, ...(sources.disabled ?? [])];
  for (const [id, override] of Object.entries(config.policy.rules)) {
    if (override.parameters) parameters[id] = override.parameters;
    if (override.disabled) disabled.push(id);
  }
  const built = buildRuleSet(rules.rules, {
    parameters,
    disabled,
    ...((sources.release ?? config.release) ? { release: sources.release ?? config.release } : {}),
    ...(sources.podTemplates ? { podTemplates: sources.podTemplates } : {}),
  });
  if (!built.ruleSet) return { problems: built.problems };
  return { ruleSet: built.ruleSet, config, problems: [] };
}
