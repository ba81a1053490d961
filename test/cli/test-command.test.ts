/**
 * `palisade test` on user rule folders that break the conventions: each problem is reported and
 * the command fails.
 */
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../dist/cli/bin.js', import.meta.url));
const RULES = fileURLToPath(new URL('../../rules/pod-security/disallow-privileged/', import.meta.url));
const read = (path: string): string => readFileSync(`${RULES}${path}`, 'utf8');

function palisadeTest(cwd: string, ...dirs: string[]) {
  const run = spawnSync(process.execPath, [BIN, 'test', ...dirs], { cwd, encoding: 'utf8' });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

const rule = read('disallow-privileged.yaml');

t.test('a well-formed user rule folder passes', async (t) => {
  const dir = t.testdir({
    'my-rules': {
      'disallow-privileged': {
        'disallow-privileged.yaml': rule,
        pass: { 'pod.yaml': read('pass/pod.yaml') },
        fail: { 'pod.yaml': read('fail/pod.yaml') },
      },
    },
  });
  const run = palisadeTest(dir, 'my-rules');
  t.equal(run.code, 0);
  t.match(run.stdout, /^2 passed, 0 failed$/m);
});

t.test('convention breaks are each reported', async (t) => {
  const dir = t.testdir({
    'my-rules': {
      'wrong-folder': {
        'disallow-privileged.yaml': rule,
        'notes.txt': 'stray',
        pass: { 'pod.yaml': read('pass/pod.yaml') },
      },
      'lost-rule': { fail: { 'pod.yaml': read('fail/pod.yaml') } },
    },
  });
  const run = palisadeTest(dir, 'my-rules');
  t.equal(run.code, 1);
  t.match(run.stdout, /folder "wrong-folder", file "disallow-privileged\.yaml" and metadata\.name "disallow-privileged" must all be the rule id/);
  t.match(run.stdout, /unexpected file "notes\.txt"/);
  t.match(run.stdout, /no fail\/ fixtures/);
  t.match(run.stdout, /orphan fixture folder my-rules\/lost-rule\/fail/);
});

t.test('a fixture on the wrong side fails with what was found', async (t) => {
  const dir = t.testdir({
    'disallow-privileged': {
      'disallow-privileged.yaml': rule,
      pass: { 'pod.yaml': read('fail/pod.yaml') },
      fail: { 'pod.yaml': read('pass/pod.yaml'), 'service.yaml': 'apiVersion: v1\nkind: Service\nmetadata: {name: s}\n' },
    },
  });
  const run = palisadeTest(dir, '.');
  t.equal(run.code, 1);
  t.match(run.stdout, /FAIL disallow-privileged pass\/pod\.yaml: expected no finding, got: disallow-privileged: privileged/);
  t.match(run.stdout, /FAIL disallow-privileged fail\/pod\.yaml: Pod at line \d+: expected a finding, got none/);
  t.match(run.stdout, /FAIL disallow-privileged fail\/service\.yaml: Service at line 1: the rule does not apply to it/);
  t.match(run.stdout, /^0 passed, 3 failed$/m);
});

t.test('a broken rule fails the load with file:line (exit 2)', async (t) => {
  const dir = t.testdir({ 'bad-rule': { 'bad-rule.yaml': rule.replace('severity: critical', 'severity: extreme') } });
  const run = palisadeTest(dir, '.');
  t.equal(run.code, 2);
  t.match(run.stderr, /bad-rule\.yaml:\d+: spec\.severity: must be one of/);
});

t.test('an object a matchCondition exempts is a pass case, and cannot be a fail case', async (t) => {
  const exempting = rule.replace(
    '  variables:',
    "  matchConditions:\n    - name: not-a-sandbox\n      expression: object.metadata.?labels.?sandbox.orValue('') != 'true'\n  variables:",
  );
  const sandboxPod = read('fail/pod.yaml').replace('name: privileged', 'name: privileged\n  labels: {sandbox: "true"}');
  const dir = t.testdir({
    'disallow-privileged': {
      'disallow-privileged.yaml': exempting,
      pass: { 'sandbox.yaml': sandboxPod },
      fail: { 'pod.yaml': read('fail/pod.yaml'), 'sandbox.yaml': sandboxPod },
    },
  });
  const run = palisadeTest(dir, '.');
  t.equal(run.code, 1);
  t.match(run.stdout, /ok   disallow-privileged pass\/sandbox\.yaml: Pod at line \d+: excluded by a matchCondition/);
  t.match(run.stdout, /FAIL disallow-privileged fail\/sandbox\.yaml: Pod at line \d+: a matchCondition excluded it, so it cannot fail/);
  t.match(run.stdout, /^2 passed, 1 failed$/m);
});

t.test('FixtureContext params test non-default parameter values', async (t) => {
  const maxReplicas = `apiVersion: palisade.dev/v1alpha1
kind: Rule
metadata: {name: max-replicas}
spec:
  title: Replicas stay under a limit
  description: Parameter test.
  severity: low
  category: test
  class: object
  remediation: Lower spec.replicas.
  parameters:
    - {name: max, description: Most replicas allowed, default: 3}
  match: {resources: [{apiGroups: [apps], kinds: [Deployment]}]}
  validations:
    - expression: object.spec.replicas <= params.max
      messageExpression: "'replicas ' + string(object.spec.replicas) + ' > ' + string(params.max)"
`;
  const deployment = 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec: {replicas: 2}\n';
  const withParams = (params: string): string => `apiVersion: palisade.dev/v1alpha1\nkind: FixtureContext\nspec:\n  params: ${params}\n---\n${deployment}`;
  const dir = t.testdir({
    'max-replicas': {
      'max-replicas.yaml': maxReplicas,
      pass: { 'default.yaml': deployment },
      fail: { 'tight.yaml': withParams('{max: 1}'), 'typo.yaml': withParams('{maximum: 1}') },
    },
  });
  const run = palisadeTest(dir, '.');
  t.match(run.stdout, /ok   max-replicas fail\/tight\.yaml: max-replicas: replicas 2 > 1/);
  t.match(run.stdout, /FAIL max-replicas fail\/typo\.yaml: FixtureContext sets unknown parameters: maximum/);
  t.match(run.stdout, /ok   max-replicas pass\/default\.yaml/);
});
