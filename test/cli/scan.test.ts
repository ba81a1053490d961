/**
 * `palisade scan` end to end: the real built bin on real files, asserting output and exit codes.
 * (npm test builds dist/ first.)
 */
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../dist/cli/bin.js', import.meta.url));
const FIXTURES = fileURLToPath(new URL('../fixtures/scan/', import.meta.url));

function palisade(args: string[], input?: string) {
  const run = spawnSync(process.execPath, [BIN, ...args], { cwd: FIXTURES, input, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

t.test('a violation exits 1 and names rule, detail, location and fix', async (t) => {
  const run = palisade(['scan', 'mixed.yaml']);
  t.equal(run.code, 2, 'the non-Kubernetes document is an input error, which wins');
  t.match(run.stdout, /Pod shop\/bad\s+\(mixed\.yaml:15\)/);
  t.match(run.stdout, /CRITICAL\s+DENY\s+disallow-privileged\s+privileged \(container "app" must not set securityContext\.privileged=true\)/);
  t.match(run.stdout, /fix: Remove securityContext\.privileged/);
  t.match(run.stdout, /line 25: spec\.containers\[0\]\.securityContext\.privileged/);
  t.match(run.stdout, /mixed\.yaml:27.*not a Kubernetes object: apiVersion is missing/, 'the bad document is reported with file:line');
  t.match(run.stdout, /Pod listed/, 'List items are scanned, the scan went on');
  t.notMatch(run.stdout, /\u001b\[/, 'no colour when not a terminal');
});

t.test('exit codes: 0 clean, 1 denied, 2 input error', async (t) => {
  t.equal(palisade(['scan', 'clean.json']).code, 0);
  const denied = palisade(['scan', '-'], readFileSync(`${FIXTURES}/mixed.yaml`, 'utf8').split('---\njust: a map')[0]);
  t.equal(denied.code, 1, 'stdin with a privileged pod');
  t.match(denied.stdout, /\(<stdin>:15\)/, 'stdin is named');
  t.equal(palisade(['scan', 'mixed.yaml', '--exit-zero']).code, 2, '--exit-zero does not hide input errors');
  const broken = palisade(['scan', 'broken.yaml']);
  t.equal(broken.code, 2);
  t.match(broken.stdout, /broken\.yaml:[89]\s+invalid YAML/);
  t.match(broken.stdout, /^1 resource, /m, 'the document before the broken one is still scanned');
  const missing = palisade(['scan', 'nope.yaml']);
  t.equal(missing.code, 2);
  t.match(missing.stdout, /nope\.yaml.*cannot read: ENOENT/);
  const usage = palisade(['scan']);
  t.equal(usage.code, 2);
  t.match(usage.stderr, /nothing to scan/);
  t.equal(palisade(['scan', '--bogus', 'clean.json']).code, 2);
  t.match(palisade(['scan', '--format', 'xml', 'clean.json']).stderr, /unknown --format "xml"/);
});

t.test('--enforce counts audit rules as denials; --severity and --standard select rules', async (t) => {
  const input = readFileSync(`${FIXTURES}/mixed.yaml`, 'utf8').split('---\njust: a map')[0] ?? '';
  const goodOnly = input.split('---')[0] ?? '';
  t.equal(palisade(['scan', '-'], goodOnly).code, 0, 'the good deployment passes by default');
  const rootInput = goodOnly.replace('securityContext: {runAsNonRoot: true}', 'securityContext: {}');
  t.equal(palisade(['scan', '-'], rootInput).code, 0, 'run-as-root is audit: reported, not denied');
  t.equal(palisade(['scan', '--enforce', '-'], rootInput).code, 1, '--enforce makes it count');
  t.equal(palisade(['scan', '--enforce', '--severity', 'critical', '-'], rootInput).code, 0, 'high is below critical');
  const pss = palisade(['scan', '--standard', 'pss-baseline', '--format', 'json', '-'], input);
  const report = JSON.parse(pss.stdout) as { results: { findings: { ruleId: string }[] }[] };
  t.same([...new Set(report.results.flatMap((r) => r.findings.map((f) => f.ruleId)))], ['disallow-privileged']);
});

t.test('JSON output: file, line, kind, namespace, name and findings per resource', async (t) => {
  const run = palisade(['scan', '--format', 'json', 'mixed.yaml']);
  const report = JSON.parse(run.stdout) as {
    results: { resource: { kind: string; name: string; namespace?: string; file: string; line: number }; findings: { ruleId: string; mode: string; result: string; severity: string; standards: object; denies: boolean }[] }[];
    problems: { file: string; line: number; message: string }[];
    summary: { resources: number; denied: number };
  };
  t.equal(report.summary.resources, 3);
  const bad = report.results.find((r) => r.resource.name === 'bad');
  t.match(bad?.resource, { kind: 'Pod', namespace: 'shop', file: 'mixed.yaml', line: 15 });
  t.match(bad?.findings.find((f) => f.ruleId === 'disallow-privileged'), { mode: 'enforce', result: 'fail', severity: 'critical', denies: true, standards: { 'pss-baseline': ['privileged-containers'] } });
  t.match(report.problems, [{ file: 'mixed.yaml', line: 27 }]);
});

t.test('--exceptions exempts, and the finding stays visible as excepted', async (t) => {
  const input = readFileSync(`${FIXTURES}/mixed.yaml`, 'utf8').split('---\njust: a map')[0];
  const run = palisade(['scan', '--exceptions', 'exceptions.yaml', '-'], input);
  t.equal(run.code, 0);
  t.match(run.stdout, /EXCEPTED\s+disallow-privileged/);
  const bad = palisade(['scan', '--exceptions', 'mixed.yaml', 'clean.json']);
  t.equal(bad.code, 2, 'an invalid exceptions file is a configuration error');
  t.match(bad.stderr, /exceptions rejected/);
});

t.test('--output writes the report file; SARIF points at file and line', async (t) => {
  const dir = t.testdir({});
  const out = `${dir}/report.sarif`;
  const run = palisade(['scan', '--format', 'sarif', '--output', out, 'mixed.yaml']);
  t.equal(run.stdout, '');
  const sarif = JSON.parse(readFileSync(out, 'utf8')) as { version: string; runs: { results: { ruleId: string; locations: { physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number } } }[] }[] }[] };
  t.equal(sarif.version, '2.1.0');
  const result = sarif.runs[0]?.results.find((r) => r.ruleId === 'disallow-privileged');
  t.match(result?.locations[0]?.physicalLocation, { artifactLocation: { uri: 'mixed.yaml' }, region: { startLine: 25 } });
});

t.test('rule authoring commands', async (t) => {
  const list = palisade(['rules', 'list']);
  t.equal(list.code, 0);
  t.match(list.stdout, /disallow-privileged\s+critical\s+enforce\s+object/);
  t.equal(palisade(['rules', 'lint']).code, 0);
  const broken = palisade(['rules', 'lint', '--rules', '../rules-broken/cel-errors.yaml']);
  t.equal(broken.code, 2);
  t.match(broken.stderr, /cel-errors\.yaml:20: spec\.validations\[0\]\.expression: "request" is not available/);
  const explain = palisade(['rules', 'explain', 'disallow-privileged']);
  t.match(explain.stdout, /Why:\n\s+A privileged container/);
  t.match(explain.stdout, /Example that fails \(fail\/pod\.yaml\)/);
  t.equal(palisade(['rules', 'explain', 'nope']).code, 2);
});

t.test('palisade test runs every built-in rule fixture', async (t) => {
  const run = palisade(['test']);
  t.equal(run.code, 0, 'every fixture behaves as expected');
  t.match(run.stdout, /^\d+ passed, 0 failed$/m);
  t.notMatch(run.stdout, /FAIL/);
});

t.test('--pod-template gives another kind the podSpec view', async (t) => {
  t.equal(palisade(['scan', 'rollout.yaml']).code, 0, 'an unknown kind is not a workload by default');
  const run = palisade(['scan', '--pod-template', 'argoproj.io/Rollout=spec.template.spec', 'rollout.yaml']);
  t.equal(run.code, 1);
  t.match(run.stdout, /spec\.template\.spec\.containers\[0\]\.securityContext\.privileged/);
  const bad = palisade(['scan', '--pod-template', 'Rollout', 'rollout.yaml']);
  t.equal(bad.code, 2);
  t.match(bad.stderr, /expected GROUP\/Kind=path/);
});

t.test('--rules-release: rules added after the pinned release run in dry-run', async (t) => {
  const list = JSON.parse(palisade(['rules', 'list', '--format', 'json']).stdout) as { id: string; since: string }[];
  const old = new Set(list.filter((r) => r.since === '0.1.0').map((r) => r.id));
  const pinned = JSON.parse(palisade(['scan', '--rules-release', '0.1.0', '--format', 'json', 'mixed.yaml']).stdout) as {
    results: { findings: { ruleId: string; mode: string }[] }[];
  };
  const findings = pinned.results.flatMap((r) => r.findings);
  t.ok(findings.some((f) => old.has(f.ruleId) && f.mode === 'enforce'), 'rules of the pinned release keep their mode');
  for (const f of findings.filter((f) => !old.has(f.ruleId))) t.equal(f.mode, 'dry-run', `${f.ruleId} is newer: dry-run`);
  t.equal(palisade(['scan', '--rules-release', 'latest', 'clean.json']).code, 2);
});

t.test('a key repeated in one mapping is an input error at its line', async (t) => {
  const run = palisade(['scan', 'duplicate-key.yaml']);
  t.equal(run.code, 2);
  t.match(run.stdout, /duplicate-key\.yaml:7\s+invalid YAML: Map keys must be unique: "mode" appears twice/);
});
