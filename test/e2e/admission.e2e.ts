/**
 * End to end at `kubectl apply`: the real kube-apiserver calls Palisade (in this process, on
 * 127.0.0.1 with a certificate whose SAN is 127.0.0.1) through the webhook configurations
 * Palisade reconciles itself, and real kubectl shows users what they would see.
 */
import t from 'tap';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawn } from 'node:child_process';
import { get } from 'node:https';
import { freePort, startControlPlane, waitFor, type ControlPlane } from './control-plane/harness.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const FIXTURES = fileURLToPath(new URL('../fixtures/e2e/', import.meta.url));
const fixture = (name: string): string => readFileSync(join(FIXTURES, name), 'utf8');
/** A fixture with its name and namespace filled in, so each test applies its own object. */
const manifest = (name: string, values: Record<string, string>): string =>
  Object.entries(values).reduce((text, [key, value]) => text.replaceAll(`\${${key}}`, value), fixture(name));

const plane: ControlPlane = await startControlPlane();
const work = mkdtempSync(join(tmpdir(), 'palisade-e2e-'));
t.teardown(async () => {
  await plane.stop();
  rmSync(work, { recursive: true, force: true });
});

const kubectl = (args: string[], input?: string) => plane.kubectl(args, input);
for (const crd of ['rules.palisade.dev.yaml', 'exceptions.palisade.dev.yaml']) {
  const applied = kubectl(['apply', '-f', join(ROOT, 'crds', crd)]);
  if (applied.code !== 0) throw new Error(applied.stderr);
}
kubectl(['wait', '--for=condition=Established', 'crd/rules.palisade.dev', 'crd/exceptions.palisade.dev', '--timeout=60s']);
const namespaces = kubectl(['apply', '-f', '-'], fixture('namespaces.yaml'));
if (namespaces.code !== 0) throw new Error(namespaces.stderr);
const configFile = join(work, 'palisade.yaml');
writeFileSync(configFile, fixture('palisade.yaml'));

const port = await freePort();
const certDir = join(work, 'certs');
/** Palisade runs as its own process, as in a cluster: kubectl calls here block this test's thread. */
const palisade = spawn(process.execPath, [
  '--import', 'tsx', join(ROOT, 'src/cli/bin.ts'), 'serve',
  '--host', '127.0.0.1', '--port', String(port), '--cert-dir', certDir, '--config', configFile, '--namespace', 'palisade-system',
  '--kubeconfig', plane.kubeconfig, '--reconcile-webhooks', '--webhook-url', `https://127.0.0.1:${port}`,
  '--log-level', process.env['PALISADE_E2E_LOG'] ?? 'warn',
], { cwd: ROOT, stdio: ['ignore', 'inherit', 'pipe'] });
let palisadeStderr = '';
palisade.stderr.on('data', (chunk: Buffer) => (palisadeStderr += chunk.toString()));
const palisadeExit = new Promise<number | null>((resolve) => palisade.on('exit', (code) => resolve(code)));
t.teardown(() => void palisade.kill('SIGKILL'));
await waitFor(() => {
  if (palisade.exitCode !== null) throw new Error(`palisade serve exited: ${palisadeStderr}`);
  return palisadeStderr.includes('serving on');
}, 120_000, 'palisade serve to start');
const url = `https://127.0.0.1:${port}`;
const ca = readFileSync(join(certDir, 'ca.crt'), 'utf8');

/** Waits until the API server's webhook configuration has reached its admission chain. */
async function untilEnforced(): Promise<void> {
  await waitFor(() => {
    const probe = kubectl(['apply', '--dry-run=server', '-f', '-'], manifest('privileged-deployment.yaml', { name: 'probe', namespace: 'team-enforce' }));
    return probe.code !== 0 && probe.stderr.includes('disallow-privileged');
  }, 60_000, 'Palisade to be called by the API server');
}

