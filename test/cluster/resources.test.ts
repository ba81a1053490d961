import t from 'tap';
import { evaluate } from '../../src/engine/evaluate.js';
import { buildRuleSet } from '../../src/engine/rule-set.js';
import { exceptionsFromResources, resourceText, rulesFromResources } from '../../src/cluster/resources.js';
import { formatProblem } from '../../src/rules/problems.js';
import { builtinIds, config, items, NOW } from './support.js';

t.test('Rule resources from the API server load like rule files, under Rule/<name>', async (t) => {
  const load = rulesFromResources(items('rules-list.json'));
  t.same(load.rules.map((r) => r.document.id), ['require-team-label', 'restrict-team-images'], 'the id is metadata.name');
  const [good] = load.rules;
  t.same(good?.document.source, { file: 'Rule/require-team-label', line: 1 });
  t.equal(good?.document.mode, 'audit');
  t.same(good?.document.parameters, [{ name: 'label', description: 'The label that names the team.', default: 'team' }]);
  t.same(load.problems.map(formatProblem), [
    'Rule/disallow-latest-tag:13: spec.severity: must be one of: critical, high, medium, low, info',
    'Rule/disallow-latest-tag:17: spec.validations[0].reason: must be one of: Unauthorized, Forbidden, Invalid, RequestEntityTooLarge',
  ], 'a resource with a schema problem is left out, its problems named by field and line');
});

t.test('the text Palisade reads keeps apiVersion, kind, metadata.name and spec only', async (t) => {
  const [object] = items('rules-list.json');
  const text = resourceText('Rule', object);
  t.match(text, /^apiVersion: palisade.dev\/v1alpha1\nkind: Rule\nmetadata:\n {2}name: require-team-label\nspec:\n/);
  for (const dropped of ['managedFields', 'resourceVersion', 'uid', 'creationTimestamp', 'generation', 'last-applied-configuration', 'annotations']) {
    t.notMatch(text, dropped, `${dropped} is not part of it`);
  }
  t.match(text, /- expression: \|-\n {8}params\.label in variables\.labels &&\n {10}variables/, 'a multi-line expression stays a block, line for line');
});

t.test('a compile error names the line of the field in that text', async (t) => {
  const objects = items('rules-list.json');
  const load = rulesFromResources(objects);
  const built = buildRuleSet(load.rules);
  t.equal(built.ruleSet, undefined);
  const problems = built.problems.map(formatProblem);
  t.same(problems, [
    'Rule/restrict-team-images:21: spec.variables[0].expression: Expected RPAREN, got EOF',
    'Rule/restrict-team-images:23: spec.variables[1].expression: "request" is not available to object rules (declare class: admission)',
  ]);
  const lines = resourceText('Rule', objects[1]).split('\n');
  t.match(lines[20], /!c\.image\.startsWith/, 'line 21 is the last line of the unclosed expression');
  t.match(lines[22], /expression: request\.userInfo\.username/, 'line 23 is the expression reading request');
});

t.test('with compile options, a resource that does not compile is left out and the others are kept', async (t) => {
  const load = rulesFromResources(items('rules-list.json'), { compile: { parameters: { 'require-team-label': { label: 'owner' } } } });
  t.same(load.rules.map((r) => r.document.id), ['require-team-label']);
  t.same(load.problems.map((p) => `${p.file}:${p.line}: ${p.field}`), [
    'Rule/restrict-team-images:21: spec.variables[0].expression',
    'Rule/restrict-team-images:23: spec.variables[1].expression',
    'Rule/disallow-latest-tag:13: spec.severity',
    'Rule/disallow-latest-tag:17: spec.validations[0].reason',
  ], 'in list order');
  t.ok(buildRuleSet(load.rules).ruleSet, 'what is kept builds a rule set');
  const wrong = rulesFromResources(items('rules-list.json'), { compile: { parameters: { 'require-team-label': { labels: 'x' } } } });
  t.notOk(wrong.rules.some((r) => r.document.id === 'require-team-label'), 'parameters the rule does not declare are a problem of that rule');
});

t.test('a loaded Rule resource judges objects as the same rule file would', async (t) => {
  const [good] = rulesFromResources(items('rules-list.json')).rules;
  const built = buildRuleSet([good!], { parameters: { 'require-team-label': { label: 'owner' } } });
  t.ok(built.ruleSet, built.problems.map(formatProblem).join('\n'));
  const deployment = (labels: Record<string, string>) => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'team-a', labels },
    spec: { selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'registry.example.com/web:1.0' }] } } },
  });
  const failing = evaluate(built.ruleSet!, { object: deployment({ team: 'a' }), operation: 'CREATE' }, { phase: 'admission' });
  t.same(failing.findings.map((f) => [f.ruleId, f.result, f.message]), [['require-team-label', 'fail', 'label owner is missing or empty']], 'the configured parameter applies');
  const passing = evaluate(built.ruleSet!, { object: deployment({ owner: 'team-a' }), operation: 'CREATE' }, { phase: 'admission' });
  t.same(passing.findings.filter((f) => f.result === 'fail'), []);
});

