/**
 * `palisade controller` against a real control plane (kube-apiserver, etcd, kube-controller-manager
 * on loopback), run as its own process as in a cluster — kubectl runs synchronously here, which
 * would stall a controller sharing this process's event loop. What a user sees:
 *
 * - violating objects get their reports within seconds; a fix removes the finding; deleting the
 *   object removes its report;
 * - a rule change (the configuration file edited, a Rule resource applied) re-audits the cluster;
 * - the API server restarting in the middle of the watches: the loop recovers and audits an object
 *   created just after;
 * - two replicas: exactly one audits (metrics, Lease); SIGKILL the leader and the other takes over
 *   and keeps the reports current; SIGTERM releases the lease and exits 0.
 */
import t from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, startControlPlane, type ControlPlane } from './control-plane/harness.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const FIXTURES = fileURLToPath(new URL('../fixtures/controller/', import.meta.url));
const BIN = fileURLToPath(new URL('../../src/cli/bin.ts', import.meta.url));
const NS = 'ctl-apps';

const plane: ControlPlane = await startControlPlane();
const work = mkdtempSync(join(tmpdir(), 'palisade-controller-e2e-'));
const config = join(work, 'palisade.yaml');
copyFileSync(join(FIXTURES, 'palisade.yaml'), config);
const replicas: Replica[] = [];
t.teardown(async () => {
  for (const replica of replicas) await replica.kill('SIGKILL');
  await plane.stop();
  rmSync(work, { recursive: true, force: true });
});

function must(args: string[], input?: string): string {
  const out = plane.kubectl(args, input);
  if (out.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${out.stderr}`);
  return out.stdout;
}
must(['create', 'namespace', 'palisade-system']);
// Palisade's own CRDs first, so the controller watches its Rule and Exception resources from the start.
for (const crd of ['rules.palisade.dev.yaml', 'exceptions.palisade.dev.yaml']) must(['apply', '-f', join(ROOT, 'crds', crd)]);
must(['wait', '--for=condition=Established', 'crd/rules.palisade.dev', 'crd/exceptions.palisade.dev', '--timeout=60s']);

interface Replica {
  identity: string;
  port: number;
  child: ChildProcess;
  output(): string;
  get(path: string): Promise<{ status: number; text: string }>;
  metric(name: string): Promise<number | undefined>;
  kill(signal: NodeJS.Signals): Promise<number | null>;
}

async function startReplica(identity: string): Promise<Replica> {
  const port = await freePort();
  const child = spawn(process.execPath, [
    '--import', 'tsx', BIN, 'controller',
    '--kubeconfig', plane.kubeconfig,
    '--namespace', 'palisade-system',
    '--identity', identity,
    // Long enough to ride out the API server restart below; a SIGKILLed leader's lease expires after it.
    '--lease-duration', '20',
    '--config', config,
    '--team-label', 'team',
    '--host', '127.0.0.1',
    '--port', String(port),
  ], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const keep = (chunk: Buffer): void => {
    lines.push(chunk.toString());
    if (lines.length > 5000) lines.shift();
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    child.stderr?.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('serving on')) resolve();
    });
    void exited.then((code) => reject(new Error(`${identity} exited (${code}):\n${lines.join('')}`)));
  });
  const get = async (path: string) => {
    const response = await fetch(`http://127.0.0.1:${port}${path}`);
    return { status: response.status, text: await response.text() };
  };
  const replica: Replica = {
    identity,
    port,
    child,
    output: () => lines.join(''),
    get,
    async metric(name) {
      const { text } = await get('/metrics');
      const line = text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
      return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
    },
    async kill(signal) {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill(signal);
      return exited;
    },
  };
  replicas.push(replica);
  return replica;
}

