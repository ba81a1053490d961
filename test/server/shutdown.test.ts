import t from 'tap';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { request } from 'node:https';
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

t.test('SIGTERM: a request in flight is answered, then the process exits 0', async (t) => {
  const certDir = await mkdtemp(join(tmpdir(), 'palisade-shutdown-'));
  t.teardown(() => rm(certDir, { recursive: true, force: true }));
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/bin.ts', 'serve', '--host', '127.0.0.1', '--port', String(port), '--cert-dir', certDir], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  t.teardown(() => void child.kill('SIGKILL'));
  await waitFor(() => stderr.includes('serving on'), 'the server to start', 60_000);
  const ca = await readFile(join(certDir, 'ca.crt'), 'utf8');

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
      void waitFor(() => stdout.includes('shutting down'), 'the server to start shutting down').then(() => req.end(payload.subarray(payload.length / 2)));
    });
  });
  const { status, text } = await answer;
  t.equal(status, 200, 'the request in flight was answered');
  t.match(JSON.parse(text), { response: { uid: 'uid-label-update', allowed: true } });
  t.equal(await exited, 0, 'the process exits cleanly');
  t.match(stdout, /"msg":"stopped"/);
});
