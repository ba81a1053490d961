/**
 * The audit against a real cluster: kube-apiserver, etcd and kube-controller-manager on loopback
 * (so a Deployment really has a ReplicaSet and Pods), objects made with real kubectl, then
 * runAudit and `palisade audit` as users run it.
 */
import t from 'tap';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runAudit } from '../../src/audit/audit.js';
import type { AuditEntry, AuditResult } from '../../src/audit/types.js';
import { auditCommand } from '../../src/cli/audit-command.js';
import { CliError, type CliIO } from '../../src/cli/cli-error.js';
import { loadKubeConfig } from '../../src/kube/kubeconfig.js';
import { BUILTIN_RULES_DIR } from '../../src/paths.js';
import { loadPolicy } from '../../src/server/load-policy.js';
import { startControlPlane, waitFor, type ControlPlane } from './control-plane/harness.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const FIXTURES = fileURLToPath(new URL('../fixtures/audit/', import.meta.url));
const USER_RULES = join(FIXTURES, 'rules');
const CONFIG = join(FIXTURES, 'palisade.yaml');

const plane: ControlPlane = await startControlPlane();
const work = mkdtempSync(join(tmpdir(), 'palisade-audit-e2e-'));
t.teardown(async () => {
  await plane.stop();
  rmSync(work, { recursive: true, force: true });
});

const apply = (file: string): void => {
  const out = plane.kubectl(['apply', '-f', join(FIXTURES, 'cluster', file)]);
  if (out.code !== 0) throw new Error(`${file}: ${out.stderr}`);
};
apply('widget-crd.yaml');
plane.kubectl(['wait', '--for=condition=Established', 'crd/widgets.example.com', '--timeout=60s']);
for (const file of ['namespaces.yaml', 'workloads.yaml', 'rbac-and-config.yaml']) apply(file);
// The CRD's resource shows in discovery a moment after Established.
await waitFor(() => plane.kubectl(['apply', '-f', join(FIXTURES, 'cluster', 'widgets.yaml')]).code === 0, 60_000, 'Widgets to be accepted');
const podsOf = (app: string, namespace: string): number =>
  plane.kubectl(['get', 'pods', '-n', namespace, '-l', `app=${app}`, '-o', 'name']).stdout.split('\n').filter(Boolean).length;
await waitFor(() => podsOf('web', 'audit-apps') === 3 && podsOf('legacy-agent', 'audit-apps') === 1 && podsOf('quiet', 'audit-isolated') === 1, 90_000, 'the controller-manager to make the Pods');

const kc = loadKubeConfig({ kubeconfig: plane.kubeconfig });
const policy = await loadPolicy({ ruleDirs: [BUILTIN_RULES_DIR, USER_RULES], configFile: CONFIG });
if (!('ruleSet' in policy)) throw new Error(JSON.stringify(policy.problems));

const entryOf = (result: AuditResult, kind: string, name: string, namespace?: string): AuditEntry | undefined =>
  result.entries.find((e) => e.owner.kind === kind && e.owner.name === name && e.owner.namespace === namespace);
const rulesOf = (entry: AuditEntry | undefined): string[] => (entry?.findings ?? []).map((f) => f.ruleId);

const progress: { kind: string; listed: number }[] = [];
const started = Date.now();
const result = await runAudit({ kc, ruleSet: policy.ruleSet, config: policy.config, now: () => new Date(), onProgress: (p) => progress.push(p) });
const seconds = (Date.now() - started) / 1000;
t.comment(`audit of the test cluster: ${seconds.toFixed(2)} s, ${Object.values(result.objectsByKind).reduce((a, b) => a + b, 0)} objects read, ${result.entries.length} entries`);

