import t, { type Test } from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Socket } from 'node:net';
import { Agent, request } from 'node:https';
import { connect } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { review } from '../admission/support.js';
import { waitFor } from '../fs/wait-for.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

interface Served {
  port: number;
  ca: string;
  child: ChildProcess;
  stdout(): string;
  exited: Promise<number | null>;
}

/** `palisade serve` as its own process, as in a pod, until it says it is serving. */
async function serve(t: Test): Promise<Served> {
  const certDir = await mkdtemp(join(tmpdir(), 'palisade-shutdown-'));
  t.teardown(() => rm(certDir, { recursive: true, force: true }));
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/bin.ts', 'serve', '--host', '127.0.0.1', '--port', String(port), '--cert-dir', certDir], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  t.teardown(() => void child.kill('SIGKILL'));
  await waitFor(() => stderr.includes('serving on'), 'the server to start', 60_000);
  return { port, ca: await readFile(join(certDir, 'ca.crt'), 'utf8'), child, stdout: () => stdout, exited };
}

t.test('SIGTERM: a request in flight is answered, then the process exits 0', async (t) => {
  const { port, ca, child, stdout, exited } = await serve(t);

  // A large UPDATE, sent in two halves with SIGTERM in between: the request is truly in flight.
  const body = review('pod-privileged-label-update.json');
  (body.request.object as { metadata: { annotations: Record<string, string> } }).metadata.annotations = { pad: 'x'.repeat(2 * 1024 * 1024) };
  const payload = Buffer.from(JSON.stringify(body));
  const answer = new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/validate', method: 'POST', ca, agent: false, headers: { 'content-type': 'application/json', 'content-length': payload.length } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.write(payload.subarray(0, payload.length / 2), () => {
      child.kill('SIGTERM');
      void waitFor(() => stdout().includes('shutting down'), 'the server to start shutting down').then(() => req.end(payload.subarray(payload.length / 2)));
    });
  });
  const { status, text } = await answer;
  t.equal(status, 200, 'the request in flight was answered');
  t.match(JSON.parse(text), { response: { uid: 'uid-label-update', allowed: true } });
  t.equal(await exited, 0, 'the process exits cleanly');
  t.match(stdout(), /"msg":"stopped"/);
});

t.test('SIGTERM with connections kept alive (one that carried a request, one that never did): they are closed and the process exits 0', async (t) => {
  // As the API server holds them: without closing them, the process lived on until the kubelet
  // killed it at the end of its grace period.
  const { port, ca, child, stdout, exited } = await serve(t);
  const agent = new Agent({ keepAlive: true, ca });
  t.teardown(() => agent.destroy());
  const used = await new Promise<Socket>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/validate', method: 'POST', agent, headers: { 'content-type': 'application/json' } }, (res) => {
      res.resume();
      res.on('end', () => resolve(req.socket as Socket));
    });
    req.on('error', reject);
    req.end(JSON.stringify(review('pod-compliant-create.json')));
  });
  const unused = connect({ host: '127.0.0.1', port, ca, servername: 'localhost' });
  await new Promise<void>((resolve, reject) => unused.once('secureConnect', resolve).once('error', reject));
  const closed = (socket: Socket): Promise<void> => new Promise((resolve) => (socket.destroyed ? resolve() : socket.once('close', () => resolve())));
  t.equal(used.destroyed, false, 'the connection that carried a request is kept alive');

  child.kill('SIGTERM');
  t.equal(await exited, 0, 'the process exits cleanly');
  await closed(used);
  await closed(unused);
  t.pass('both connections were closed by the server');
  t.match(stdout(), /"msg":"stopped"/);
});
