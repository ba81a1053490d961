import t from 'tap';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { evaluate } from '../../src/engine/evaluate.js';
import { loadRuleSet, type RuleSet } from '../../src/engine/rule-set.js';
import type { KubeObject, Resource } from '../../src/engine/types.js';
import { BUILTIN_RULES_DIR } from '../../src/paths.js';
import { readYamlDocuments } from '../../src/rules/yaml-documents.js';

const fixture = (name: string): string => fileURLToPath(new URL(`../fixtures/engine/${name}`, import.meta.url));
const objects = (name: string): KubeObject[] => readYamlDocuments(readFileSync(fixture(name), 'utf8')).map((d) => d.value as KubeObject);

async function ruleSetOf(dir: string): Promise<RuleSet> {
  const load = await loadRuleSet([dir]);
  if (!load.ruleSet) throw new Error(load.problems.map((p) => p.message).join('\n'));
  return load.ruleSet;
}

const builtin = await ruleSetOf(BUILTIN_RULES_DIR);
const testRules = await ruleSetOf(fixture('rules'));
const scan = (ruleSet: RuleSet, resource: Resource) => evaluate(ruleSet, resource, { phase: 'scan' });

t.test('a pod rule applies to every kind with a pod template, with the exact field path', async (t) => {
  const all = objects('pod-template-kinds.yaml');
  t.equal(all.length, 9);
  for (const object of all) {
    const expected = (object['metadata'] as { annotations: Record<string, string> }).annotations['test.palisade.dev/expected-path'];
    const { findings } = scan(builtin, { object, operation: 'CREATE' });
    const privileged = findings.find((f) => f.ruleId === 'disallow-privileged');
    t.ok(privileged, `${String(object['kind'])}: privileged container found`);
    t.same(privileged?.paths, [expected], `${String(object['kind'])}: path`);
    t.same(privileged?.containers, ['priv'], `${String(object['kind'])}: container named`);
    t.same(privileged?.images, ['registry.example.com/priv:1.0']);
  }
});

t.test('rules are indexed by group and kind: unrelated kinds evaluate nothing', async (t) => {
  t.same(testRules.rulesFor('', 'Pod'), []);
  t.same(testRules.rulesFor('apps', 'Deployment').map((r) => r.meta.id), ['only-team-namespaces', 'replicas-even']);
  t.same(testRules.rulesFor('example.com', 'Deployment'), [], 'the group matters, not just the kind');
  t.same(testRules.rulesFor('', 'ConfigMap').map((r) => r.meta.id), ['print-secret', 'no-delete-by-bob']);
  t.same(builtin.rulesFor('networking.k8s.io', 'Ingress').filter((r) => r.meta.id === 'disallow-privileged'), []);
});

const deployment = (namespace: string, labels: Record<string, string>, replicas?: number): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace, labels },
  spec: { ...(replicas === undefined ? {} : { replicas }), template: { spec: { containers: [] } } },
});

t.test('namespace globs, exclusions and object selectors', async (t) => {
  const matched = (object: KubeObject): boolean =>
    scan(testRules, { object, operation: 'CREATE' }).findings.some((f) => f.ruleId === 'only-team-namespaces');
  t.ok(matched(deployment('team-a', { tier: 'web' })));
  t.notOk(matched(deployment('team-legacy', { tier: 'web' })), 'excluded namespace');
  t.notOk(matched(deployment('other', { tier: 'web' })), 'namespace outside the glob');
  t.notOk(matched(deployment('team-a', { tier: 'db' })), 'object selector');
});

t.test('integers are CEL ints, and matchConditions gate the rule', async (t) => {
  const odd = scan(testRules, { object: deployment('x', {}, 3), operation: 'CREATE' });
  t.match(odd.findings.find((f) => f.ruleId === 'replicas-even')?.message, 'replicas is 3, twice that is 6');
  const none = scan(testRules, { object: deployment('x', {}), operation: 'CREATE' });
  t.notOk(none.evaluated.includes('replicas-even'), 'skipped when the match condition is false');
  t.notOk(none.findings.some((f) => f.ruleId === 'replicas-even'));
});