t.test('setup: Palisade reconciled its webhook configurations', async (t) => {
  const validating = JSON.parse(kubectl(['get', 'validatingwebhookconfiguration', 'palisade', '-o', 'json']).stdout) as { webhooks: { name: string; failurePolicy: string; clientConfig: { url: string; caBundle: string } }[] };
  t.same(validating.webhooks.map((w) => w.name), ['enforce.validate.palisade.dev', 'audit.validate.palisade.dev', 'resources.validate.palisade.dev']);
  t.ok(validating.webhooks.every((w) => w.clientConfig.caBundle && w.clientConfig.url.startsWith(url)), 'caBundle and URL set by Palisade');
  await untilEnforced();
});

const metrics = (): Promise<string> => new Promise((resolve, reject) => {
  get(`${url}/metrics`, { ca }, (res) => {
    let text = '';
    res.on('data', (chunk: Buffer) => (text += chunk.toString()));
    res.on('end', () => resolve(text));
  }).on('error', reject);
});

t.test('enforce: kubectl apply is rejected with the rule id, the detail and the fix', async (t) => {
  const out = kubectl(['apply', '-f', '-'], manifest('privileged-deployment.yaml', { name: 'web', namespace: 'team-enforce' }));
  t.not(out.code, 0);
  // Both validating registrations deny with the complete list; the API server reports the first.
  t.match(out.stderr, /admission webhook "(enforce|audit)\.validate\.palisade\.dev" denied the request: Palisade: Deployment "web" violates/);
  t.match(out.stderr, /- disallow-privileged: .*container "app".*Fix: /);
  t.equal(kubectl(['get', 'deployment', 'web', '-n', 'team-enforce']).code, 1, 'nothing was stored');
});

t.test('audit: the object is created and kubectl prints Warning: lines', async (t) => {
  const out = kubectl(['apply', '-f', '-'], manifest('privileged-deployment.yaml', { name: 'web', namespace: 'team-audit' }));
  t.equal(out.code, 0, out.stderr);
  t.match(out.stderr, /Warning: disallow-privileged: /);
  t.equal(kubectl(['get', 'deployment', 'web', '-n', 'team-audit']).code, 0);
});

t.test('dry-run: created silently, recorded in metrics', async (t) => {
  const out = kubectl(['apply', '-f', '-'], manifest('privileged-deployment.yaml', { name: 'web', namespace: 'team-dryrun' }));
  t.equal(out.code, 0, out.stderr);
  t.notMatch(out.stderr, /Warning: disallow-privileged/, 'nothing shown to the user');
  t.match(await metrics(), /palisade_rule_results_total\{rule="disallow-privileged",mode="dry-run",result="fail",dry_run="false",controller_owned="false"\} [1-9]/);
});