t.test('a Deployment is one entry for itself, its ReplicaSet and its Pods, with one finding', async (t) => {
  const web = entryOf(result, 'Deployment', 'web', 'audit-apps');
  t.ok(web, 'an entry for the Deployment');
  t.ok((web?.objects ?? 0) >= 5, `Deployment + ReplicaSet + 3 Pods (objects: ${web?.objects})`);
  t.equal(web?.owner.apiVersion, 'apps/v1');
  t.ok(web?.owner.uid, 'the owner as read, with its uid');
  t.same(web?.labels, { app: 'web', team: 'shop' }, 'the owner labels, for team attribution');
  const privileged = web?.findings.filter((f) => f.ruleId === 'disallow-privileged') ?? [];
  t.equal(privileged.length, 1, 'disallow-privileged once, not once per object');
  t.equal(privileged[0]?.mode, 'enforce');
  t.equal(privileged[0]?.denies, true);
  t.ok((privileged[0]?.occurrences ?? 0) >= 5, 'it counts the objects that had it');
  t.same(privileged[0]?.paths, ['spec.template.spec.containers[0].securityContext.privileged'], "the Deployment's own field path");
  t.ok(web?.evaluated.includes('disallow-privileged'));
  t.notOk(result.entries.some((e) => e.owner.namespace === 'audit-apps' && (e.owner.kind === 'Pod' || e.owner.kind === 'ReplicaSet')), 'no entry of its own for a Pod or ReplicaSet');
  t.ok((result.objectsByKind['Pod'] ?? 0) >= 5 && (result.objectsByKind['apps/ReplicaSet'] ?? 0) >= 3, 'Pods and ReplicaSets were read');
});

t.test('RBAC and ConfigMap findings', async (t) => {
  t.ok(rulesOf(entryOf(result, 'ClusterRoleBinding', 'ci-admin')).includes('restrict-cluster-admin-binding'));
  const configMap = entryOf(result, 'ConfigMap', 'app-config', 'audit-apps');
  t.ok(rulesOf(configMap).includes('no-secrets-in-configmaps'));
  t.notMatch(JSON.stringify(result), /AKIAZ7QPLM3XVT2KWB4R/, 'the credential itself appears nowhere');
});

t.test('the NetworkPolicy context rules fire for a namespace without one, not for one with a default deny', async (t) => {
  const apps = rulesOf(entryOf(result, 'Namespace', 'audit-apps'));
  t.ok(apps.includes('require-network-policy'), 'audit-apps has no NetworkPolicy');
  t.ok(apps.includes('require-default-deny-network-policy'));
  const isolated = entryOf(result, 'Namespace', 'audit-isolated');
  t.ok(isolated?.evaluated.includes('require-network-policy'), 'audit-isolated was evaluated');
  t.notOk(rulesOf(isolated).includes('require-network-policy'));
  t.notOk(rulesOf(isolated).includes('require-default-deny-network-policy'));
  t.notOk(entryOf(result, 'Namespace', 'kube-system'), 'excluded namespaces are not evaluated');
  t.ok((result.notEvaluated?.excludedNamespaces ?? 0) > 0);
});

t.test('an exception from the configuration exempts, and the finding stays visible as excepted', async (t) => {
  const legacy = entryOf(result, 'Deployment', 'legacy-agent', 'audit-apps');
  t.ok((legacy?.objects ?? 0) >= 3);
  const privileged = legacy?.findings.filter((f) => f.ruleId === 'disallow-privileged') ?? [];
  t.equal(privileged.length, 1);
  t.equal(privileged[0]?.exceptedBy?.name, 'legacy-agent');
  t.equal(privileged[0]?.denies, false);
});

t.test('a user rule over a custom resource kind is audited', async (t) => {
  t.same(rulesOf(entryOf(result, 'Widget', 'open-widget', 'audit-apps')), ['require-private-widgets']);
  const closed = entryOf(result, 'Widget', 'closed-widget', 'audit-apps');
  t.ok(closed?.evaluated.includes('require-private-widgets'));
  t.same(closed?.findings, []);
  t.equal(result.objectsByKind['example.com/Widget'], 2);
  t.ok(result.skippedKinds.some((s) => s.kind === 'cilium.io/CiliumNetworkPolicy' && /not served/.test(s.reason)), 'kinds the cluster does not serve are reported');
});

t.test('progress is reported per kind as pages are read', async (t) => {
  t.ok(progress.some((p) => p.kind === 'Pod' && p.listed >= 5));
  t.ok(progress.some((p) => p.kind === 'example.com/Widget'));
});

