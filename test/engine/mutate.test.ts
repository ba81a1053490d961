import t, { type Test } from 'tap';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { applyPatch, parsePointer, type JsonPatchOp } from '../../src/admission/json-patch.js';
import { evaluate } from '../../src/engine/evaluate.js';
import { mutationsFor, type Mutations } from '../../src/engine/mutate.js';
import { loadRuleSet, type RuleSet } from '../../src/engine/rule-set.js';
import type { KubeObject, Resource } from '../../src/engine/types.js';
import { BUILTIN_RULES_DIR } from '../../src/paths.js';
import { readYamlDocuments } from '../../src/rules/yaml-documents.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/mutate/', import.meta.url));
const yamlValues = (file: string): unknown[] => readYamlDocuments(readFileSync(file, 'utf8')).map((d) => d.value);

async function ruleSetOf(dir: string): Promise<RuleSet> {
  const load = await loadRuleSet([dir]);
  if (!load.ruleSet) throw new Error(load.problems.map((p) => `${p.file}:${p.line}: ${p.message}`).join('\n'));
  return load.ruleSet;
}

const builtin = await ruleSetOf(BUILTIN_RULES_DIR);
const testRules = await ruleSetOf(join(FIXTURES, 'rules'));

/** A fresh copy each time: evaluate() takes ownership of the objects it is given. */
const copy = <T>(value: T): T => structuredClone(value);

function mutate(ruleSet: RuleSet, object: KubeObject, ruleIds?: string[], operation: Resource['operation'] = 'CREATE'): Mutations {
  return mutationsFor(ruleSet, { object, operation }, ruleIds ? { ruleIds: new Set(ruleIds) } : {});
}

/** The findings of one rule on an object, as a user would see them. */
function findingsOf(ruleId: string, object: KubeObject): string[] {
  return evaluate(builtin, { object: copy(object), operation: 'CREATE' }, { phase: 'admission' })
    .findings.filter((f) => f.ruleId === ruleId)
    .map((f) => `${f.result}: ${f.message}`);
}

function exists(doc: unknown, pointer: string): boolean {
  let node = doc;
  for (const segment of parsePointer(pointer)) {
    if (Array.isArray(node)) node = /^\d+$/.test(segment) ? node[Number(segment)] : undefined;
    else if (typeof node === 'object' && node !== null && Object.hasOwn(node, segment)) node = (node as Record<string, unknown>)[segment];
    else return false;
    if (node === undefined) return false;
  }
  return true;
}

/** What every patch of the built-in rules must be: plain JSON, valid on the original, adding only. */
function checkPatch(t: Test, original: KubeObject, result: Mutations, where: string): KubeObject {
  t.same(result.errors, [], `${where}: no mutation error`);
  t.same(JSON.parse(JSON.stringify(result.ops)), result.ops, `${where}: the patch is plain JSON (no BigInt)`);
  t.same(result.ops, result.patches.flatMap((p) => p.ops), `${where}: the combined patch is the rules' patches in order`);
  for (const op of result.ops) {
    t.equal(op.op, 'add', `${where}: ${op.path} is an add`);
    // An add onto an existing member would replace it: an explicit value would be overridden.
    if (!op.path.endsWith('/-')) t.notOk(exists(original, op.path), `${where}: ${op.path} did not exist before`);
  }
  let patched: unknown;
  t.doesNotThrow(() => {
    patched = applyPatch(original, result.ops);
  }, `${where}: the patch applies to the original object`);
  return patched as KubeObject;
}

const MUTATING = ['restrict-seccomp', 'disallow-privilege-escalation', 'disallow-capabilities-strict', 'require-run-as-non-root'];

t.test('the built-in rules with mutations are the four remediations', async (t) => {
  t.same(builtin.rules.filter((r) => r.mutations.length > 0).map((r) => r.meta.id).sort(), [...MUTATING].sort());
});

t.test('every fail/ fixture of a mutating rule: fixed by the patch, or an explicit value kept', async (t) => {
  const expectations = yamlValues(join(FIXTURES, 'builtin-fail-fixtures.yaml'))[0] as Record<string, Record<string, { expect: 'fixed' | 'kept' }>>;
  t.same(Object.keys(expectations).sort(), [...MUTATING].sort(), 'every mutating rule is listed');
  for (const ruleId of MUTATING) {
    const folder = join(BUILTIN_RULES_DIR, 'pod-security', ruleId, 'fail');
    const files = readdirSync(folder).sort();
    const listed = expectations[ruleId] ?? {};
    t.same(Object.keys(listed).sort(), files, `${ruleId}: every fail/ fixture is listed`);
    const kinds = new Set<string>();
    for (const file of files) {
      for (const value of yamlValues(join(folder, file))) {
        const original = value as KubeObject;
        kinds.add(String(original['kind']));
        const where = `${ruleId} fail/${file}`;
        t.not(findingsOf(ruleId, original).length, 0, `${where}: fails before`);
        const result = mutate(builtin, copy(original), [ruleId]);
        const patched = checkPatch(t, original, result, where);
        if (listed[file]?.expect === 'fixed') {
          t.not(result.ops.length, 0, `${where}: the mutation patches it`);
          t.same(findingsOf(ruleId, patched), [], `${where}: the patched object passes`);
        } else {
          t.same(result.ops, [], `${where}: the explicit value is kept, nothing is patched`);
          t.not(findingsOf(ruleId, patched).length, 0, `${where}: and the rule still reports it`);
        }
      }
    }
    t.ok(kinds.has('Pod'), `${ruleId}: a Pod fixture was checked`);
  }
});

