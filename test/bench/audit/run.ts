/**
 * `npm run bench:audit [-- --sizes 2000,5000,10000] [--events 50] [--heap-limit MiB] [--json FILE]`:
 * how the background audit scales, against the real control plane of the end-to-end tests
 * (kube-apiserver, etcd and kube-controller-manager on loopback, all on this machine with the
 * controller).
 *
 * For each size the cluster is grown to that many objects created by the benchmark (a mix of
 * ConfigMaps, Pods, Deployments — whose ReplicaSets and Pods the controller-manager adds — and
 * RBAC Roles and RoleBindings, some of each violating built-in rules), then `palisade controller`
 * is started as its own process and measured:
 *
 * - the first full audit: its duration as the controller logs it (lists, evaluation, owners, report
 *   writes), and from process start to /readyz;
 * - peak RSS of the controller process (VmHWM), after the audit and after the event phase;
 * - re-evaluation latency: `--events` ConfigMaps created one at a time, each with a credential, from
 *   the create request to its report being readable (end to end, polled), and the controller's own
 *   histograms (watch event received → the object re-evaluated; → the owner's report written),
 *   which also cover `--events` label changes that change no finding (evaluated, nothing written).
 *
 * The controller runs as the chart runs it: the built CLI, V8's old space capped at
 * `--heap-limit` MiB (default 768, the chart's controller.heapLimitMiB).
 *
 * No timed assertions: the numbers are for BENCHMARKS.md.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { freePort, startControlPlane, type ControlPlane } from '../../e2e/control-plane/harness.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
/** The built CLI, as the image runs it (tsx alone would add about 75 MiB to the RSS measured). */
const BIN = fileURLToPath(new URL('../../../dist/cli/bin.js', import.meta.url));
/** Objects the benchmark creates per namespace. */
const PER_NAMESPACE = 500;

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '2000,5000,10000' },
    events: { type: 'string', default: '50' },
    // The controller's V8 old-space cap, as the chart sets it (controller.heapLimitMiB); 0: none.
    'heap-limit': { type: 'string', default: '768' },
    json: { type: 'string' },
  },
});
const sizes = (values.sizes ?? '').split(',').map(Number);
if (sizes.some((n) => !Number.isInteger(n) || n < 100) || sizes.some((n, i) => i > 0 && n <= (sizes[i - 1] ?? 0))) throw new Error('--sizes: increasing whole numbers of at least 100');
const events = Number(values.events);
const heapLimitMiB = Number(values['heap-limit']);
if (!Number.isInteger(heapLimitMiB) || heapLimitMiB < 0) throw new Error('--heap-limit: MiB, a whole number (0: no cap)');

class Client {
  readonly #url: URL;
  readonly #auth: string;
  readonly #agent = new Agent({ keepAlive: true, maxSockets: 16, rejectUnauthorized: false });
  constructor(plane: ControlPlane) {
    this.#url = new URL(plane.server);
    this.#auth = `Bearer ${plane.token}`;
  }
  send(method: string, path: string, body?: unknown): Promise<{ status: number; body: string }> {
    const text = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = request({
        hostname: this.#url.hostname,
        port: this.#url.port,
        method,
        path,
        agent: this.#agent,
        headers: {
          authorization: this.#auth,
          accept: 'application/json',
          ...(text === undefined ? {} : { 'content-type': method === 'PATCH' ? 'application/merge-patch+json' : 'application/json', 'content-length': Buffer.byteLength(text) }),
        },
      }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(text);
    });
  }
  async create(path: string, body: unknown): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const res = await this.send('POST', path, body);
      if (res.status < 300 || res.status === 409) return;
      if (attempt < 5 && (res.status === 429 || res.status >= 500)) continue;
      throw new Error(`POST ${path}: ${res.status} ${res.body.slice(0, 300)}`);
    }
  }
  /** How many objects a collection holds (a list of one, and the server's remaining count). */
  async count(path: string): Promise<number> {
    const res = JSON.parse((await this.send('GET', `${path}?limit=1`)).body) as { items: unknown[]; metadata: { remainingItemCount?: number } };
    return res.items.length + (res.metadata.remainingItemCount ?? 0);
  }
}

