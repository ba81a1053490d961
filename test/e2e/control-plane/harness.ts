/**
 * A real Kubernetes control plane on loopback for end-to-end tests: etcd, kube-apiserver (token
 * authentication, RBAC, service-account keys) and kube-controller-manager (so Deployments make
 * ReplicaSets and Pods, service accounts get tokens, garbage collection and namespace deletion
 * work). No kubelet: Pods stay Pending. Random ports, a temporary directory, nothing left behind.
 *
 * Binaries come from build.sh (cached outside the clone); `controlPlaneBinaries()` finds or builds them.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BUILD_SCRIPT = fileURLToPath(new URL('./build.sh', import.meta.url));

export interface ControlPlane {
  /** kubeconfig with a cluster-admin token (member of system:masters). */
  kubeconfig: string;
  server: string;
  token: string;
  dir: string;
  bin: string;
  /** Runs the real kubectl against this control plane. */
  kubectl(args: string[], input?: string): { code: number | null; stdout: string; stderr: string };
  /**
   * Stops kube-apiserver (SIGTERM, SIGKILL after 5 s) and starts it again on the same port with the
   * same etcd and certificates; resolves once it answers /readyz again. `whileDown` runs in between.
   */
  restartApiServer(whileDown?: () => void | Promise<void>): Promise<void>;
  stop(): Promise<void>;
}

/** Builds what is missing (cached by version) and returns the folder of binaries. */
export function controlPlaneBinaries(): string {
  const run = spawnSync('bash', [BUILD_SCRIPT], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (run.status !== 0) throw new Error(`control-plane build failed (exit ${run.status})`);
  const lines = run.stdout.trim().split('\n');
  return lines[lines.length - 1] ?? '';
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export async function startControlPlane(bin = controlPlaneBinaries()): Promise<ControlPlane> {
  const dir = mkdtempSync(join(tmpdir(), 'palisade-cp-'));
  const [etcdClient, etcdPeer, apiPort, kcmPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const token = randomBytes(24).toString('hex');
  writeFileSync(join(dir, 'tokens.csv'), `${token},palisade-admin,1,"system:masters"\n`, { mode: 0o600 });
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  writeFileSync(join(dir, 'sa.key'), privateKey.export({ type: 'pkcs1', format: 'pem' }), { mode: 0o600 });
  writeFileSync(join(dir, 'sa.pub'), publicKey.export({ type: 'spki', format: 'pem' }));
  const server = `https://127.0.0.1:${apiPort}`;
  const kubeconfig = join(dir, 'kubeconfig');
  const processes: ChildProcess[] = [];
  const logs: string[] = [];
  const launch = (name: string, args: string[]): ChildProcess => {
    const child = spawn(join(bin, name), args, { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr?.on('data', (chunk: Buffer) => {
      logs.push(`${name}: ${chunk.toString()}`);
      if (logs.length > 200) logs.shift();
    });
    processes.push(child);
    return child;
  };
  const terminate = async (child: ChildProcess): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
      }, 5000);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  };
  const stop = async (): Promise<void> => {
    for (const child of [...processes].reverse()) await terminate(child);
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    launch('etcd', [
      `--data-dir=${join(dir, 'etcd')}`,
      `--listen-client-urls=http://127.0.0.1:${etcdClient}`,
      `--advertise-client-urls=http://127.0.0.1:${etcdClient}`,
      `--listen-peer-urls=http://127.0.0.1:${etcdPeer}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeer}`,
      `--initial-cluster=default=http://127.0.0.1:${etcdPeer}`,
      '--log-level=error',
    ]);
    const apiServerArgs = [
      `--etcd-servers=http://127.0.0.1:${etcdClient}`,
      `--secure-port=${apiPort}`,
      '--bind-address=127.0.0.1',
      '--advertise-address=127.0.0.1',
      `--cert-dir=${join(dir, 'apiserver-certs')}`,
      `--token-auth-file=${join(dir, 'tokens.csv')}`,
      '--authorization-mode=RBAC',
      '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
      `--service-account-key-file=${join(dir, 'sa.pub')}`,
      `--service-account-signing-key-file=${join(dir, 'sa.key')}`,
      '--service-cluster-ip-range=10.96.0.0/16',
      '--enable-aggregator-routing=true',
      // As on real clusters: privileged containers are allowed by the API server, so admission decides.
      '--allow-privileged=true',
      // The endpoint reconciler refuses loopback addresses; the tests do not need the
      // `kubernetes` Service's endpoints.
      '--endpoint-reconciler-type=none',
    ];
    let apiServer = launch('kube-apiserver', apiServerArgs);
    writeFileSync(
      kubeconfig,
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters:',
        `- name: palisade-test\n  cluster:\n    server: ${server}\n    insecure-skip-tls-verify: true`,
        'users:',
        `- name: admin\n  user:\n    token: ${token}`,
        'contexts:',
        '- name: palisade-test\n  context:\n    cluster: palisade-test\n    user: admin',
        'current-context: palisade-test',
        '',
      ].join('\n'),
      { mode: 0o600 },
    );
    const kubectl = (args: string[], input?: string) => {
      const run = spawnSync(join(bin, 'kubectl'), [`--kubeconfig=${kubeconfig}`, ...args], { encoding: 'utf8', input, timeout: 60_000 });
      return { code: run.status, stdout: run.stdout, stderr: run.stderr };
    };
    const exited = (): string | undefined => processes.find((p) => p.exitCode !== null)?.spawnfile;
    await waitFor(() => {
      const dead = exited();
      if (dead) throw new Error(`${dead} exited during start-up\n${logs.slice(-20).join('')}`);
      return kubectl(['get', '--raw', '/readyz']).stdout.trim() === 'ok';
    }, 90_000, 'kube-apiserver /readyz', logs);
    launch('kube-controller-manager', [
      `--kubeconfig=${kubeconfig}`,
      `--authentication-kubeconfig=${kubeconfig}`,
      `--authorization-kubeconfig=${kubeconfig}`,
      `--secure-port=${kcmPort}`,
      '--bind-address=127.0.0.1',
      `--service-account-private-key-file=${join(dir, 'sa.key')}`,
      `--root-ca-file=${join(dir, 'apiserver-certs', 'apiserver.crt')}`,
      '--use-service-account-credentials=true',
      '--leader-elect=false',
      '--controllers=*',
    ]);
    const restartApiServer = async (whileDown?: () => void | Promise<void>): Promise<void> => {
      const at = processes.indexOf(apiServer);
      await terminate(apiServer);
      await whileDown?.();
      // Same place in the list, so stop() still ends it before etcd. The controller-manager stays
      // and reconnects, as it does in a cluster.
      apiServer = launch('kube-apiserver', apiServerArgs);
      processes.splice(at, 1, processes.pop() as ChildProcess);
      await waitFor(() => {
        if (apiServer.exitCode !== null) throw new Error(`kube-apiserver exited after the restart\n${logs.slice(-20).join('')}`);
        return kubectl(['get', '--raw', '/readyz']).stdout.trim() === 'ok';
      }, 90_000, 'kube-apiserver /readyz after the restart', logs);
    };
    return { kubeconfig, server, token, dir, bin, kubectl, restartApiServer, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Polls without sleeping the event loop away: each try is a child process anyway. */
export async function waitFor(check: () => boolean, timeoutMs: number, what: string, logs: string[] = []): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (check()) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n${logs.slice(-20).join('')}`);
}
