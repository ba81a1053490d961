/**
 * charts/palisade on a real API server, installed and uninstalled by the real helm (pinned, built
 * by test/tools/build-go-tools.sh), with real kubectl: the API server validates every object the
 * chart renders (webhook configurations included), the components run with exactly the chart's
 * arguments and permissions, and the webhook configurations fail safe while the webhook cannot be
 * reached.
 *
 * The Service is not reachable here. There is no kubelet and no cluster network, so the chart's
 * Deployments never get running Pods and the Service never gets endpoints: every call the API
 * server makes through the webhook configurations' clientConfig.service fails at once (the harness
 * runs kube-apiserver with --enable-aggregator-routing, so it resolves the Service to its endpoints
 * and finds none). This test uses that on purpose: it checks what the chart's configurations do
 * when Palisade is down. What the webhook does when it is reached is checked by the admission tests
 * (admission.e2e.ts), where Palisade registers itself through clientConfig.url on loopback.
 *
 * The two components still run here, as processes beside the API server, with the arguments of the
 * chart's Deployments and the tokens of the chart's ServiceAccounts: that checks the arguments
 * exist and the chart's RBAC is enough (the controller audits and writes reports and its Lease;
 * the webhook creates its certificate Secret and patches its webhook configurations). At
 * `helm uninstall` the test plays the kubelet for the pre-delete hook's Pod the same way: it runs
 * the Pod's container arguments as the Pod's ServiceAccount, then marks the Pod Succeeded.
 */
import t from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { get, type RequestOptions } from 'node:https';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { goToolsBin, parseObjects, tool, VALUES_DIR, type KubeObject } from '../chart/helm.js';
import { freePort, startControlPlane, waitFor, type ControlPlane } from './control-plane/harness.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CHART = join(ROOT, 'charts/palisade');
const RELEASE = 'palisade';
const NS = 'palisade-system';
/** A namespace Palisade does judge. */
const TEAM = 'team';

const bin = goToolsBin();
const plane: ControlPlane = await startControlPlane();
const work = mkdtempSync(join(tmpdir(), 'palisade-chart-e2e-'));
const children: ChildProcess[] = [];
t.teardown(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  await plane.stop();
  rmSync(work, { recursive: true, force: true });
});

const kubectl = (args: string[], input?: string) => plane.kubectl(args, input);
/** helm against this control plane, with its own config, cache and data folders. */
const helmEnv = { KUBECONFIG: plane.kubeconfig, HELM_CONFIG_HOME: join(work, 'helm/config'), HELM_CACHE_HOME: join(work, 'helm/cache'), HELM_DATA_HOME: join(work, 'helm/data') };
const helm = (args: string[]) => tool(bin, 'helm', args, undefined, helmEnv);
const must = (run: { code: number | null; stdout: string; stderr: string }, what: string): string => {
  if (run.code !== 0) throw new Error(`${what} failed: ${run.stderr || run.stdout}`);
  return run.stdout;
};
const getJson = <T>(args: string[]): T => JSON.parse(must(kubectl([...args, '-o', 'json']), `kubectl ${args.join(' ')}`)) as T;
const exists = (args: string[]): boolean => kubectl(['get', ...args]).code === 0;
/** `Kind.group` as kubectl takes it, and the namespace flag. */
const resourceOf = (object: KubeObject): string[] => {
  const group = object.apiVersion.includes('/') ? object.apiVersion.split('/')[0] : '';
  return [group ? `${object.kind}.${group}` : object.kind, object.metadata.name, ...(object.metadata.namespace ? ['-n', object.metadata.namespace] : [])];
};

const deployment = (name: string, namespace: string) =>
  readFileSync(join(ROOT, 'test/fixtures/e2e/privileged-deployment.yaml'), 'utf8').replaceAll('${name}', name).replaceAll('${namespace}', namespace).replace('securityContext: {privileged: true}', 'securityContext: {privileged: false}');

// The namespaces exist before the chart: once its webhook configurations are in, creating a
// namespace is refused while Palisade is unreachable (see below).
for (const ns of [NS, TEAM]) must(kubectl(['create', 'namespace', ns]), `create namespace ${ns}`);

