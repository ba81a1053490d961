/**
 * Webhook throughput: autocannon drives POST /validate of `palisade serve` (full built-in rule
 * set, default configuration) and, in the same run, a null endpoint with the same TLS, certificate
 * and bodies that answers allowed: true. Each server runs in its own process on its own port, with
 * the load generator in this one; runs alternate A B A B so drift on a shared machine hits both.
 * Reported: requests/s, p50 and p99 latency, and the throughput ratio palisade / null.
 */
import autocannon from 'autocannon';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));

export interface WebhookRun {
  target: 'palisade' | 'null';
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  non2xx: number;
}

export interface WebhookBench {
  durationSeconds: number;
  connections: number;
  /** node:cluster workers per server (1: a single process each). */
  workers: number;
  runs: WebhookRun[];
  palisade: { requestsPerSecond: number; p50Ms: number; p99Ms: number };
  null: { requestsPerSecond: number; p50Ms: number; p99Ms: number };
  ratio: number;
}

function review(uid: string, object: Record<string, unknown>, resource: string, group: string): string {
  const metadata = object['metadata'] as { name: string; namespace?: string };
  return JSON.stringify({
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid,
      kind: { group, version: 'v1', kind: object['kind'] },
      resource: { group, version: 'v1', resource },
      name: metadata.name,
      namespace: metadata.namespace ?? 'default',
      operation: 'CREATE',
      userInfo: { username: 'system:serviceaccount:kube-system:replicaset-controller', groups: ['system:serviceaccounts', 'system:authenticated'] },
      object,
      oldObject: null,
      dryRun: false,
    },
  });
}

/** Realistic reviews: the bench Deployment and Pod, as the API server sends them. */
function bodies(): string[] {
  const read = (file: string): Record<string, unknown> => JSON.parse(readFileSync(join(FIXTURES, file), 'utf8')) as Record<string, unknown>;
  return [
    review('6f1c8b4e-1d7a-4a43-9d2e-000000000001', read('pod.json'), 'pods', ''),
    review('6f1c8b4e-1d7a-4a43-9d2e-000000000002', read('deployment.json'), 'deployments', 'apps'),
  ];
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

async function startChild(args: string[]): Promise<ChildProcess> {
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  await new Promise<void>((resolve, reject) => {
    let text = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      if (text.includes('serving on')) resolve();
    });
    child.on('exit', (code) => reject(new Error(`server exited with ${code}: ${text}`)));
  });
  return child;
}

async function drive(port: number, payloads: string[], seconds: number, connections: number): Promise<Omit<WebhookRun, 'target'>> {
  const result = await autocannon({
    url: `https://127.0.0.1:${port}/validate?timeout=10s`,
    connections,
    duration: seconds,
    requests: payloads.map((body) => ({ method: 'POST' as const, path: '/validate?timeout=10s', body, headers: { 'content-type': 'application/json' } })),
  });
  return {
    requestsPerSecond: result.requests.average,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
  };
}

export async function benchWebhook(options: { seconds: number; rounds: number; connections: number; workers?: number }): Promise<WebhookBench> {
  const certDir = mkdtempSync(join(tmpdir(), 'palisade-bench-'));
  const children: ChildProcess[] = [];
  const workers = options.workers ?? 1;
  // With workers, both servers run as node:cluster workers sharing their port, as many each.
  const server = (args: string[]): string[] => (workers > 1 ? ['test/bench/cluster-launcher.mjs', String(workers), ...args] : args);
  try {
    // Certificates first, so that workers starting together do not each generate their own.
    await new Promise<void>((resolve, reject) => {
      spawn(process.execPath, ['dist/cli/bin.js', 'certs', 'generate', '--out', certDir], { cwd: ROOT, stdio: 'ignore' })
        .on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`certs generate exited with ${code}`))));
    });
    const palisadePort = await freePort();
    children.push(await startChild(server(['dist/cli/bin.js', 'serve', '--host', '127.0.0.1', '--port', String(palisadePort), '--cert-dir', certDir, '--log-level', 'warn'])));
    const nullPort = await freePort();
    children.push(await startChild(server(['test/bench/null-webhook.mjs', certDir, String(nullPort)])));
    const payloads = bodies();
    // Warm both up (JIT, TLS session setup) before measuring.
    await drive(palisadePort, payloads, 2, options.connections);
    await drive(nullPort, payloads, 2, options.connections);
    const runs: WebhookRun[] = [];
    for (let round = 0; round < options.rounds; round++) {
      for (const [target, port] of (round % 2 === 0 ? [['null', nullPort], ['palisade', palisadePort]] : [['palisade', palisadePort], ['null', nullPort]]) as ['null' | 'palisade', number][]) {
        runs.push({ target, ...(await drive(port, payloads, options.seconds, options.connections)) });
      }
    }
    const summary = (target: 'palisade' | 'null') => {
      const mine = runs.filter((r) => r.target === target);
      const med = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
      return { requestsPerSecond: med(mine.map((r) => r.requestsPerSecond)), p50Ms: med(mine.map((r) => r.p50Ms)), p99Ms: med(mine.map((r) => r.p99Ms)) };
    };
    const palisade = summary('palisade');
    const nullEndpoint = summary('null');
    return { durationSeconds: options.seconds, connections: options.connections, workers, runs, palisade, null: nullEndpoint, ratio: palisade.requestsPerSecond / nullEndpoint.requestsPerSecond };
  } finally {
    for (const child of children) child.kill('SIGTERM');
    rmSync(certDir, { recursive: true, force: true });
  }
}