t.test('every pass/ fixture of a mutating rule still passes after its mutation', async (t) => {
  for (const ruleId of MUTATING) {
    const folder = join(BUILTIN_RULES_DIR, 'pod-security', ruleId, 'pass');
    for (const file of readdirSync(folder).sort()) {
      for (const value of yamlValues(join(folder, file))) {
        const original = value as KubeObject;
        const where = `${ruleId} pass/${file}`;
        const patched = checkPatch(t, original, mutate(builtin, copy(original), [ruleId]), where);
        t.same(findingsOf(ruleId, patched), [], `${where}: passes`);
      }
    }
  }
});

interface MutationCase {
  rules: string[];
  ops: JsonPatchOp[];
  passes?: string[];
  fails?: string[];
  object: KubeObject;
}

t.test('cases: exact patches, on the real object, for Pods and controllers', async (t) => {
  const folder = join(FIXTURES, 'cases');
  const files = readdirSync(folder).sort();
  t.ok(files.length >= 5);
  for (const file of files) {
    yamlValues(join(folder, file)).forEach((value, index) => {
      const c = value as MutationCase;
      const where = `cases/${file}#${index + 1} (${String(c.object['kind'])})`;
      const input = copy(c.object);
      const result = mutate(builtin, input, c.rules);
      t.same(input, c.object, `${where}: the resource is not modified`);
      t.same(result.ops, c.ops, `${where}: the patch`);
      const patched = checkPatch(t, c.object, result, where);
      for (const ruleId of c.passes ?? []) t.same(findingsOf(ruleId, patched), [], `${where}: passes ${ruleId}`);
      for (const ruleId of c.fails ?? []) t.not(findingsOf(ruleId, patched).length, 0, `${where}: still fails ${ruleId}`);
    });
  }
});

t.test('without ruleIds every rule with mutations runs; with them, only those', async (t) => {
  const pod: KubeObject = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'x:1' }] } };
  const all = mutate(builtin, copy(pod));
  t.same(all.patches.map((p) => p.ruleId).sort(), [...MUTATING].sort());
  t.same(mutate(builtin, copy(pod), ['require-run-as-non-root']).patches.map((p) => p.ruleId), ['require-run-as-non-root']);
  t.same(mutate(builtin, copy(pod), []).ops, [], 'an empty selection mutates nothing');
  t.same(mutate(builtin, copy(pod), ['disallow-privileged']).ops, [], 'a rule without mutations contributes nothing');
  t.same(mutate(builtin, copy(pod), undefined, 'DELETE').ops, [], 'a DELETE is never patched');
  t.same(mutate(builtin, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } }).ops, [], 'kinds no rule matches');
});

t.test('mutations never see metadata.managedFields, of object, oldObject or namespaceObject', async (t) => {
  const managed = () => [{ manager: 'kubectl', operation: 'Update', fieldsV1: { 'f:metadata': { 'f:labels': {} } } }];
  const account = (): KubeObject => ({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'sa', managedFields: managed(), labels: { a: 'b' } } });
  const namespaceObject: KubeObject = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-a', managedFields: managed() } };
  const result = mutationsFor(testRules, { object: account(), oldObject: account(), namespaceObject, operation: 'UPDATE' }, { ruleIds: new Set(['metadata-keys']) });
  t.same(result.ops, [{ op: 'add', path: '/metadata/labels/seen', value: 'name.labels-name.labels-name' }]);
});

