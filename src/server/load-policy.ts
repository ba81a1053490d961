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
import { formatProblem, type FileProblem } from '../rules/problems.js';
import { exceptionsFromResources, rulesFromResources } from '../cluster/resources.js';
import { verifierFromConfig } from '../images/from-config.js';
import type { ImageVerifier } from '../images/verifier.js';

export interface PolicySources {
  ruleDirs: readonly string[];
  configFile?: string;
  podTemplates?: readonly PodTemplateLocation[];
  /** Rule ids or categories switched off on the command line, besides those the configuration disables. */
  disabled?: readonly string[];
  /** A release pin from the command line; the configuration's `release` applies when absent. */
  release?: string;
  /** Palisade's Rule and Exception resources, when running against a cluster. */
  cluster?: { rules(): readonly unknown[]; exceptions(): readonly unknown[] };
  /** The webhook's own namespace, never evaluated (so Palisade cannot block its own recovery). */
  ownNamespace?: string;
  /**
   * Leave out image verification, and so the files `images` names (keys, CAs): for what only
   * needs the configuration's shape, such as rendering webhook configurations on a laptop whose
   * paths are not the cluster's.
   */
  withoutImages?: boolean;
}

export interface LoadedPolicy {
  ruleSet: RuleSet;
  config: PalisadeConfig;
  /** Ids of the rules from rule folders: a Rule resource may not take one. */
  fileRuleIds: Set<string>;
  /** Rule and Exception resources left out (each is checked when applied; these slipped past). */
  skipped: string[];
  /** Image verification, when the configuration sets it up (`images`). */
  images?: { verifier: ImageVerifier; timeoutMs: number };
  problems: [];
}

/** A refusal carries the configuration when it was read, so the files it names can be watched. */
export type PolicyLoad = LoadedPolicy | { problems: FileProblem[]; config?: PalisadeConfig };

export async function loadPolicy(sources: PolicySources, now: Date = new Date()): Promise<PolicyLoad> {
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
  if (rules.problems.length > 0) return { problems: rules.problems, config };
  const fileRuleIds = new Set(rules.rules.map((r) => r.document.id));
  const skipped: string[] = [];
  if (sources.cluster) {
    // A broken resource is left out and reported rather than refusing every rule: it was checked
    // when applied, so it can only be here if the webhook was down at the time.
    const fromCluster = rulesFromResources(sources.cluster.rules(), { reservedIds: fileRuleIds, compile: { parameters: parametersOf(config) } });
    rules.rules.push(...fromCluster.rules);
    skipped.push(...fromCluster.problems.map(formatProblem));
    const exceptions = exceptionsFromResources(sources.cluster.exceptions(), config.cluster, now);
    config.policy.exceptions.push(...exceptions.exceptions);
    skipped.push(...exceptions.refused.map((r) => `Exception/${r.namespace}/${r.name}: ${r.reason}`));
  }
  const unknown = unknownRuleProblems(config, rules.rules.map((r) => r.document.id), rules.rules.map((r) => r.document.category));
  if (unknown.length > 0) return { problems: unknown, config };

  const parameters = parametersOf(config);
  const disabled = [...config.policy.disabledCategories, ...(sources.disabled ?? [])];
  for (const [id, override] of Object.entries(config.policy.rules)) {
    if (override.disabled) disabled.push(id);
  }
  const built = buildRuleSet(rules.rules, {
    parameters,
    disabled,
    ...((sources.release ?? config.release) ? { release: sources.release ?? config.release } : {}),
    ...(sources.podTemplates ? { podTemplates: sources.podTemplates } : {}),
  });
  if (!built.ruleSet) return { problems: built.problems, config };
  let images: LoadedPolicy['images'];
  if (config.images && !sources.withoutImages) {
    const load = await verifierFromConfig(config.images);
    if (!load.verifier) return { problems: load.problems, config };
    images = { verifier: load.verifier, timeoutMs: load.timeoutMs };
  }
  return { ruleSet: built.ruleSet, config, fileRuleIds, skipped, ...(images ? { images } : {}), problems: [] };
}

function parametersOf(config: PalisadeConfig): Record<string, Record<string, unknown>> {
  const parameters: Record<string, Record<string, unknown>> = {};
  for (const [id, override] of Object.entries(config.policy.rules)) if (override.parameters) parameters[id] = override.parameters;
  return parameters;
}
