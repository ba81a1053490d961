import t from 'tap';
import { fileURLToPath } from 'node:url';
import { loadRuleSet } from '../../src/engine/rule-set.js';
import { parseRuleFile } from '../../src/rules/loader.js';
import { formatProblem } from '../../src/rules/problems.js';
import { readFileSync } from 'node:fs';

const broken = (name: string): string => fileURLToPath(new URL(`../fixtures/rules-broken/${name}`, import.meta.url));

async function problemsOf(name: string): Promise<string[]> {
  const load = await loadRuleSet([broken(name)]);
  t.equal(load.ruleSet, undefined, `${name}: a rule set with problems is refused whole`);
  return load.problems.map(formatProblem);
}

t.test('schema errors are all reported, each with file, line and field', async (t) => {
  const problems = await problemsOf('schema-errors.yaml');
  const text = problems.join('\n');
  t.match(text, /schema-errors\.yaml:4: metadata\.name: must match/);
  t.match(text, /schema-errors\.yaml:8: spec\.severity: must be one of: critical, high, medium, low, info/);
  t.match(text, /schema-errors\.yaml:12: spec\.colour: is not a known field/);
  t.equal(problems.length, 3, 'three problems, reported together');
});

t.test('CEL errors name the line inside a block scalar, and class violations are explained', async (t) => {
  const problems = await problemsOf('cel-errors.yaml');
  const text = problems.join('\n');
  t.match(text, /cel-errors\.yaml:16: spec\.variables\[0\]\.expression: /, 'syntax error at the variable');
  t.match(text, /cel-errors\.yaml:20: spec\.validations\[0\]\.expression: "request" is not available to object rules \(declare class: admission\)/);
  t.match(text, /spec\.validations\[1\]\.expression: variables\.undefinedOne is not defined before this expression/);
  t.match(text, /spec\.validations\[1\]: name each validation when a rule has several/);
});

t.test('a context rule in enforce mode is refused', async (t) => {
  const problems = await problemsOf('context-enforce.yaml');
  t.match(problems.join('\n'), /context-enforce\.yaml:11: spec\.mode: context rules cannot be enforced at admission/);
});

t.test('malformed YAML names the file and line', async (t) => {
  const problems = await problemsOf('not-yaml.yaml');
  t.match(problems[0], /not-yaml\.yaml:[45]: invalid YAML/);
});

t.test('duplicate rule ids are refused with both places named', async (t) => {
  const rule = readFileSync(fileURLToPath(new URL('../../rules/pod-security/disallow-privileged/disallow-privileged.yaml', import.meta.url)), 'utf8');
  const first = parseRuleFile(rule, 'a.yaml');
  t.equal(first.problems.length, 0);
  const both = parseRuleFile(`${rule}\n---\n${rule}`, 'twice.yaml');
  t.equal(both.rules.length, 2, 'both documents parse');
  const { loadRuleDirs } = await import('../../src/rules/loader.js');
  const dir = t.testdir({ 'one.yaml': rule, 'two.yaml': rule });
  const load = await loadRuleDirs([dir]);
  t.match(load.problems.map(formatProblem).join('\n'), /two\.yaml:\d+: metadata\.name: rule id "disallow-privileged" is already defined at .*one\.yaml/);
});

t.test('a missing rules folder is a problem, not a crash', async (t) => {
  const load = await loadRuleSet(['/nonexistent/rules']);
  t.match(formatProblem(load.problems[0]!), /^\/nonexistent\/rules: cannot read rules: ENOENT/, 'a folder problem has no line');
});
