/**
 * What each rule class may read. The class decides where a rule runs (admission, audit, scan),
 * so the loader checks that expressions only use the variables their class allows: an object
 * rule that read `request` would silently never fire in `palisade scan`.
 */
import type { CelVariable } from '../cel/environment.js';
import type { Mode, RuleClass } from './types.js';

const OBJECT_VARIABLES: readonly CelVariable[] = ['object', 'podSpec', 'params', 'variables'];

export const CLASS_VARIABLES: Readonly<Record<RuleClass, ReadonlySet<CelVariable>>> = {
  object: new Set(OBJECT_VARIABLES),
  admission: new Set([...OBJECT_VARIABLES, 'oldObject', 'request', 'namespaceObject']),
  context: new Set([...OBJECT_VARIABLES, 'cluster', 'namespaceObject']),
  external: new Set([...OBJECT_VARIABLES, 'images']),
};

/** Which class must be declared to read a variable, for the error message. */
export function classesAllowing(variable: string): RuleClass[] {
  return (Object.keys(CLASS_VARIABLES) as RuleClass[]).filter((c) => CLASS_VARIABLES[c].has(variable as CelVariable));
}

/** Where a class runs. Context rules need the whole cluster, which a single admission request lacks. */
export type Phase = 'admission' | 'audit' | 'scan';

export function classRunsIn(ruleClass: RuleClass, phase: Phase): boolean {
  if (ruleClass === 'admission') return phase === 'admission';
  if (ruleClass === 'context') return phase !== 'admission';
  return true;
}

/** Context rules are never enforced at admission: a new namespace has no NetworkPolicy yet. */
export function modeAllowedForClass(ruleClass: RuleClass, mode: Mode): boolean {
  return !(ruleClass === 'context' && mode === 'enforce');
}