t.test('a mutation that goes wrong is reported, never thrown, and never yields an invalid patch', async (t) => {
  const configMap: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings', namespace: 'app' }, data: { a: '1' } };
  let result: Mutations | undefined;
  t.doesNotThrow(() => {
    result = mutate(testRules, copy(configMap), ['mutation-errors']);
  });
  t.same(result?.ops, [{ op: 'add', path: '/data/ok', value: 'yes' }], 'the one good operation is kept');
  const messages = result?.errors.map((e) => `${e.ruleId}: ${e.message}`) ?? [];
  const expected = [
    /^mutation-errors: rule evaluation failed in mutations\[0\]: .*missing/,
    /^mutation-errors: mutations\[1\] returned a string, not a list of JSONPatch operations$/,
    /^mutation-errors: mutations\[2\]\[0\]: "op" must be one of add, remove, replace, test, copy, move, not "merge"$/,
    /^mutation-errors: mutations\[2\]\[1\]: "path" must be a JSON Pointer starting with '\/', not "data\/x"$/,
    /^mutation-errors: mutations\[2\]\[2\]: "add" needs a "value"$/,
    /^mutation-errors: mutations\[2\]\[3\]: "add" takes only op, path, value; unknown: vaule$/,
    /^mutation-errors: mutations\[2\]\[4\]: an operation must be a map, not a string$/,
    /^mutation-errors: mutations\[2\]\[5\]: value is a Uint8Array, which has no JSON form$/,
    /^mutation-errors: mutations\[2\]\[6\]: value is a .*, which has no JSON form$/,
    /^mutation-errors: mutations\[3\]\[0\]: does not apply: operation 0 \(add \/spec\/missing\/x\): parent \/spec does not exist$/,
    /^mutation-errors: mutations\[3\]\[1\]: does not apply: operation 0 \(remove \/data\/absent\): path \/data\/absent does not exist$/,
    /^mutation-errors: rule evaluation failed in mutations\[4\]: jsonPointer\(\) needs a map or list inside the object/,
  ];
  t.equal(messages.length, expected.length, 'one error per problem', { found: messages });
  expected.forEach((pattern, i) => t.match(messages[i], pattern));
  t.doesNotThrow(() => applyPatch(configMap, result?.ops ?? []), 'what is returned applies');

  const broken = mutate(testRules, copy(configMap), ['condition-error']);
  t.same(broken.ops, []);
  t.match(broken.errors, [{ ruleId: 'condition-error', message: /^rule evaluation failed in matchConditions\[broken\]: / }]);
});

t.test('numbers in a patch are plain JSON numbers, whatever CEL held them as', async (t) => {
  const deployment: KubeObject = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web' },
    spec: { replicas: 3, template: { spec: { containers: [{ name: 'web', image: 'x:1', ports: [{ containerPort: 8080 }] }] } } },
  };
  const result = mutate(testRules, copy(deployment), ['numbers']);
  t.same(result.errors, []);
  t.same(result.ops, [
    { op: 'test', path: '/spec/replicas', value: 3 },
    { op: 'add', path: '/spec/numbers', value: { replicas: 3, twice: 6, half: 1.5, unsigned: 3, list: [3, -7], ports: [{ containerPort: 8080 }] } },
  ]);
  const value = (result.ops[1] as { value: Record<string, unknown> }).value;
  for (const key of ['replicas', 'twice', 'half', 'unsigned']) t.equal(typeof value[key], 'number', `${key} is a number`);
  t.equal(JSON.stringify(result.ops[0]), '{"op":"test","path":"/spec/replicas","value":3}');
  t.doesNotThrow(() => applyPatch(deployment, result.ops), 'the test operation holds on the original object');
});

t.test('jsonPointer() escapes "/" and "~" in keys', async (t) => {
  const thing: KubeObject = { apiVersion: 'example.com/v1', kind: 'Thing', metadata: { name: 't' }, spec: { 'a/b': { 'm~n': [{}, { x: 1 }] } } };
  const result = mutate(testRules, copy(thing), ['pointer-escapes']);
  t.same(result.errors, []);
  t.same(result.ops, [
    { op: 'add', path: '/spec/a~1b/m~0n/1/seen', value: true },
    { op: 'add', path: '/status', value: { pointer: '/spec/a~1b' } },
  ]);
  t.same((applyPatch(thing, result.ops) as { spec: unknown }).spec, { 'a/b': { 'm~n': [{}, { x: 1, seen: true }] } });
});

t.test('mutations match like validations: namespaces, matchConditions', async (t) => {
  const configMap = (namespace: string, labels: Record<string, string>): KubeObject => ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'c', namespace, labels },
  });
  const ops = (object: KubeObject): JsonPatchOp[] => mutate(testRules, object, ['opt-in-label']).ops;
  t.same(ops(configMap('app', { mutate: 'yes' })), [{ op: 'add', path: '/metadata/labels/mutated', value: 'true' }]);
  t.same(ops(configMap('kube-system', { mutate: 'yes' })), [], 'excluded namespace');
  t.same(ops(configMap('app', {})), [], 'a matchCondition excludes it');
  t.same(mutationsFor(testRules, { object: configMap('app', { mutate: 'yes' }), operation: 'CREATE' }, { ruleIds: new Set(['opt-in-label']), phase: 'scan' }).ops.length, 1);
});