t.test('the API server accepts every value set (server-side dry run), webhook configurations included', async (t) => {
  // cert-manager's and the Prometheus Operator's kinds need their CRDs, which this cluster does
  // not have: those objects are left out, everything else of the rendering is validated.
  const foreign = /^(cert-manager\.io|monitoring\.coreos\.com)\//;
  const sets = [undefined, ...readdirSync(VALUES_DIR).filter((n) => n.endsWith('.yaml')).map((n) => n.replace(/\.yaml$/, ''))];
  for (const values of sets) {
    const rendered = parseObjects(must(helm(['template', RELEASE, CHART, '--namespace', NS, ...(values ? ['--values', join(VALUES_DIR, `${values}.yaml`)] : [])]), 'helm template'));
    const items = rendered.filter((o) => !foreign.test(o.apiVersion));
    const run = kubectl(['apply', '--dry-run=server', '--server-side', '--field-manager', 'chart-e2e', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items }));
    t.equal(run.code, 0, `${values ?? 'default values'}: ${items.length} objects accepted${run.code === 0 ? '' : `\n${run.stderr}`}`);
  }
});

let installedManifest: KubeObject[] = [];

t.test('helm install: CRDs first, then every object; nothing is denied on the way', async (t) => {
  const run = helm(['install', RELEASE, CHART, '--namespace', NS]);
  t.equal(run.code, 0, run.stderr);
  t.match(run.stdout, /STATUS: deployed/);
  t.match(run.stdout, `kubectl -n ${NS} port-forward deployment/${RELEASE}-controller 8080`, 'NOTES: how to reach the rollout report');
  t.match(run.stdout, /enforce {2}13 rules deny what fails them/, 'NOTES: what is enforced');
  for (const crd of ['rules.palisade.dev', 'exceptions.palisade.dev', 'reports.openreports.io', 'clusterreports.openreports.io']) {
    t.equal(kubectl(['wait', '--for=condition=Established', `crd/${crd}`, '--timeout=60s']).code, 0, `CRD ${crd} from the chart's crds/`);
  }
  installedManifest = parseObjects(must(helm(['get', 'manifest', RELEASE, '--namespace', NS]), 'helm get manifest'));
  for (const object of installedManifest) t.ok(exists(resourceOf(object)), `${object.kind} ${object.metadata.name} exists`);
  const validating = getJson<{ webhooks: { name: string; failurePolicy: string; clientConfig: { caBundle?: string; service: { name: string } } }[] }>(['get', 'validatingwebhookconfiguration', RELEASE]);
  t.same(validating.webhooks.map((w) => [w.name, w.failurePolicy]), [['enforce.validate.palisade.dev', 'Fail'], ['audit.validate.palisade.dev', 'Ignore'], ['resources.validate.palisade.dev', 'Fail']]);
  t.notOk(validating.webhooks.some((w) => w.clientConfig.caBundle), 'no caBundle yet: Palisade (or cert-manager) fills it in');
});

/** A kubeconfig that acts as one of the chart's ServiceAccounts, with a token the API server issues. */
function serviceAccountKubeconfig(serviceAccount: string): string {
  const token = must(kubectl(['create', 'token', serviceAccount, '-n', NS, '--duration', '1h']), `token for ${serviceAccount}`).trim();
  const file = join(work, `${serviceAccount}.kubeconfig`);
  writeFileSync(file, [
    'apiVersion: v1', 'kind: Config',
    `clusters: [{name: e2e, cluster: {server: "${plane.server}", insecure-skip-tls-verify: true}}]`,
    `users: [{name: ${serviceAccount}, user: {token: "${token}"}}]`,
    `contexts: [{name: e2e, context: {cluster: e2e, user: ${serviceAccount}}}]`,
    'current-context: e2e', '',
  ].join('\n'), { mode: 0o600 });
  return file;
}

interface Component {
  child: ChildProcess;
  port: number;
  output: () => string;
}