/** Polls (each try a kubectl or HTTP call), without sleeping the test's event loop away. */
async function eventually(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 60_000): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    if (await check()) return Date.now() - started;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  // The whole output of every replica, kept for diagnosis (the work folder goes at teardown).
  const kept = replicas.map((r) => {
    const file = join(tmpdir(), `palisade-controller-e2e-${r.identity}-${process.pid}.log`);
    writeFileSync(file, r.output());
    return file;
  });
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (controller logs: ${kept.join(', ')})\n${replicas.map((r) => `--- ${r.identity}\n${r.output().slice(-4000)}`).join('\n')}`);
}

interface StoredReport {
  metadata: { name: string; labels?: Record<string, string> };
  results: { policy: string; properties?: Record<string, string> }[];
}
function report(name: string, namespace = NS): StoredReport | undefined {
  const out = plane.kubectl(['get', 'report', name, '-n', namespace, '-o', 'json']);
  return out.code === 0 ? (JSON.parse(out.stdout) as StoredReport) : undefined;
}
const rulesOf = (name: string, namespace = NS): string[] => (report(name, namespace)?.results ?? []).map((r) => r.policy).sort();
const holder = (): string => plane.kubectl(['get', 'lease', 'palisade-audit', '-n', 'palisade-system', '-o', 'jsonpath={.spec.holderIdentity}']).stdout;

const a = await startReplica('replica-a');
await eventually(async () => (await a.get('/readyz')).status === 200 && (await a.metric('palisade_audit_leader')) === 1, 'replica-a to lead and finish its first audit', 120_000);

t.test('the first audit installs the report CRDs and is ready; probes and metrics answer', async (t) => {
  t.equal(plane.kubectl(['get', 'crd', 'reports.openreports.io']).code, 0, 'the OpenReports CRDs were installed');
  t.equal((await a.get('/healthz')).status, 200);
  const ready = JSON.parse((await a.get('/readyz')).text) as { ready: boolean; checks: { audit: { role: string } } };
  t.match(ready, { ready: true, checks: { audit: { role: 'leader' } } });
  t.ok(((await a.metric('palisade_audit_duration_seconds')) ?? 0) > 0, 'the audit duration is recorded');
  t.ok(((await a.metric('palisade_audit_objects')) ?? 0) > 0, 'objects are kept');
  t.equal(holder(), 'replica-a');
});

t.test('violating objects get their reports within seconds', async (t) => {
  must(['apply', '-f', join(FIXTURES, 'workloads.yaml')]);
  const ms = await eventually(() => rulesOf('palisade-deployment-web').includes('disallow-privileged') && rulesOf('palisade-configmap-app-config').includes('no-secrets-in-configmaps'), 'the reports of web and app-config');
  t.comment(`reports written ${(ms / 1000).toFixed(1)} s after kubectl apply returned`);
  const web = report('palisade-deployment-web');
  t.equal(web?.metadata.labels?.['team'], 'shop', 'the team label is copied from the owner');
  t.equal(web?.results.find((r) => r.policy === 'disallow-privileged')?.properties?.['mode'], 'enforce');
  // The Pods come a moment later; they count under their Deployment.
  await eventually(() => Number(report('palisade-deployment-web')?.results[0]?.properties?.['objects']) >= 4, 'the Deployment to stand for its ReplicaSet and Pods');
  t.equal(plane.kubectl(['get', 'reports', '-n', NS, '-o', 'name']).stdout.split('\n').filter((l) => l.includes('palisade-pod-')).length, 0, 'no report of their own for the Pods');
  const metrics = (await a.get('/metrics')).text;
  t.match(metrics, /palisade_audit_findings\{rule="disallow-privileged",severity="\w+"\} [1-9]/);
  t.match(metrics, /palisade_compliance_score\{standard="[^"]+"\} \d/);
});

t.test('fixing an object removes its finding; deleting it removes its report', async (t) => {
  must(['patch', 'configmap', 'app-config', '-n', NS, '--type=json', '-p', JSON.stringify([{ op: 'remove', path: '/data/AWS_ACCESS_KEY_ID' }])]);
  await eventually(() => !rulesOf('palisade-configmap-app-config').includes('no-secrets-in-configmaps'), 'the fixed finding to go');
  t.pass('the credential removed, the finding went');
  must(['delete', 'deployment', 'web', '-n', NS, '--wait=false']);
  await eventually(() => report('palisade-deployment-web') === undefined, 'the report of the deleted Deployment to go');
  t.pass('the report went with its Deployment');
});

t.test('a rule change re-audits the cluster: the configuration edited, a Rule resource applied', async (t) => {
  must(['create', 'configmap', 'leaky', '-n', NS, '--from-literal=AWS_ACCESS_KEY_ID=AKIAZ7QPLM3XVT2KWB4R']);
  await eventually(() => rulesOf('palisade-configmap-leaky').includes('no-secrets-in-configmaps'), 'the report of leaky');
  const runs = async () => (await a.get('/metrics')).text.match(/palisade_audit_runs_total\{reason="policy",result="success"\} (\d+)/)?.[1];
  writeFileSync(config, `${readFileSync(config, 'utf8')}  no-secrets-in-configmaps:\n    disabled: true\n`);
  await eventually(() => report('palisade-configmap-leaky') === undefined, 'the disabled rule to leave the reports');
  // The audit counts itself once every namespace's reports are written; this namespace's come first.
  await eventually(async () => (await runs()) !== undefined, 'the full audit to finish');
  t.equal(await runs(), '1', 'by one full audit');

  must(['apply', '-f', join(FIXTURES, 'rule-resource.yaml')]);
  await eventually(() => rulesOf('palisade-configmap-leaky').includes('require-configmap-owner'), 'the Rule resource to be audited');
  t.pass('the ConfigMap is judged by the Rule resource');
  must(['label', 'configmap', 'leaky', '-n', NS, 'owner=shop']);
  await eventually(() => report('palisade-configmap-leaky') === undefined, 'the labelled ConfigMap to pass');
});

t.test('the API server restarts in the middle of the watches: the loop recovers, nothing is missed', async (t) => {
  const privileged = (name: string) => ['run', name, '-n', NS, '--image=registry.example.com/x:1', '--restart=Never', '--overrides', JSON.stringify({ spec: { containers: [{ name, image: 'registry.example.com/x:1', securityContext: { privileged: true } }] } })];
  // Created the moment before the API server goes: its event may be in flight when the watches break.
  must(privileged('before-restart'));
  await plane.restartApiServer();
  // Created the moment the API server is back, while the watches reconnect.
  must(privileged('after-restart'));
  const ms = await eventually(() => rulesOf('palisade-pod-after-restart').includes('disallow-privileged') && rulesOf('palisade-pod-before-restart').includes('disallow-privileged'), 'the Pods created around the restart to be audited', 180_000);
  t.comment(`both audited ${(ms / 1000).toFixed(1)} s after the second was created`);
  const text = (await a.get('/metrics')).text;
  t.match(text, /palisade_audit_watch_restarts_total\{kind="[^"]+",reason="(error|gone|stale)"\} [1-9]/, 'the watches were restarted');
  t.equal(await a.metric('palisade_audit_leader'), 1, 'it kept the lease');
  t.equal((await a.get('/readyz')).status, 200, 'still ready');
  must(['delete', 'pod', 'after-restart', 'before-restart', '-n', NS, '--wait=false']);
  await eventually(() => report('palisade-pod-after-restart') === undefined && report('palisade-pod-before-restart') === undefined, 'their reports to go with them');
});

t.test('two replicas: one audits; SIGKILL the leader and the other takes over', async (t) => {
  const b = await startReplica('replica-b');
  await eventually(async () => (await b.get('/readyz')).status === 200, 'replica-b to be ready (following)');
  // Several of b's lease retries: it must not lead as well.
  await new Promise((resolve) => setTimeout(resolve, 3000));
  t.equal(await a.metric('palisade_audit_leader'), 1, 'replica-a leads');
  t.equal(await b.metric('palisade_audit_leader'), 0, 'replica-b follows');
  t.equal(holder(), 'replica-a', 'the Lease names replica-a');
  const rollout = await b.get('/reports/rollout');
  t.equal(rollout.status, 200, 'a follower serves the rollout report from the stored reports');
  t.match(rollout.text, /require-run-as-non-root|Would be blocked|Safe to enforce/i);
  const json = await b.get('/reports/rollout?format=json');
  t.match(JSON.parse(json.text), { format: 'palisade.dev/rollout-report/v1' });
  t.equal((await b.get('/reports/rollout?format=pdf')).status, 400, 'an unknown format is refused');

  await a.kill('SIGKILL');
  const ms = await eventually(async () => (await b.metric('palisade_audit_leader')) === 1 && (await b.get('/readyz')).status === 200, 'replica-b to take over', 90_000);
  t.comment(`replica-b led and had audited ${(ms / 1000).toFixed(1)} s after replica-a was killed`);
  t.equal(holder(), 'replica-b');
  must(['create', 'configmap', 'after-takeover', '-n', NS]);
  await eventually(() => rulesOf('palisade-configmap-after-takeover').includes('require-configmap-owner'), 'replica-b to keep the reports current');
  t.pass('the new leader audits changes');

  t.equal(await b.kill('SIGTERM'), 0, 'SIGTERM: exit 0');
  t.equal(holder(), '', 'the lease was released');
});
