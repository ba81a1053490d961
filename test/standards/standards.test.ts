import t from 'tap';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { DecidedFinding } from '../../src/policy/types.js';
import type { ResourceResult } from '../../src/report/types.js';
import { formatProblem } from '../../src/rules/problems.js';
import { consistencyProblems, coverageOf } from '../../src/standards/coverage.js';
import { parseStandard } from '../../src/standards/loader.js';
import { scoreStandards } from '../../src/standards/score.js';

const fixture = (name: string): string => readFileSync(fileURLToPath(new URL(`../fixtures/standards/${name}`, import.meta.url)), 'utf8');
const small = parseStandard(fixture('small.yaml'), 'small.yaml').standards;

t.test('a broken catalogue is rejected with file:line for each problem', async (t) => {
  const load = parseStandard(fixture('broken.yaml'), 'broken.yaml');
  const text = load.problems.map(formatProblem).join('\n');
  t.match(text, /broken\.yaml:10: spec\.controls\[0\]\.reason: is required/);
  t.match(text, /broken\.yaml:17: spec\.controls\[1\]\.coverage: must be one of: automated, context, out-of-scope/);
  t.equal(load.standards.length, 0);
  const dup = parseStandard(fixture('broken.yaml').replace(/\n {4}- id: A1[\s\S]*?(?=\n {4}- id: A3)/, '').replace('coverage: sometimes', 'coverage: automated'), 'dup.yaml');
  t.match(dup.problems.map(formatProblem).join('\n'), /control "A3" is listed twice/);
});

const rules = [
  { id: 'rule-a', ruleClass: 'object' as const, standards: { small: ['S1'] } },
  { id: 'rule-b', ruleClass: 'object' as const, standards: { small: ['S2'] } },
  { id: 'rule-c', ruleClass: 'context' as const, standards: { small: ['S3'] } },
];

t.test('consistency: unknown controls, out-of-scope controls with rules, uncovered controls', async (t) => {
  t.same(consistencyProblems(small, rules), []);
  const problems = consistencyProblems(small, [
    { id: 'rule-a', ruleClass: 'object', standards: { small: ['S1', 'S9'], other: ['X'] } },
    { id: 'rule-d', ruleClass: 'object', standards: { small: ['S4', 'S3'] } },
  ]);
  t.same(problems.sort(), [
    'rule rule-a names small control "S9", which is not in the catalogue',
    'rule rule-a names standard "other", which has no catalogue',
    'rule rule-d names small control "S4", which the catalogue says is out of scope',
    'small control "S2" is automated but no rule maps to it',
    'small control "S3" needs cluster context, but only non-context rules map to it',
  ].sort());
  t.same(coverageOf(small[0]!, rules).map((c) => c.rules), [['rule-a'], ['rule-b'], ['rule-c'], []]);
});

t.test('score: a control fails when any resource fails one of its rules; excepted findings do not count', async (t) => {
  const finding = (ruleId: string, excepted = false): DecidedFinding =>
    ({ ruleId, ...(excepted ? { exceptedBy: { name: 'e', reason: 'r', owner: 'o' } } : {}) }) as DecidedFinding;
  const results: ResourceResult[] = [
    { resource: { apiVersion: 'v1', kind: 'Pod', name: 'a' }, findings: [finding('rule-a')] },
    { resource: { apiVersion: 'v1', kind: 'Pod', name: 'b' }, findings: [finding('rule-b', true)] },
  ];
  t.same(scoreStandards(small, rules, results), [{ standard: 'small', controls: 3, passed: 2, failed: ['S1'], score: 66.7 }]);
  t.same(scoreStandards(small, rules.slice(0, 1), []), [{ standard: 'small', controls: 1, passed: 1, failed: [], score: 100 }], 'controls without a loaded rule are not counted');
  t.same(scoreStandards(small, [], results), [], 'no loaded rule for a standard: no score');
});