t.test('owners of kinds no rule matches are read metadata-only', async (t) => {
  const only = await loadPolicy({ ruleDirs: [USER_RULES] });
  if (!('ruleSet' in only)) throw new Error('rules');
  // Pages of 2 objects: more requests, same result.
  const pods = await runAudit({ kc, ruleSet: only.ruleSet, config: only.config, now: () => new Date(), namespace: 'audit-apps', pageSize: 2 });
  t.notOk(pods.objectsByKind['apps/Deployment'], 'Deployments are not listed');
  const web = entryOf(pods, 'Deployment', 'web', 'audit-apps');
  t.equal(web?.objects, 3, 'the 3 Pods, under their Deployment');
  t.same(web?.labels, { app: 'web', team: 'shop' }, 'labels from the metadata read');
  t.same(rulesOf(web), ['require-pod-team-label']);
  t.equal(web?.findings[0]?.occurrences, 3);
  t.same(rulesOf(entryOf(pods, 'Widget', 'open-widget', 'audit-apps')), ['require-private-widgets']);
  t.equal(pods.namespace, 'audit-apps');
});

t.test('--namespace leaves cluster-scoped kinds out and says so', async (t) => {
  const scoped = await runAudit({ kc, ruleSet: policy.ruleSet, config: policy.config, now: () => new Date(), namespace: 'audit-isolated' });
  t.ok(scoped.entries.every((e) => e.owner.namespace === 'audit-isolated' || (e.owner.kind === 'Namespace' && e.owner.name === 'audit-isolated')));
  t.ok(entryOf(scoped, 'Deployment', 'quiet', 'audit-isolated'));
  t.ok(scoped.skippedKinds.some((s) => s.kind === 'rbac.authorization.k8s.io/ClusterRoleBinding' && /cluster-scoped/.test(s.reason)));
});

function captureIO(isTTY = false): CliIO & { out: string; err: string } {
  const io = {
    out: '',
    err: '',
    stdout: (text: string) => void (io.out += text),
    stderr: (text: string) => void (io.err += text),
    readStdin: async () => '',
    isTTY,
    env: { NO_COLOR: '1' },
    now: () => new Date(),
  };
  return io;
}

t.test('palisade audit: JSON is the AuditResult; exit 1 when an enforced rule would deny', async (t) => {
  const io = captureIO();
  const code = await auditCommand(['--kubeconfig', plane.kubeconfig, '--config', CONFIG, '--rules', USER_RULES, '--format', 'json'], io);
  t.equal(code, 1, 'disallow-privileged is enforced');
  const json = JSON.parse(io.out) as { entries: AuditEntry[]; startedAt: string; objectsByKind: Record<string, number> };
  const web = json.entries.find((e) => e.owner.kind === 'Deployment' && e.owner.name === 'web');
  t.equal(web?.findings.filter((f) => f.ruleId === 'disallow-privileged').length, 1);
  t.match(json.startedAt, /^\d{4}-\d\d-\d\dT/);
  t.match(io.err, /^palisade audit: Namespace: \d+ read/m, 'plain progress lines on stderr when not a terminal');
  t.match(io.err, /^palisade audit: read \d+ objects of \d+ kinds$/m, 'and the totals at the end');
  t.notMatch(io.err, /\r/, 'no redrawn line when not a terminal');
});

