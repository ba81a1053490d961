/**
 * A compiled, indexed rule set: rules are looked up by the object's group and kind, so the cost
 * of evaluating an object does not grow with rules about unrelated kinds.
 */
import { CelEnvironment, type CelLimits } from '../cel/environment.js';
import { compileRule } from '../rules/compiler.js';
import { loadRuleDirs, WORKLOADS, type LoadedRule } from '../rules/loader.js';
import type { FileProblem } from '../rules/problems.js';
import type { CompiledRule, ResourceSelector, Severity } from '../rules/types.js';
import { SEVERITIES } from '../rules/types.js';
import { DEFAULT_POD_TEMPLATES, kindKey, type PodTemplateLocation } from './pod-spec.js';

export interface RuleSelection {
  /** Rule ids or categories to leave out. */
  disabled?: readonly string[];
  /** Keep only rules mapped to this standard. */
  standard?: string;
  /** Keep only rules at or above this severity. */
  minSeverity?: Severity;
}

export interface RuleSetOptions extends RuleSelection {
  /** Extra kinds with a pod template (appended to the built-in table). */
  podTemplates?: readonly PodTemplateLocation[];
  /** Rule id → parameter values that replace the defaults. */
  parameters?: Readonly<Record<string, Record<string, unknown>>>;
  limits?: Partial<CelLimits>;
  /**
   * The Palisade release the user pinned the rule set to: rules that first shipped after it start in
   * dry-run (unless the configuration sets their mode), so an upgrade never starts denying without
   * consent.
   */
  release?: string;
}

export interface RuleSet {
  readonly rules: readonly CompiledRule[];
  readonly env: CelEnvironment;
  readonly podTemplates: ReadonlyMap<string, PodTemplateLocation>;
  /** Rules that may apply to an object of this group and kind. */
  rulesFor(apiGroup: string, kind: string): readonly CompiledRule[];
}

export interface RuleSetLoad {
  ruleSet?: RuleSet;
  problems: FileProblem[];
}

/** Loads, compiles and indexes every rule in the folders. A rule set with any problem is refused whole. */
export async function loadRuleSet(dirs: readonly string[], options: RuleSetOptions = {}): Promise<RuleSetLoad> {
  const load = await loadRuleDirs(dirs);
  const built = buildRuleSet(load.rules, options);
  return { problems: [...load.problems, ...built.problems], ...(load.problems.length === 0 && built.ruleSet ? { ruleSet: built.ruleSet } : {}) };
}

export function buildRuleSet(loaded: readonly LoadedRule[], options: RuleSetOptions = {}): RuleSetLoad {
  const env = new CelEnvironment(options.limits);
  const problems: FileProblem[] = [];
  const rules: CompiledRule[] = [];
  for (const rule of loaded.filter((r) => isSelected(r.document, options))) {
    const compiled = compileRule(rule, env, options.parameters?.[rule.document.id]);
    problems.push(...compiled.problems);
    if (!compiled.rule) continue;
    if (options.release && isNewerRelease(compiled.rule.meta.since, options.release)) compiled.rule.meta.mode = 'dry-run';
    rules.push(compiled.rule);
  }
  if (problems.length > 0) return { problems };
  const podTemplates = new Map<string, PodTemplateLocation>();
  for (const location of [...DEFAULT_POD_TEMPLATES, ...(options.podTemplates ?? [])]) {
    podTemplates.set(kindKey(location.apiGroup, location.kind), location);
  }
  return { problems, ruleSet: indexRules(rules, env, podTemplates) };
}

function isSelected(rule: LoadedRule['document'], selection: RuleSelection): boolean {
  const disabled = selection.disabled ?? [];
  if (disabled.includes(rule.id) || disabled.includes(rule.category)) return false;
  if (selection.standard && !(selection.standard in rule.standards)) return false;
  if (selection.minSeverity && SEVERITIES.indexOf(rule.severity) > SEVERITIES.indexOf(selection.minSeverity)) return false;
  return true;
}

function indexRules(
  rules: CompiledRule[],
  env: CelEnvironment,
  podTemplates: ReadonlyMap<string, PodTemplateLocation>,
): RuleSet {
  const byKind = new Map<string, CompiledRule[]>();
  const byGroupAnyKind = new Map<string, CompiledRule[]>();
  const anyGroupByKind = new Map<string, CompiledRule[]>();
  const everything: CompiledRule[] = [];
  const add = (map: Map<string, CompiledRule[]>, key: string, rule: CompiledRule): void => {
    const list = map.get(key);
    if (list) {
      if (!list.includes(rule)) list.push(rule);
    } else map.set(key, [rule]);
  };
  for (const rule of rules) {
    for (const selector of expandWorkloads(rule.match.resources, podTemplates)) {
      for (const group of selector.apiGroups) {
        for (const kind of selector.kinds) {
          if (group === '*' && kind === '*') everything.push(rule);
          else if (kind === '*') add(byGroupAnyKind, group, rule);
          else if (group === '*') add(anyGroupByKind, kind, rule);
          else add(byKind, kindKey(group, kind), rule);
        }
      }
    }
    rule.usesPodSpec = rule.match.resources.some((r) => r.kinds.includes(WORKLOADS))
      || [...podTemplates.values()].some((t) => rule.match.resources.some((r) => r.kinds.includes(t.kind)));
  }
  const cache = new Map<string, readonly CompiledRule[]>();
  return {
    rules,
    env,
    podTemplates,
    rulesFor(apiGroup, kind) {
      const key = kindKey(apiGroup, kind);
      let found = cache.get(key);
      if (!found) {
        const merged = new Set([
          ...(byKind.get(key) ?? []),
          ...(byGroupAnyKind.get(apiGroup) ?? []),
          ...(anyGroupByKind.get(kind) ?? []),
          ...everything,
        ]);
        // Keep load order, so findings come out in a stable order.
        found = rules.filter((r) => merged.has(r));
        cache.set(key, found);
      }
      return found;
    },
  };
}

/** `workloads` stands for every kind with a pod template, including configured ones. */
function expandWorkloads(
  selectors: readonly ResourceSelector[],
  podTemplates: ReadonlyMap<string, PodTemplateLocation>,
): ResourceSelector[] {
  return selectors.flatMap((selector) =>
    selector.kinds.includes(WORKLOADS)
      ? [...podTemplates.values()].map((t) => ({ apiGroups: [t.apiGroup], kinds: [t.kind] }))
      : [selector],
  );
}

/** `0.3.0` is newer than `0.2.1`; a rule that does not say when it shipped is never "new". */
export function isNewerRelease(since: string, release: string): boolean {
  const parse = (v: string): number[] => v.split('.').map((n) => Number.parseInt(n, 10) || 0);
  if (!since) return false;
  const [a, b] = [parse(since), parse(release)];
  for (let i = 0; i < 3; i++) {
    const diff = (a[i] ?? 0) - (b[i] ?? 0);
    if (diff !== 0) return diff > 0;
  }
  return false;
}