/** The i-th object the benchmark creates: 40% ConfigMaps, 30% Pods, 10% Deployments, 20% RBAC; some of each violate. */
function objectAt(i: number): { path: string; body: Record<string, unknown> } {
  const namespace = `bench-${Math.floor(i / PER_NAMESPACE)}`;
  const slot = i % 100;
  const name = `o-${i}`;
  const ns = (plural: string, group = '/api/v1') => `${group}/namespaces/${namespace}/${plural}`;
  const container = (privileged: boolean) => ({ name: 'app', image: 'registry.example.com/app:1.0', ...(privileged ? { securityContext: { privileged: true } } : {}) });
  if (slot < 40) {
    return { path: ns('configmaps'), body: { metadata: { name, labels: { team: `t${i % 7}` } }, data: slot < 10 ? { AWS_ACCESS_KEY_ID: 'AKIAZ7QPLM3XVT2KWB4R' } : { setting: String(i) } } };
  }
  if (slot < 70) return { path: ns('pods'), body: { metadata: { name, labels: { app: name, team: `t${i % 7}` } }, spec: { containers: [container(slot < 45)] } } };
  if (slot < 80) {
    return {
      path: ns('deployments', '/apis/apps/v1'),
      body: { metadata: { name, labels: { team: `t${i % 7}` } }, spec: { replicas: 1, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [container(slot < 72)] } } } },
    };
  }
  if (slot < 90) {
    return { path: ns('roles', '/apis/rbac.authorization.k8s.io/v1'), body: { metadata: { name }, rules: [{ apiGroups: [''], resources: slot < 85 ? ['*'] : ['configmaps'], verbs: slot < 85 ? ['*'] : ['get'] }] } };
  }
  return { path: ns('rolebindings', '/apis/rbac.authorization.k8s.io/v1'), body: { metadata: { name }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: `o-${i - 10}` }, subjects: [{ kind: 'ServiceAccount', name: 'default', namespace }] } };
}

