/**
 * Per-standard score of a scan: the share of in-scope controls passed, where a control fails when
 * any resource has a failing (not excepted) finding of one of its rules. Controls whose rules were
 * all left out of the run (disabled, below --severity) are not counted either way.
 */
import type { ResourceResult, StandardScore } from '../report/types.js';
import type { RuleMeta } from '../rules/types.js';
import { coverageOf } from './coverage.js';
import type { Standard } from './types.js';

export function scoreStandards(
  standards: readonly Standard[],
  rules: readonly Pick<RuleMeta, 'id' | 'standards'>[],
  results: readonly ResourceResult[],
): StandardScore[] {
  const failingRules = new Set<string>();
  for (const result of results) {
    for (const finding of result.findings) if (!finding.exceptedBy) failingRules.add(finding.ruleId);
  }
  const scores: StandardScore[] = [];
  for (const standard of standards) {
    const evaluated = coverageOf(standard, rules).filter((c) => c.control.coverage !== 'out-of-scope' && c.rules.length > 0);
    if (evaluated.length === 0) continue;
    const failed = evaluated.filter((c) => c.rules.some((id) => failingRules.has(id))).map((c) => c.control.id);
    const passed = evaluated.length - failed.length;
    scores.push({
      standard: standard.id,
      controls: evaluated.length,
      passed,
      failed,
      score: Math.round((1000 * passed) / evaluated.length) / 10,
    });
  }
  return scores;
}