t.test('metadata.name must still be a rule id, without a folder to check it against', async (t) => {
  const [object] = items('rules-list.json') as { metadata: { name: string } }[];
  object!.metadata.name = 'team.require-label';
  const load = rulesFromResources([object]);
  t.same(load.rules, []);
  t.match(load.problems.map(formatProblem), [/^Rule\/team\.require-label:4: metadata\.name: must match \^\[a-z0-9\]/]);
});

t.test('a Rule resource may not take the id of a rule file', async (t) => {
  const [object] = items('rules-list.json') as { metadata: { name: string } }[];
  object!.metadata.name = 'disallow-privileged';
  const load = rulesFromResources([object], { reservedIds: builtinIds });
  t.same(load.rules, [], 'left out');
  t.match(load.problems.map(formatProblem), [/^Rule\/disallow-privileged:4: metadata\.name: rule id "disallow-privileged" is already defined by a rule file/]);
});

t.test('odd list items: no apiVersion/kind, the wrong kind, not an object', async (t) => {
  const [object] = items('rules-list.json') as Record<string, unknown>[];
  const { apiVersion: _a, kind: _k, ...bare } = object!;
  t.same(rulesFromResources([bare]).rules.map((r) => r.document.id), ['require-team-label'], 'items of a typed list carry no apiVersion and kind');
  t.match(rulesFromResources([{ ...object, kind: 'Exception' }]).problems.map(formatProblem), [/^Rule\/require-team-label:2: kind: must be "Rule"$/]);
  t.same(rulesFromResources(['nonsense']).problems.map(formatProblem), ['Rule/<unnamed>: is not an object']);
});

t.test('Exception resources: the cluster policy decides which are honoured', async (t) => {
  const { exceptions, refused } = exceptionsFromResources(items('exceptions-list.json'), config().cluster, NOW);
  t.same(exceptions.map((e) => [e.namespace, e.name, e.createdBy, e.expiresAt?.toISOString()]), [
    ['palisade-system', 'node-agent-host-pid', 'alice', '2026-12-22T00:00:00.000Z'],
    ['palisade-system', 'node-agent-unstamped', undefined, '2026-12-01T00:00:00.000Z'],
  ], 'createdBy comes from the palisade.dev/created-by annotation, when there is one');
  const [accepted] = exceptions;
  t.same(accepted?.rules, ['disallow-host-namespaces']);
  t.same(accepted?.match.kinds, ['DaemonSet']);
  t.same(accepted?.source, { file: 'Exception/palisade-system/node-agent-host-pid', line: 1 });
  t.same(refused, [
    {
      name: 'team-a-host-pid',
      namespace: 'team-a',
      reason: 'metadata.namespace: Exception resources are accepted only in "palisade-system" (cluster.exceptionNamespaces), not in "team-a"; create it there',
    },
    {
      name: 'node-agent-forever',
      namespace: 'palisade-system',
      reason: 'spec.expiresAt: 2027-06-01T00:00:00.000Z is 212 days after the Exception was created (2026-11-01T10:00:00.000Z); cluster.maxExceptionLifetimeDays allows 90: set it to 2027-01-30T10:00:00.000Z or earlier',
    },
    { name: 'node-agent-no-expiry', namespace: 'palisade-system', reason: 'spec.expiresAt: is required' },
    { name: 'node-agent-spec-creator', namespace: 'palisade-system', reason: 'spec.createdBy: is not a known field' },
  ], 'the creator is never read from the spec');
});

t.test('no exception namespaces configured: every Exception resource is refused', async (t) => {
  const { exceptions, refused } = exceptionsFromResources(items('exceptions-list.json'), config((c) => { c.cluster.exceptionNamespaces = []; }).cluster, NOW);
  t.same(exceptions, []);
  t.equal(refused.length, 6);
  t.match(refused[0]?.reason, /accepts no Exception resources \(cluster\.exceptionNamespaces in the Palisade configuration is empty\)/);
});

t.test('the lifetime counts from creationTimestamp, or from now when an object has none', async (t) => {
  const [object] = items('exceptions-list.json') as { metadata: Record<string, unknown>; spec: Record<string, unknown> }[];
  object!.spec['expiresAt'] = '2027-02-15';
  const longer = config((c) => { c.cluster.maxExceptionLifetimeDays = 120; }).cluster;
  t.equal(exceptionsFromResources([object], longer, NOW).exceptions.length, 1, '106 days after 2026-11-01: within 120');
  t.equal(exceptionsFromResources([object], config().cluster, NOW).refused.length, 1, 'beyond 90');
  delete object!.metadata['creationTimestamp'];
  t.equal(exceptionsFromResources([object], config().cluster, NOW).exceptions.length, 1, '85 days after now: within 90');
});

t.test('an expired exception is kept: decide reports it as expired', async (t) => {
  const later = new Date('2027-01-15T00:00:00Z');
  const { exceptions } = exceptionsFromResources(items('exceptions-list.json'), config().cluster, later);
  t.equal(exceptions.length, 2);
  t.ok(exceptions.every((e) => (e.expiresAt?.getTime() ?? 0) < later.getTime()));
});