/**
 * Runs a chart Deployment's container arguments as a process here: the ConfigMap's palisade.yaml
 * and a local folder stand in for the mounts, --kubeconfig for the mounted token, loopback for the
 * pod's address.
 */
async function runComponent(deploymentName: string, serviceAccount: string, replace: Record<string, string>): Promise<Component> {
  const spec = installedManifest.find((o) => o.kind === 'Deployment' && o.metadata.name === deploymentName)!['spec'] as { template: { spec: { containers: { args: string[] }[] } } };
  const configMap = installedManifest.find((o) => o.kind === 'ConfigMap')!['data'] as Record<string, string>;
  const configFile = join(work, `${deploymentName}.yaml`);
  writeFileSync(configFile, configMap['palisade.yaml']!);
  const args = spec.template.spec.containers[0]!.args.map((arg) => (arg === '/etc/palisade/config/palisade.yaml' ? configFile : replace[arg] ?? arg));
  const port = await freePort();
  const portAt = args.indexOf('--port');
  args.splice(portAt, 2, '--port', String(port), '--host', '127.0.0.1', '--kubeconfig', serviceAccountKubeconfig(serviceAccount));
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/bin.ts'), ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return { child, port, output: () => output };
}

/** JSON log lines of a component with this message. */
const logLines = (component: Component, msg: string): Record<string, unknown>[] =>
  component.output().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l['msg'] === msg);

function fetchStatus(options: RequestOptions, secure: boolean): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const done = (res: import('node:http').IncomingMessage) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    };
    const req = secure ? get(options, done) : httpRequest(options, done);
    req.on('error', reject);
    if (!secure) req.end();
  });
}

let controller: Component | undefined;
let webhook: Component | undefined;
const certDir = join(work, 'certs');