t.test('palisade audit --rollout: what enforce would block, by rule and owner, and what is safe to enforce', async (t) => {
  const io = captureIO();
  await auditCommand(['--kubeconfig', plane.kubeconfig, '--config', CONFIG, '--rules', USER_RULES, '--rollout', 'json', '--exit-zero'], io);
  const report = JSON.parse(io.out) as Record<string, unknown>;
  t.ok(report, 'the rollout report is JSON');
  t.match(io.out, /"web"/, 'it names the workloads that enforce would block');
  const markdown = captureIO();
  await auditCommand(['--kubeconfig', plane.kubeconfig, '--config', CONFIG, '--rules', USER_RULES, '--rollout', 'markdown', '--exit-zero'], markdown);
  t.match(markdown.out, /^## Palisade rollout report/m, 'and as markdown');
});

t.test('palisade audit: the table summary; exit 0 when nothing is enforced', async (t) => {
  const io = captureIO(true);
  const output = join(work, 'audit.txt');
  const code = await auditCommand(['--kubeconfig', plane.kubeconfig, '--no-builtin', '--rules', USER_RULES, '--output', output, '--no-color'], io);
  t.equal(code, 0, 'user rules are audit and dry-run only');
  const text = readFileSync(output, 'utf8');
  t.match(text, /^Palisade audit of the whole cluster: \d+ objects read, \d+ evaluated under \d+ owners, in \d+\.\d s/);
  t.match(text, /Objects read, by kind:\n(.*\n)*\s+example\.com\/Widget\s+2\n/);
  t.match(text, /HIGH\s+require-private-widgets\s+0\s+1\s+0\s+0\s+1\s+1/);
  t.match(text, /Owners with most findings:\n(.*\n)*\s+apps\/Deployment audit-apps\/web\s+3 objects\s+1 dry-run\s+require-pod-team-label/);
  t.match(text, /\d+ owners, \d+ findings: 0 would be denied/);
  t.match(io.err, /\r\u001b\[K/, 'on a terminal, one line redrawn');
  t.equal(io.out, '', '--output: nothing on stdout');
});

t.test('palisade audit: Rule and Exception resources in the cluster count, as for palisade serve', async (t) => {
  for (const crd of ['rules.palisade.dev.yaml', 'exceptions.palisade.dev.yaml']) {
    const out = plane.kubectl(['apply', '-f', join(ROOT, 'crds', crd)]);
    t.equal(out.code, 0, out.stderr);
  }
  plane.kubectl(['wait', '--for=condition=Established', 'crd/rules.palisade.dev', 'crd/exceptions.palisade.dev', '--timeout=60s']);
  const expiresAt = new Date(Date.now() + 7 * 86_400_000).toISOString().replace(/\.\d+Z$/, 'Z');
  const resources = readFileSync(join(FIXTURES, 'cluster', 'palisade-resources.yaml'), 'utf8').replaceAll('${expiresAt}', expiresAt);
  let applied = { code: null as number | null, stderr: '' };
  await waitFor(() => (applied = plane.kubectl(['apply', '-f', '-'], resources)).code === 0, 60_000, 'Palisade resources to be accepted').catch((error: Error) => {
    throw new Error(`${error.message}: ${applied.stderr}`);
  });
  const io = captureIO();
  const code = await auditCommand(['--kubeconfig', plane.kubeconfig, '--no-builtin', '--rules', USER_RULES, '--config', join(FIXTURES, 'palisade-cluster.yaml'), '--format', 'json'], io);
  t.equal(code, 0, io.err);
  const json = JSON.parse(io.out) as AuditResult;
  const open = json.entries.find((e) => e.owner.kind === 'Widget' && e.owner.name === 'open-widget');
  t.match(open?.findings.find((f) => f.ruleId === 'require-private-widgets'), { exceptedBy: { name: 'open-widget', namespace: 'palisade-system', owner: 'demo-team@example.com' } }, 'the Exception resource exempts');
  t.ok(open?.findings.some((f) => f.ruleId === 'require-widget-owner'), 'the Rule resource is audited');
  t.ok(json.entries.find((e) => e.owner.name === 'closed-widget')?.findings.some((f) => f.ruleId === 'require-widget-owner'));
});

t.test('palisade audit: usage and access errors exit 2', async (t) => {
  const io = captureIO();
  await t.rejects(auditCommand(['--kubeconfig', plane.kubeconfig, '--format', 'sarif'], io), CliError);
  await t.rejects(auditCommand(['--kubeconfig', plane.kubeconfig, '--namespace', 'Not_A_Namespace'], io), /not a namespace name/);
  await t.rejects(auditCommand(['--kubeconfig', join(work, 'missing')], io), /cannot load the kubeconfig/);
  await t.rejects(auditCommand(['--kubeconfig', plane.kubeconfig, '--context', 'nope'], io), /context "nope"/);
  await t.rejects(auditCommand(['--kubeconfig', plane.kubeconfig, '--namespace', 'no-such-namespace'], io), /namespace "no-such-namespace" not found/);
  await t.rejects(auditCommand(['--kubeconfig', plane.kubeconfig, '--config', join(FIXTURES, 'missing.yaml')], io), CliError);
});