t.test('kubectl apply --dry-run=server: the same verdict, stored nowhere, labelled in metrics', async (t) => {
  const out = kubectl(['apply', '--dry-run=server', '-f', '-'], manifest('privileged-deployment.yaml', { name: 'web-dry', namespace: 'team-enforce' }));
  t.not(out.code, 0);
  t.match(out.stderr, /disallow-privileged/);
  const ok = kubectl(['apply', '--dry-run=server', '-f', '-'], manifest('privileged-deployment.yaml', { name: 'web-dry', namespace: 'team-audit' }));
  t.equal(ok.code, 0);
  t.match(ok.stderr, /Warning: disallow-privileged/);
  t.equal(kubectl(['get', 'deployment', 'web-dry', '-n', 'team-audit']).code, 1, 'a server-side dry run stores nothing');
  t.match(await metrics(), /palisade_admission_requests_total\{operation="CREATE",kind="Deployment",decision="denied",dry_run="true"/);
});

t.test('keys named __proto__ and constructor are data: the ConfigMap is judged like any other', async (t) => {
  // Refusing such a body (HTTP 400) would have let it through unjudged: ConfigMaps are audited, Ignore.
  const out = kubectl(['apply', '-f', '-'], manifest('configmap-proto-keys.yaml', { name: 'proto-keys', namespace: 'team-audit' }));
  t.equal(out.code, 0, out.stderr);
  t.match(out.stderr, /Warning: no-secrets-in-configmaps: ConfigMap key "__proto__" holds an AWS access key id/);
  t.notMatch(out.stderr, /IOSFODNN7EXAMPLE/, 'the value is not repeated');
  const stored = JSON.parse(kubectl(['get', 'configmap', 'proto-keys', '-n', 'team-audit', '-o', 'json']).stdout) as { data: Record<string, string> };
  t.same(Object.keys(stored.data).sort(), ['__proto__', 'constructor']);
});

t.test('control characters in a message are shown escaped: the warning reaches kubectl, and the denial cannot drive the terminal', async (t) => {
  // The API server accepts an image reference with an escape sequence in it, and drops a warning
  // that contains a control character.
  const image = 'registry.example.com/app\u001b[2J:1.0';
  const spec = { containers: [{ name: 'app', image, securityContext: { privileged: true } }] };
  const pod = (namespace: string): string => JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'escape', namespace }, spec });
  // A Deployment where it is denied: a Pod would first need the namespace's service account.
  const deployment = (namespace: string): string => JSON.stringify({
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'escape', namespace },
    spec: { selector: { matchLabels: { app: 'escape' } }, template: { metadata: { labels: { app: 'escape' } }, spec } },
  });
  const audited = kubectl(['apply', '-f', '-'], pod('team-audit'));
  t.equal(audited.code, 0, audited.stderr);
  t.match(audited.stderr, /Warning: restrict-image-registries: .*registry\.example\.com\/app\\u\{1b\}\[2J:1\.0/);
  const enforced = kubectl(['apply', '-f', '-'], deployment('team-enforce'));
  t.not(enforced.code, 0);
  t.match(enforced.stderr, /app\\u\{1b\}\[2J/);
  t.notMatch(enforced.stderr + audited.stderr, /\u001b/, 'no raw escape character reaches the terminal');
});

t.test('mutation: the stored Pod carries the patch; validation saw the patched object', async (t) => {
  const out = kubectl(['apply', '-f', '-'], manifest('bare-pod.yaml', { name: 'patched', namespace: 'team-mutate' }));
  t.equal(out.code, 0, out.stderr);
  const pod = JSON.parse(kubectl(['get', 'pod', 'patched', '-n', 'team-mutate', '-o', 'json']).stdout) as { spec: { securityContext?: { seccompProfile?: { type: string } }; containers: { securityContext?: { allowPrivilegeEscalation?: boolean; capabilities?: { drop?: string[] } } }[] } };
  t.equal(pod.spec.securityContext?.seccompProfile?.type, 'RuntimeDefault');
  t.equal(pod.spec.containers[0]?.securityContext?.allowPrivilegeEscalation, false);
  t.same(pod.spec.containers[0]?.securityContext?.capabilities?.drop, ['ALL']);
  t.notMatch(out.stderr, /disallow-privilege-escalation|restrict-seccomp:|disallow-capabilities-strict/, 'no warning about what was fixed');
  const elsewhere = kubectl(['apply', '-f', '-'], manifest('bare-pod.yaml', { name: 'unpatched', namespace: 'team-audit' }));
  t.match(elsewhere.stderr, /Warning: disallow-privilege-escalation/, 'namespaces that did not opt in are only warned');
});

t.test('relabelling a namespace changes the mode without a restart', async (t) => {
  t.equal(kubectl(['label', 'namespace', 'team-audit', 'palisade.dev/mode=enforce', '--overwrite']).code, 0);
  await waitFor(() => kubectl(['apply', '--dry-run=server', '-f', '-'], manifest('privileged-deployment.yaml', { name: 'web2', namespace: 'team-audit' })).code !== 0, 30_000, 'the new mode');
  const out = kubectl(['apply', '-f', '-'], manifest('privileged-deployment.yaml', { name: 'web2', namespace: 'team-audit' }));
  t.match(out.stderr, /denied the request/);
  t.equal(kubectl(['label', 'namespace', 'team-audit', 'palisade.dev/mode=audit', '--overwrite']).code, 0);
});