t.test('the controller runs with the chart arguments as its ServiceAccount: elected, audits, writes reports', async (t) => {
  controller = await runComponent(`${RELEASE}-controller`, `${RELEASE}-controller`, {});
  const running = controller;
  let ready = false;
  await waitFor(() => {
    if (running.child.exitCode !== null) throw new Error(`palisade controller exited: ${running.output()}`);
    void fetchStatus({ host: '127.0.0.1', port: running.port, path: '/readyz' }, false).then((r) => (ready = r.status === 200), () => undefined);
    return ready && logLines(running, 'full audit done').length > 0;
  }, 120_000, 'the controller to lead and finish its first full audit');
  const lease = getJson<{ spec: { holderIdentity?: string } }>(['get', 'lease', 'palisade-audit', '-n', NS]);
  t.ok(lease.spec.holderIdentity, `the chart's Lease is held (${lease.spec.holderIdentity})`);

  const done = logLines(controller, 'full audit done')[0]!;
  t.equal(done['failed'], 0, 'every report written (openreports.io create/patch allowed)');
  const skipped = (done['skippedKinds'] as string[]) ?? [];
  // The role reads what the rules name; no-secrets-in-annotations (every kind) sees only that.
  const role = installedManifest.find((o) => o.kind === 'ClusterRole' && o.metadata.name === `${RELEASE}-controller`)!;
  const granted = new Set(((role['rules'] as { apiGroups: string[]; resources: string[]; resourceNames?: string[] }[]).filter((r) => !r.resourceNames)).flatMap((r) => r.apiGroups.flatMap((g) => r.resources.map((res) => `${g}/${res}`))));
  for (const kind of ['Pod', 'Namespace', 'ConfigMap', 'Service', 'ServiceAccount', 'apps/Deployment', 'apps/ReplicaSet', 'batch/CronJob', 'rbac.authorization.k8s.io/ClusterRole', 'rbac.authorization.k8s.io/ClusterRoleBinding', 'networking.k8s.io/NetworkPolicy', 'LimitRange', 'ResourceQuota']) {
    t.notOk(skipped.includes(kind), `${kind} is audited`);
  }
  t.ok(skipped.includes('Secret'), `Secrets are not read (their annotations come with their data); ${skipped.length} kinds left out in all`);
  t.ok(granted.has('/pods') && !granted.has('/secrets'));
  const reports = getJson<{ items: unknown[] }>(['get', 'clusterreports']).items.length + getJson<{ items: unknown[] }>(['get', 'reports', '-A']).items.length;
  t.ok(reports > 0, `reports written (${reports})`);
  // What NOTES.txt tells users to run (through a port-forward): the rollout report, from the
  // stored reports, with the controller's own permissions.
  const rollout = await fetchStatus({ host: '127.0.0.1', port: controller.port, path: '/reports/rollout?format=markdown' }, false);
  t.equal(rollout.status, 200, 'GET /reports/rollout?format=markdown answers');
  t.match(rollout.body, /^#/m, 'a Markdown report');
  t.notMatch(controller.output(), /"level":50/, 'no error logged');
});

t.test('the webhook runs with the chart arguments as its ServiceAccount: certificate Secret, caBundle patched', async (t) => {
  webhook = await runComponent(RELEASE, `${RELEASE}-webhook`, { '/tmp/certs': certDir });
  const running = webhook;
  await waitFor(() => {
    if (running.child.exitCode !== null) throw new Error(`palisade serve exited: ${running.output()}`);
    return running.output().includes('serving on') && logLines(running, 'webhook configurations reconciled').length > 0;
  }, 120_000, 'palisade serve to start and reconcile its webhook configurations');

  const secret = getJson<{ type: string; data: Record<string, string> }>(['get', 'secret', `${RELEASE}-tls`, '-n', NS]);
  t.same(Object.keys(secret.data).sort(), ['ca.crt', 'ca.key', 'tls.crt', 'tls.key'], 'the Secret the chart names holds the CA and the serving certificate');
  const ca = Buffer.from(secret.data['ca.crt']!, 'base64').toString('utf8');
  // The serving certificate is valid for the name the API server uses for the chart's Service.
  const ready = await fetchStatus({ host: '127.0.0.1', port: running.port, path: '/readyz', ca, servername: `${RELEASE}.${NS}.svc` }, true);
  t.equal(ready.status, 200, `ready over TLS verified for ${RELEASE}.${NS}.svc: ${ready.body}`);
  t.notMatch(ready.body, /forbidden/i, 'no permission missing');

  for (const kind of ['validatingwebhookconfiguration', 'mutatingwebhookconfiguration']) {
    const live = getJson<{ webhooks: ({ clientConfig: { caBundle?: string } } & Record<string, unknown>)[] }>(['get', kind, RELEASE]);
    t.ok(live.webhooks.every((w) => w.clientConfig.caBundle && ca.includes(Buffer.from(w.clientConfig.caBundle, 'base64').toString('utf8').trim().split('\n')[1]!)), `${kind}: caBundle patched with the Secret's CA`);
    // Palisade applied its own rendering over the chart's: apart from caBundle, nothing moved.
    const chart = installedManifest.find((o) => o.kind.toLowerCase() === kind)!['webhooks'] as Record<string, unknown>[];
    const comparable = (w: Record<string, unknown>) => ({ ...w, clientConfig: { ...(w['clientConfig'] as object), caBundle: undefined }, namespaceSelector: w['namespaceSelector'] ?? {}, objectSelector: undefined });
    t.same(live.webhooks.map(comparable), chart.map(comparable), `${kind}: the reconciled webhooks equal the chart's`);
  }
});

t.test('fail-safe while the webhook cannot be reached', async (t) => {
  // Excluded namespaces (kubernetes.io/metadata.name) are never sent to Palisade.
  t.equal(kubectl(['create', 'configmap', 'probe', '-n', 'kube-system']).code, 0, 'kube-system: a ConfigMap is created');
  t.equal(kubectl(['create', 'configmap', 'probe', '-n', NS]).code, 0, 'the release namespace: a ConfigMap is created');
  t.equal(kubectl(['apply', '-f', '-'], deployment('own', NS)).code, 0, 'the release namespace: even a Deployment is created');

  // Only audit rules cover ConfigMaps (default values): failurePolicy Ignore admits it.
  const configMap = kubectl(['create', 'configmap', 'probe', '-n', TEAM]);
  t.equal(configMap.code, 0, `${TEAM}: a ConfigMap, which only audit rules cover, is admitted (Ignore)`);

  // Deployments are covered by enforced rules (the PSS baseline): failurePolicy Fail refuses any
  // of them, compliant or not, since nobody can say whether it complies.
  const blocked = kubectl(['apply', '-f', '-'], deployment('web', TEAM));
  t.not(blocked.code, 0, `${TEAM}: a Deployment is refused (Fail)`);
  t.match(blocked.stderr, /failed calling webhook "enforce\.validate\.palisade\.dev"/, 'refused because the enforce webhook cannot be called');
  t.match(blocked.stderr, new RegExp(`${RELEASE}\\.${NS}\\.svc`), 'the API server names the Service it tried');

  // The namespace-label guard is enforced too: while Palisade is down no namespace is created.
  const namespace = kubectl(['create', 'namespace', 'late']);
  t.not(namespace.code, 0, 'a new namespace is refused (the palisade.dev/* label guard fails closed)');
  t.match(namespace.stderr, /enforce\.validate\.palisade\.dev/);
});

t.test('helm upgrade over what Palisade applied: no conflict, the new mode reaches the configurations', async (t) => {
  const run = helm(['upgrade', RELEASE, CHART, '--namespace', NS, '--reuse-values', '--set', 'mode=enforce']);
  t.equal(run.code, 0, run.stderr);
  const live = getJson<{ webhooks: { name: string; rules: { resources: string[] }[]; clientConfig: { caBundle?: string } }[] }>(['get', 'validatingwebhookconfiguration', RELEASE]);
  t.ok(live.webhooks[0]!.rules.some((r) => r.resources.includes('clusterroles')), 'mode=enforce: RBAC kinds moved to the Fail registration');
  // The chart renders no caBundle, so Helm's three-way merge leaves Palisade's in place: an upgrade
  // never cuts the API server off from the webhook.
  t.ok(live.webhooks.every((w) => w.clientConfig.caBundle), 'every caBundle survives the upgrade');
  installedManifest = parseObjects(must(helm(['get', 'manifest', RELEASE, '--namespace', NS]), 'helm get manifest'));
});

/** helm without blocking this thread, so the test can play the kubelet for a hook Job meanwhile. */
function helmInBackground(args: string[]): Promise<{ code: number | null; output: string }> {
  const child = spawn(join(bin, 'helm'), args, { cwd: ROOT, env: { ...process.env, ...helmEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, output })));
}