async function populate(client: Client, from: number, to: number): Promise<number> {
  const started = performance.now();
  for (let n = Math.floor(from / PER_NAMESPACE); n * PER_NAMESPACE < to; n++) {
    await client.create('/api/v1/namespaces', { metadata: { name: `bench-${n}` } });
    // Pods are refused until the controller-manager has made the namespace's default ServiceAccount.
    await until(async () => (await client.send('GET', `/api/v1/namespaces/bench-${n}/serviceaccounts/default`)).status === 200, 60_000, `bench-${n}/default`);
  }
  let next = from;
  const worker = async (): Promise<void> => {
    while (next < to) {
      const { path, body } = objectAt(next++);
      await client.create(path, body);
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  // The controller-manager makes each Deployment's ReplicaSet and Pod: wait until they are all there.
  const deployments = (k: number) => Math.floor(k / 100) * 10 + Math.max(0, Math.min(10, (k % 100) - 70));
  const podsWanted = (k: number) => Math.floor(k / 100) * 30 + Math.max(0, Math.min(30, (k % 100) - 40)) + deployments(k);
  for (let i = 0; i < 600; i++) {
    if ((await client.count('/api/v1/pods')) >= podsWanted(to)) break;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  return (performance.now() - started) / 1000;
}

interface Controller {
  child: ChildProcess;
  port: number;
  /** JSON log lines of the controller, parsed. */
  logs: Record<string, unknown>[];
  peakRssMiB(): number;
  metrics(): Promise<string>;
  stop(): Promise<void>;
}

async function startController(plane: ControlPlane): Promise<Controller> {
  const port = await freePort();
  const child = spawn(process.execPath, [...(heapLimitMiB > 0 ? [`--max-old-space-size=${heapLimitMiB}`] : []), BIN, 'controller', '--kubeconfig', plane.kubeconfig, '--namespace', 'palisade-system', '--identity', 'bench', '--host', '127.0.0.1', '--port', String(port), '--log-level', 'info'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const logs: Record<string, unknown>[] = [];
  let partial = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    partial += chunk.toString();
    const lines = partial.split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      try {
        const entry = JSON.parse(line) as Record<string, unknown>;
        // Keep what the benchmark reads, not every "reports synced" line.
        if (entry['msg'] !== 'reports synced') logs.push(entry);
      } catch {
        // not a log line
      }
    }
  });
  child.stderr?.on('data', () => {});
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    child,
    port,
    logs,
    peakRssMiB: () => {
      const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
      return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
    },
    metrics: async () => (await fetch(`http://127.0.0.1:${port}/metrics`)).text(),
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

async function until(check: () => Promise<boolean> | boolean, timeoutMs: number, what: string, pollMs = 100): Promise<number> {
  const started = performance.now();
  while (performance.now() - started < timeoutMs) {
    if (await Promise.resolve().then(check).catch(() => false)) return performance.now() - started;
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
  throw new Error(`timed out waiting for ${what}`);
}

interface Histogram {
  buckets: { le: number; count: number }[];
  count: number;
  sum: number;
}

/** A Prometheus histogram, from the text format. */
function readHistogram(text: string, name: string): Histogram {
  const buckets = [...text.matchAll(new RegExp(`^${name}_bucket\\{le="([^"]+)"\\} (\\d+)`, 'gm'))].map((m) => ({ le: m[1] === '+Inf' ? Infinity : Number(m[1]), count: Number(m[2]) }));
  const count = Number(new RegExp(`^${name}_count (\\d+)`, 'm').exec(text)?.[1] ?? 0);
  const sum = Number(new RegExp(`^${name}_sum ([\\d.e+-]+)`, 'm').exec(text)?.[1] ?? 0);
  return { buckets, count, sum };
}

/** What was observed between two readings: count, mean, p50 and p95 (linear within a bucket). */
function between(before: Histogram, after: Histogram): { count: number; mean: number; p50: number; p95: number } {
  const buckets = after.buckets.map((b, i) => ({ le: b.le, count: b.count - (before.buckets[i]?.count ?? 0) }));
  const count = after.count - before.count;
  const quantile = (q: number): number => {
    const rank = q * count;
    let previous = { le: 0, count: 0 };
    for (const bucket of buckets) {
      if (bucket.count >= rank) {
        if (bucket.le === Infinity) return previous.le;
        const inBucket = bucket.count - previous.count;
        return previous.le + (inBucket === 0 ? 0 : ((rank - previous.count) / inBucket) * (bucket.le - previous.le));
      }
      previous = bucket;
    }
    return previous.le;
  };
  return { count, mean: count === 0 ? 0 : (after.sum - before.sum) / count, p50: quantile(0.5), p95: quantile(0.95) };
}

function inMs(h: { count: number; mean: number; p50: number; p95: number }): { count: number; mean: number; p50: number; p95: number } {
  const ms = (seconds: number): number => Number((seconds * 1000).toFixed(2));
  return { count: h.count, mean: ms(h.mean), p50: ms(h.p50), p95: ms(h.p95) };
}

function percentile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
}

interface Row {
  created: number;
  populateSeconds: number;
  audited: number;
  reports: number;
  auditSeconds: number;
  /** Of which: list, evaluate, owners (the rest writes reports, paced at 20 a second). */
  evaluateSeconds: number;
  writeSeconds: number;
  readySeconds: number;
  peakRssAfterAuditMiB: number;
  peakRssMiB: number;
  endToEndMs: { p50: number; p95: number; max: number };
  eventLatencyMs: { count: number; mean: number; p50: number; p95: number };
  /** Watch event → the object re-evaluated (the controller's histogram), in ms. */
  eventEvaluationMs: { count: number; mean: number; p50: number; p95: number };
}

const plane = await startControlPlane();
const rows: Row[] = [];
try {
  plane.kubectl(['create', 'namespace', 'palisade-system']);
  const client = new Client(plane);
  let created = 0;
  for (const size of sizes) {
    process.stderr.write(`bench:audit: growing the cluster to ${size} objects…\n`);
    const populateSeconds = await populate(client, created, size);
    created = size;
    const started = performance.now();
    const controller = await startController(plane);
    await until(async () => (await fetch(`http://127.0.0.1:${controller.port}/readyz`)).status === 200, 30 * 60_000, 'the first audit', 200);
    const readySeconds = (performance.now() - started) / 1000;
    const done = controller.logs.find((l) => l['msg'] === 'full audit done') ?? {};
    const peakAfterAudit = controller.peakRssMiB();
    process.stderr.write(`bench:audit: ${size}: first audit ${String(done['seconds'])} s, ${String(done['objects'])} objects, peak RSS ${peakAfterAudit.toFixed(0)} MiB\n`);

    // After the first audit the watches catch up on what happened during it (its own report writes
    // among them): the event phase starts once that backlog is worked off.
    const LATENCY = 'palisade_audit_event_latency_seconds';
    let seen = -1;
    await until(async () => {
      const count = readHistogram(await controller.metrics(), LATENCY).count;
      const settled = count === seen;
      seen = count;
      return settled;
    }, 10 * 60_000, 'the backlog after the first audit', 2000);
    const EVALUATION = 'palisade_audit_event_evaluation_seconds';
    const metricsBefore = await controller.metrics();
    const before = readHistogram(metricsBefore, LATENCY);
    const evaluationBefore = readHistogram(metricsBefore, EVALUATION);
    // Events: credentials in new ConfigMaps (each makes a report), then label changes that change nothing.
    const endToEnd: number[] = [];
    for (let i = 0; i < events; i++) {
      const name = `event-${size}-${i}`;
      const t0 = performance.now();
      await client.create('/api/v1/namespaces/bench-0/configmaps', { metadata: { name }, data: { AWS_ACCESS_KEY_ID: 'AKIAZ7QPLM3XVT2KWB4R' } });
      await until(async () => (await client.send('GET', `/apis/openreports.io/v1alpha1/namespaces/bench-0/reports/palisade-configmap-${name}`)).status === 200, 60_000, `the report of ${name}`, 25);
      endToEnd.push(performance.now() - t0);
    }
    for (let i = 0; i < events; i++) {
      await client.send('PATCH', `/api/v1/namespaces/bench-0/configmaps/o-${10 + (i % 30)}`, { metadata: { labels: { touched: String(i) } } });
    }
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const metricsAfter = await controller.metrics();
    const latency = between(before, readHistogram(metricsAfter, LATENCY));
    const evaluation = between(evaluationBefore, readHistogram(metricsAfter, EVALUATION));
    const peak = controller.peakRssMiB();
    await controller.stop();
    rows.push({
      created: size,
      populateSeconds: Number(populateSeconds.toFixed(1)),
      audited: Number(done['objects'] ?? 0),
      reports: Number(done['reports'] ?? 0),
      auditSeconds: Number(done['seconds'] ?? 0),
      evaluateSeconds: Number(done['auditSeconds'] ?? 0),
      writeSeconds: Number(done['writeSeconds'] ?? 0),
      readySeconds: Number(readySeconds.toFixed(2)),
      peakRssAfterAuditMiB: Math.round(peakAfterAudit),
      peakRssMiB: Math.round(peak),
      endToEndMs: { p50: Math.round(percentile(endToEnd, 0.5)), p95: Math.round(percentile(endToEnd, 0.95)), max: Math.round(Math.max(...endToEnd)) },
      eventLatencyMs: inMs(latency),
      eventEvaluationMs: inMs(evaluation),
    });
  }
} finally {
  await plane.stop();
}

const lines = [
  `Background audit scaling — ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB; the control plane runs on the same machine; controller heap cap ${heapLimitMiB > 0 ? `${heapLimitMiB} MiB` : 'none'}.`,
  '',
  '| created | audited objects | reports | first audit (s): read + evaluate, write | to /readyz (s) | peak RSS after audit (MiB) | peak RSS (MiB) | new object → report, p50 / p95 / max (ms) | event → report written, controller: n, mean, p50, p95 (ms) | event → re-evaluated, controller: n, mean, p50, p95 (ms) |',
  '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- | --- |',
  ...rows.map((r) => `| ${r.created} | ${r.audited} | ${r.reports} | ${r.auditSeconds}: ${r.evaluateSeconds} + ${r.writeSeconds} | ${r.readySeconds} | ${r.peakRssAfterAuditMiB} | ${r.peakRssMiB} | ${r.endToEndMs.p50} / ${r.endToEndMs.p95} / ${r.endToEndMs.max} | ${r.eventLatencyMs.count}, ${r.eventLatencyMs.mean}, ${r.eventLatencyMs.p50}, ${r.eventLatencyMs.p95} | ${r.eventEvaluationMs.count}, ${r.eventEvaluationMs.mean}, ${r.eventEvaluationMs.p50}, ${r.eventEvaluationMs.p95} |`),
];
process.stdout.write(`${lines.join('\n')}\n`);
if (values.json) writeFileSync(values.json, `${JSON.stringify(rows, null, 2)}\n`);