t.test('Secret values and last-applied-configuration never reach a rule', async (t) => {
  const secret: KubeObject = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 's', annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"data":{"password":"aHVudGVyMg=="}}' } },
    data: { password: 'aHVudGVyMg==' },
    stringData: { token: 'hunter2' },
  };
  const { findings } = scan(testRules, { object: secret, operation: 'CREATE' });
  const message = findings.find((f) => f.ruleId === 'print-secret')?.message ?? '';
  t.match(message, 'data=password:[redacted]', 'the key is visible, the value is not');
  t.notMatch(message, 'aHVudGVyMg');
  t.notMatch(message, 'hunter2');
});

t.test('a run-time error becomes an error finding, never an exception', async (t) => {
  const service: KubeObject = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'svc' }, spec: {} };
  const { findings } = scan(testRules, { object: service, operation: 'CREATE' });
  const error = findings.find((f) => f.ruleId === 'runtime-error');
  t.equal(error?.result, 'error');
  t.match(error?.message, /^rule evaluation failed in validations\[0\]: /, "names the failing expression");
});

t.test('admission rules run only at admission, with the request', async (t) => {
  const cm: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } };
  const request = {
    uid: '1',
    kind: { group: '', version: 'v1', kind: 'ConfigMap' },
    resource: { group: '', version: 'v1', resource: 'configmaps' },
    operation: 'DELETE' as const,
    userInfo: { username: 'bob' },
    dryRun: false,
  };
  const atAdmission = evaluate(testRules, { object: cm, operation: 'DELETE', request }, { phase: 'admission' });
  t.match(atAdmission.findings.find((f) => f.ruleId === 'no-delete-by-bob')?.message, 'bob may not delete');
  const inScan = evaluate(testRules, { object: { ...cm }, operation: 'DELETE', request }, { phase: 'scan' });
  t.notOk(inScan.evaluated.includes('no-delete-by-bob'));
  const onCreate = evaluate(testRules, { object: { ...cm }, operation: 'CREATE', request: { ...request, operation: 'CREATE' } }, { phase: 'admission' });
  t.notOk(onCreate.evaluated.includes('no-delete-by-bob'), 'operations are matched');
});

t.test('more kinds get the podSpec view by configuring where their pod template lives', async (t) => {
  const load = await loadRuleSet([BUILTIN_RULES_DIR], {
    podTemplates: [{ apiGroup: 'argoproj.io', kind: 'Rollout', specPath: ['spec', 'template', 'spec'] }],
  });
  const rollout: KubeObject = {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Rollout',
    metadata: { name: 'canary' },
    spec: { template: { spec: { containers: [{ name: 'app', image: 'x', securityContext: { privileged: true } }] } } },
  };
  const plain = scan(builtin, { object: structuredClone(rollout), operation: 'CREATE' });
  t.notOk(plain.findings.some((f) => f.ruleId === 'disallow-privileged'), 'not a workload without configuration');
  const { findings } = scan(load.ruleSet!, { object: rollout, operation: 'CREATE' });
  t.same(findings.find((f) => f.ruleId === 'disallow-privileged')?.paths, ['spec.template.spec.containers[0].securityContext.privileged']);
});

t.test('the iteration budget stops a pathological rule on a large object', async (t) => {
  const dir = t.testdir({
    'nested.yaml': `apiVersion: palisade.dev/v1alpha1
kind: Rule
metadata: {name: nested}
spec:
  title: Triple-nested comprehension
  description: Budget test.
  severity: low
  category: test
  class: object
  remediation: none
  match: {resources: [{apiGroups: [""], kinds: [ConfigMap]}]}
  validations:
    - expression: >-
        object.data.all(a, object.data.all(b, object.data.all(c, a + b + c != '')))
`,
  });
  const load = await loadRuleSet([dir]);
  const data: Record<string, string> = {};
  for (let i = 0; i < 400; i++) data[`k${i}`] = 'v';
  // Without the budget this would run 64 million iterations and hit tap's timeout.
  const { findings } = scan(load.ruleSet!, { object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'big' }, data }, operation: 'CREATE' });
  t.equal(findings[0]?.result, 'error');
  t.match(findings[0]?.message, /evaluation budget of 250000 iterations exceeded/);
});

