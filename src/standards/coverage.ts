/**
 * How the rules cover a standard: for each control, the rules mapped to it. Also the consistency
 * checks a catalogue and the rules must pass together: a rule may only name controls that exist,
 * every automated or context control needs a rule, an out-of-scope control has none.
 */
import type { RuleMeta } from '../rules/types.js';
import type { Control, Standard } from './types.js';

export interface ControlCoverage {
  control: Control;
  rules: string[];
}

export function coverageOf(standard: Standard, rules: readonly Pick<RuleMeta, 'id' | 'standards'>[]): ControlCoverage[] {
  return standard.controls.map((control) => ({
    control,
    rules: rules.filter((r) => r.standards[standard.id]?.includes(control.id)).map((r) => r.id),
  }));
}

export function consistencyProblems(
  standards: readonly Standard[],
  rules: readonly Pick<RuleMeta, 'id' | 'standards' | 'ruleClass'>[],
): string[] {
  const problems: string[] = [];
  const byId = new Map(standards.map((s) => [s.id, s]));
  for (const rule of rules) {
    for (const [standardId, controls] of Object.entries(rule.standards)) {
      const standard = byId.get(standardId);
      if (!standard) {
        problems.push(`rule ${rule.id} names standard "${standardId}", which has no catalogue`);
        continue;
      }
      for (const id of controls) {
        const control = standard.controls.find((c) => c.id === id);
        if (!control) problems.push(`rule ${rule.id} names ${standardId} control "${id}", which is not in the catalogue`);
        else if (control.coverage === 'out-of-scope') problems.push(`rule ${rule.id} names ${standardId} control "${id}", which the catalogue says is out of scope`);
      }
    }
  }
  for (const standard of standards) {
    for (const { control, rules: ids } of coverageOf(standard, rules)) {
      if (control.coverage !== 'out-of-scope' && ids.length === 0) {
        problems.push(`${standard.id} control "${control.id}" is ${control.coverage} but no rule maps to it`);
      }
      const contextRules = ids.filter((id) => rules.find((r) => r.id === id)?.ruleClass === 'context');
      if (control.coverage === 'context' && ids.length > 0 && contextRules.length === 0) {
        problems.push(`${standard.id} control "${control.id}" needs cluster context, but only non-context rules map to it`);
      }
    }
  }
  return problems;
}