t.test('a user who may not set palisade.dev labels is refused', async (t) => {
  const out = kubectl(['label', 'namespace', 'team-enforce', 'palisade.dev/mode=dry-run', '--overwrite', '--as=mallory', '--as-group=system:masters-not']);
  t.not(out.code, 0);
  // RBAC may refuse mallory first; either way the label does not change.
  const labels = JSON.parse(kubectl(['get', 'namespace', 'team-enforce', '-o', 'json']).stdout) as { metadata: { labels: Record<string, string> } };
  t.equal(labels.metadata.labels['palisade.dev/mode'], 'enforce');
});

t.test('exceptions: an Exception resource exempts, and records who created it', async (t) => {
  const expiresAt = new Date(Date.now() + 7 * 86_400_000).toISOString().replace(/\.\d+Z$/, 'Z');
  const created = kubectl(['apply', '-f', '-'], manifest('exception.yaml', { expiresAt }));
  t.equal(created.code, 0, created.stderr);
  const stored = JSON.parse(kubectl(['get', 'exception', 'legacy-agent', '-n', 'palisade-system', '-o', 'json']).stdout) as { metadata: { annotations?: Record<string, string> } };
  t.equal(stored.metadata.annotations?.['palisade.dev/created-by'], 'palisade-admin');
  await waitFor(() => kubectl(['apply', '--dry-run=server', '-f', '-'], manifest('privileged-deployment.yaml', { name: 'legacy-agent', namespace: 'team-enforce' })).code === 0, 30_000, 'the exception to load');
  const out = kubectl(['apply', '-f', '-'], manifest('privileged-deployment.yaml', { name: 'legacy-agent', namespace: 'team-enforce' }));
  t.equal(out.code, 0, out.stderr);
  const tooLong = kubectl(['apply', '-f', '-'], manifest('exception.yaml', { expiresAt: '2099-01-01T00:00:00Z' }).replace('legacy-agent\n  namespace', 'forever\n  namespace'));
  t.not(tooLong.code, 0, 'an exception beyond the maximum lifetime is refused');
  t.match(tooLong.stderr, /expiresAt/);
});

t.test('Rule resources: a CEL error shows at kubectl apply; a good one is enforced after reload', async (t) => {
  const broken = kubectl(['apply', '-f', '-'], fixture('broken-rule.yaml'));
  t.not(broken.code, 0);
  t.match(broken.stderr, /Rule\/require-team-label:\d+: spec\.validations\[0\]\.expression/);
  const good = kubectl(['apply', '-f', '-'], fixture('team-label-rule.yaml'));
  t.equal(good.code, 0, good.stderr);
  await waitFor(() => /require-team-label/.test(kubectl(['apply', '--dry-run=server', '-f', '-'], manifest('bare-pod.yaml', { name: 'labelless', namespace: 'team-audit' })).stderr), 30_000, 'the new rule');
  t.pass('the rule from the cluster warns about a Pod without a team label');
});

t.test('webhook down: Fail blocks what is enforced, Ignore lets the rest through', async (t) => {
  palisade.kill('SIGTERM');
  t.equal(await palisadeExit, 0, 'palisade stops cleanly on SIGTERM');
  const pod = kubectl(['apply', '-f', '-'], manifest('bare-pod.yaml', { name: 'while-down', namespace: 'team-audit' }));
  t.not(pod.code, 0, 'Pods are in the enforce registration (failurePolicy Fail)');
  t.match(pod.stderr, /failed calling webhook "enforce\.validate\.palisade\.dev"/);
  const configMap = kubectl(['create', 'configmap', 'while-down', '-n', 'team-audit', '--from-literal=a=b']);
  t.equal(configMap.code, 0, `ConfigMaps are only audited (failurePolicy Ignore): ${configMap.stderr}`);
  const system = kubectl(['apply', '-f', '-'], manifest('bare-pod.yaml', { name: 'while-down', namespace: 'kube-system' }));
  t.equal(system.code, 0, `kube-system is never sent to Palisade, so it can recover: ${system.stderr}`);
});