t.test('a hostile, deeply nested object is evaluated, not a crash', async (t) => {
  const depth = 50_000;
  const body = `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"deep"},"spec":{"deep":${'['.repeat(depth)}${']'.repeat(depth)},"containers":[{"name":"a","image":"x","securityContext":{"privileged":true}}]}}`;
  const { findings } = scan(builtin, { object: JSON.parse(body) as KubeObject, operation: 'CREATE' });
  t.same(findings.find((f) => f.ruleId === 'disallow-privileged')?.paths, ['spec.containers[0].securityContext.privileged']);
});

t.test('a map with its own "constructor" or "__proto__" key is plain JSON, and is evaluated', async (t) => {
  const object = JSON.parse('{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c","namespace":"team-a"},"data":{"constructor":"x","__proto__":"y","password":"hunter2hunter2"}}') as KubeObject;
  const result = scan(builtin, { object, operation: 'CREATE' });
  t.ok(result.evaluated.length > 0, 'the ConfigMap rules ran');
  t.notOk(result.findings.some((f) => f.result === 'error'), 'and none failed to evaluate');
  // cel-js types a map by its constructor property; the ConfigMap rule checks type(data) == type({})
  // and, before the fast path looked at the prototype, read this data as empty.
  t.match(result.findings.find((f) => f.ruleId === 'no-secrets-in-configmaps')?.message, /key "password" holds a literal password/, 'the other keys are still read');
  const annotated = JSON.parse('{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c","namespace":"team-a","annotations":{"constructor":"x","note":"AKIAIOSFODNN7EXAMPL2"}}}') as KubeObject;
  const onAnnotations = scan(builtin, { object: annotated, operation: 'CREATE' });
  t.notOk(onAnnotations.findings.some((f) => f.result === 'error'), 'annotations with a "constructor" key evaluate');
  t.match(onAnnotations.findings.find((f) => f.ruleId === 'no-secrets-in-annotations')?.message, /AWS access key id/);
});

t.test('objects under evaluation must be plain JSON: a class instance is refused before any rule runs', async (t) => {
  // The CEL fast path reads below `object` without per-value type checks; a Date from a typed API
  // client would otherwise be read as a map. JSON.parse and YAML never produce one.
  const object = objects('pod-template-kinds.yaml')[0] as KubeObject;
  (object['metadata'] as Record<string, unknown>)['creationTimestamp'] = new Date(0);
  t.throws(() => scan(builtin, { object, operation: 'CREATE' }), { name: 'TypeError', message: /plain JSON; found Date/ });
  const bare = objects('pod-template-kinds.yaml')[0] as KubeObject;
  (bare['metadata'] as Record<string, unknown>)['labels'] = Object.create(null);
  t.throws(() => scan(builtin, { object: bare, operation: 'CREATE' }), /plain JSON; found an object without a prototype/);
});

t.test('rules never see metadata.managedFields, of object, oldObject or namespaceObject', async (t) => {
  const managed = () => [{ manager: 'kubectl', operation: 'Update', fieldsV1: { 'f:metadata': { 'f:labels': {} } } }];
  const account = (): KubeObject => ({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'sa', namespace: 'team-a', managedFields: managed(), labels: { a: 'b' } } });
  const namespaceObject: KubeObject = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-a', managedFields: managed() } };
  const { findings } = evaluate(testRules, { object: account(), oldObject: account(), namespaceObject, operation: 'UPDATE' }, { phase: 'admission' });
  t.equal(findings.find((f) => f.ruleId === 'metadata-keys')?.message, 'object: name,namespace,labels; oldObject: name,namespace,labels; namespaceObject: name');
});