/** Runs a process to its end: exit code and output. */
function runToEnd(args: string[]): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, output })));
}

t.test('helm uninstall: the pre-delete hook removes the webhook configurations first, and nothing is left that blocks the cluster', async (t) => {
  const started = Date.now();
  const uninstall = helmInBackground(['uninstall', RELEASE, '--namespace', NS, '--debug', '--timeout', '120s']);
  // Helm waits for the hook Job. There is no kubelet here, so this test runs the Job's Pod: its
  // container arguments, as its ServiceAccount, then reports the Pod Succeeded as a kubelet would.
  let hookPod: { metadata: { name: string }; spec: { serviceAccountName: string; containers: { args: string[] }[] } } | undefined;
  await waitFor(() => {
    const pods = JSON.parse(kubectl(['get', 'pods', '-n', NS, '-l', `job-name=${RELEASE}-uninstall`, '-o', 'json']).stdout || '{"items":[]}') as { items: NonNullable<typeof hookPod>[] };
    hookPod = pods.items[0];
    return hookPod !== undefined;
  }, 60_000, 'the pre-delete hook Job to make its Pod').catch(async (error: Error) => {
    const state = kubectl(['get', 'jobs,pods', '-n', NS]);
    const helmOutput = await Promise.race([uninstall.then((r) => r.output), new Promise<string>((resolve) => setTimeout(() => resolve('(helm still running)'), 1000))]);
    throw new Error(`${error.message}\n${state.stdout}${state.stderr}\nhelm: ${helmOutput}`);
  });
  const pod = hookPod!;
  const hook = await runToEnd(['--import', 'tsx', join(ROOT, 'src/cli/bin.ts'), ...pod.spec.containers[0]!.args, '--kubeconfig', serviceAccountKubeconfig(pod.spec.serviceAccountName)]);
  t.equal(hook.code, 0, `palisade uninstall as the hook's ServiceAccount: ${hook.output}`);
  t.match(hook.output, /deleted ValidatingWebhookConfiguration palisade/);
  // The moment that used to refuse requests: the webhook's Service and Deployment are still there,
  // and the configurations are already gone, so the Deployment refused before is admitted.
  t.ok(exists(['service', RELEASE, '-n', NS]) && exists(['deployment', RELEASE, '-n', NS]), 'the webhook is not deleted yet');
  for (const kind of ['validatingwebhookconfiguration', 'mutatingwebhookconfiguration']) t.notOk(exists([kind, RELEASE]), `${kind} ${RELEASE} is already gone`);
  t.equal(kubectl(['apply', '--dry-run=server', '-f', '-'], deployment('web', TEAM)).code, 0, 'an enforced kind is admitted while the webhook is still being removed');
  const succeeded = kubectl(['patch', 'pod', pod.metadata.name, '-n', NS, '--subresource=status', '--type=merge', '-p', JSON.stringify({ status: { phase: 'Succeeded' } })]);
  t.equal(succeeded.code, 0, succeeded.stderr);

  const run = await uninstall;
  const took = Date.now() - started;
  t.equal(run.code, 0, run.output);
  const order = [...run.output.matchAll(/Starting delete for "([^"]+)" (\w+)/g)].map((m) => m[2]!);
  t.comment(`helm then deleted, in this order: ${[...new Set(order)].join(', ')}`);
  t.ok(took < 120_000, `the whole uninstall took ${took} ms`);
  t.notOk(exists(['job', `${RELEASE}-uninstall`, '-n', NS]) || exists(['clusterrole', `${RELEASE}-uninstall`]), 'the hook and its RBAC are removed once it succeeded');

  for (const kind of ['validatingwebhookconfiguration', 'mutatingwebhookconfiguration']) t.notOk(exists([kind, RELEASE]), `${kind} ${RELEASE} is gone`);
  t.equal(kubectl(['apply', '-f', '-'], deployment('web', TEAM)).code, 0, 'the Deployment refused before is admitted');
  t.equal(kubectl(['create', 'namespace', 'late']).code, 0, 'namespaces can be created again');
  t.notOk(exists(['lease', 'palisade-audit', '-n', NS]), 'the Lease went with the release');
  // The controller is still running (as pods do for their grace period): without `create` on leases
  // it cannot bring the Lease back. Two renew periods (the lease lasts 15 s, renewed every 5 s).
  let recreated = false;
  await waitFor(() => (recreated = exists(['lease', 'palisade-audit', '-n', NS])), 11_000, 'a Lease to come back').catch(() => undefined);
  t.notOk(recreated, 'the Lease stays gone');

  // What remains, by design: CRDs (Helm never deletes a chart's crds/: deleting them deletes every
  // Rule, Exception and report), the Secret Palisade created (it holds the CA key; docs/rollout.md
  // says how to delete it), and the reports of the audit.
  t.ok(exists(['crd', 'rules.palisade.dev']), 'CRDs stay');
  t.ok(exists(['secret', `${RELEASE}-tls`, '-n', NS]), 'the certificate Secret stays (made at run time, not part of the release)');
  const left = must(kubectl(['get', 'all,configmaps,serviceaccounts,roles,rolebindings,networkpolicies,poddisruptionbudgets', '-n', NS, '-l', `app.kubernetes.io/instance=${RELEASE}`, '-o', 'name']), 'list leftovers').trim();
  t.equal(left, '', 'nothing of the release is left in its namespace');
  t.notOk(exists(['clusterrole', `${RELEASE}-webhook`]) || exists(['clusterrole', `${RELEASE}-controller`]), 'cluster roles are gone');
});
