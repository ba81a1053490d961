/**
 * Self-managed certificates against the real API server: two `palisade serve --cert-secret`
 * replicas start at the same time and must end up serving one CA from one Secret; the webhook
 * configuration's caBundle is that CA, so the API server calls Palisade over verified TLS; and when
 * the Secret is lost, the replicas make a new set, re-point caBundle and keep admission working.
 */
import t from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, startControlPlane, waitFor, type ControlPlane } from './control-plane/harness.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const NAMESPACE = 'palisade-system';
const SECRET = 'palisade-tls';

const plane: ControlPlane = await startControlPlane();
const work = mkdtempSync(join(tmpdir(), 'palisade-cert-secret-'));
const children: ChildProcess[] = [];
t.teardown(async () => {
  for (const child of children) child.kill('SIGKILL');
  await plane.stop();
  rmSync(work, { recursive: true, force: true });
});
const kubectl = (args: string[], input?: string) => plane.kubectl(args, input);
for (const ns of [NAMESPACE, 'team']) kubectl(['create', 'namespace', ns]);

interface Replica {
  port: number;
  certDir: string;
  /** Everything the replica printed: logs and the start-up line. */
  output: () => string;
}

async function startReplica(name: string, webhookUrl: string, port: number): Promise<Replica> {
  const certDir = join(work, name);
  const child = spawn(process.execPath, [
    '--import', 'tsx', join(ROOT, 'src/cli/bin.ts'), 'serve',
    '--host', '127.0.0.1', '--port', String(port), '--cert-dir', certDir, '--namespace', NAMESPACE,
    '--cert-secret', SECRET, '--cert-check-interval', '2s',
    '--kubeconfig', plane.kubeconfig, '--reconcile-webhooks', '--webhook-url', webhookUrl,
    '--log-level', process.env['PALISADE_E2E_LOG'] ?? 'info',
  ], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  // Logs (stdout) and the start-up line (stderr), together.
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  await waitFor(() => {
    if (child.exitCode !== null) throw new Error(`palisade serve exited: ${stderr}`);
    return stderr.includes('serving on');
  }, 120_000, `replica ${name} to start`);
  return { port, certDir, output: () => stderr };
}

function secretData(): Record<string, string> {
  const got = kubectl(['get', 'secret', SECRET, '-n', NAMESPACE, '-o', 'json']);
  if (got.code !== 0) return {};
  const secret = JSON.parse(got.stdout) as { type: string; data: Record<string, string> };
  return Object.fromEntries([['type', secret.type], ...Object.entries(secret.data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')])]);
}

function caBundles(): string[] {
  const got = JSON.parse(kubectl(['get', 'validatingwebhookconfiguration', 'palisade', '-o', 'json']).stdout) as { webhooks: { clientConfig: { caBundle: string } }[] };
  return got.webhooks.map((w) => Buffer.from(w.clientConfig.caBundle, 'base64').toString('utf8'));
}

/** The serving certificate a replica presents, verified against `ca` (rejects otherwise). */
function presented(port: number, ca: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, ca, servername: 'localhost' }, () => {
      const fingerprint = socket.getPeerCertificate().fingerprint256;
      socket.end();
      resolve(fingerprint);
    });
    socket.on('error', reject);
  });
}

const privilegedPod = `apiVersion: v1
kind: Pod
metadata: {name: probe, namespace: team}
spec:
  containers: [{name: app, image: registry.k8s.io/pause:3.10, securityContext: {privileged: true}}]
`;
/** True once the API server reaches Palisade over TLS it verified, and Palisade denies. */
const denied = (): boolean => {
  const probe = kubectl(['apply', '--dry-run=server', '-f', '-'], privilegedPod);
  return probe.code !== 0 && probe.stderr.includes('disallow-privileged');
};

const portA = await freePort();
const portB = await freePort();
const url = `https://127.0.0.1:${portA}`;
// Started together: both find no Secret, both try to create it; one wins, the other adopts it.
const [a, b] = await Promise.all([startReplica('a', url, portA), startReplica('b', url, portB)]);

t.test('two replicas starting at once share one CA and serving certificate from one Secret', async (t) => {
  const data = secretData();
  t.equal(data['type'], 'kubernetes.io/tls');
  t.same(Object.keys(data).filter((k) => k !== 'type').sort(), ['ca.crt', 'ca.key', 'tls.crt', 'tls.key']);
  for (const replica of [a, b]) {
    t.equal(readFileSync(join(replica.certDir, 'ca.crt'), 'utf8'), data['ca.crt'], 'the directory holds the Secret\'s CA');
    t.equal(readFileSync(join(replica.certDir, 'tls.crt'), 'utf8'), data['tls.crt'], 'and its serving certificate');
  }
  t.equal(await presented(portA, data['ca.crt'] as string), await presented(portB, data['ca.crt'] as string), 'both serve the same certificate, verified by the CA');
  t.notMatch(a.output() + b.output(), /BEGIN (RSA )?PRIVATE KEY/, 'no key in the logs');
  // This cluster has no Palisade CRDs: that is reported calmly, not as a failing watch.
  t.match(a.output(), /not served \(its CRD is not installed\)/);
  t.notMatch(a.output(), /palisade\.dev[^\n]*watch failed/);
});

t.test('caBundle is the Secret\'s CA, and the API server calls Palisade over it', async (t) => {
  await waitFor(() => caBundles().every((bundle) => bundle === secretData()['ca.crt']), 30_000, 'caBundle to be the Secret\'s CA');
  await waitFor(denied, 60_000, 'the API server to call Palisade');
  t.ok(denied(), 'a privileged Pod is denied by Palisade through the registration Palisade reconciled');
});

t.test('a lost Secret is recreated with a new CA, caBundle follows, admission keeps working', async (t) => {
  const before = secretData()['ca.crt'] as string;
  t.equal(kubectl(['delete', 'secret', SECRET, '-n', NAMESPACE]).code, 0);
  await waitFor(() => {
    const now = secretData()['ca.crt'];
    return now !== undefined && now !== before;
  }, 30_000, 'a replica to recreate the Secret');
  const after = secretData()['ca.crt'] as string;
  await waitFor(() => readFileSync(join(a.certDir, 'ca.crt'), 'utf8') === after && readFileSync(join(b.certDir, 'ca.crt'), 'utf8') === after, 30_000, 'both replicas to adopt the new set');
  await waitFor(() => caBundles().every((bundle) => bundle === after), 30_000, 'caBundle to follow');
  const serving = async (port: number): Promise<boolean> => (await presented(port, after).catch(() => '')) !== '';
  for (let i = 0; !(await serving(portA)) || !(await serving(portB)); i++) {
    if (i > 60) throw new Error('the replicas never served the new certificate');
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  t.equal(await presented(portB, after), await presented(portA, after), 'both serve the new certificate');
  await waitFor(denied, 60_000, 'the API server to call Palisade with the new caBundle');
  t.ok(denied(), 'admission still works after the rotation');
  t.match(a.output() + b.output(), /certificate Secret updated/);
});
