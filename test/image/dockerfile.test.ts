/**
 * The container image, checked without Docker (there is no Docker engine where the tests run):
 *
 * - the build context .dockerignore lets through holds every file the Dockerfile copies, and none
 *   of what must never ship (keys, tests, local builds, caches, the git history);
 * - the Dockerfile is multi-stage, ships production dependencies only, runs as a numeric non-root
 *   user on a distroless runtime, and states its version;
 * - the entrypoint runs from the built output laid out as the image lays it out (/app: package.json,
 *   node_modules, dist, rules, standards, crds): the compiled `palisade serve` with the image's CMD
 *   starts and answers /healthz over TLS.
 */
import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { request } from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
const ignore = readFileSync(join(ROOT, '.dockerignore'), 'utf8')
  .split('\n')
  .map((line) => line.trim())
  .filter((line) => line !== '' && !line.startsWith('#'));

/** Docker's rule: the last pattern matching the path or one of its parents decides. */
function inContext(path: string): boolean {
  let included = true;
  for (const line of ignore) {
    const negated = line.startsWith('!');
    const pattern = (negated ? line.slice(1) : line).replace(/\/$/, '').split('/');
    const segments = path.split('/');
    const matches = pattern.length <= segments.length && pattern.every((p, i) => p === '*' || p === segments[i]);
    if (matches) included = negated;
  }
  return included;
}

/** Sources of `COPY` lines that read the build context (not `--from=` another stage). */
const copied = [...dockerfile.matchAll(/^COPY\s+(?!--from)(.+)$/gm)].flatMap((m) => {
  const parts = (m[1] ?? '').trim().split(/\s+/);
  return parts.slice(0, -1);
});

t.test('the build context holds what the Dockerfile copies and nothing that must not ship', async (t) => {
  t.ok(copied.length >= 5, `COPY sources: ${copied.join(', ')}`);
  for (const source of copied) t.ok(inContext(source.replace(/\/$/, '')), `${source} is in the build context`);
  for (const path of ['src/cli/bin.ts', 'rules/pod-security/disallow-privileged/disallow-privileged.yaml', 'standards/kubernetes-version.json', 'crds/rules.palisade.dev.yaml']) {
    t.ok(inContext(path), `${path} reaches the build`);
  }
  for (const path of ['certs/tls.key', 'certs/ca.key', 'test/e2e/admission.e2e.ts', 'node_modules/fastify/package.json', 'dist/cli/bin.js', '.git/config', '.tools/node24', 'scratch/x', 'charts/palisade/values.yaml', '.env']) {
    t.notOk(inContext(path), `${path} stays out of the build context`);
  }
});

t.test('multi-stage, production dependencies only, numeric non-root user, distroless, versioned', async (t) => {
  const stages = [...dockerfile.matchAll(/^FROM\s+(\S+)(?:\s+AS\s+(\S+))?/gim)].map((m) => m[1]);
  t.equal(stages.length, 2, 'a build stage and a runtime stage');
  t.match(stages.at(-1), /^gcr\.io\/distroless\/nodejs\$\{NODE_MAJOR\}-debian\d+:nonroot$/, 'the runtime has no shell or package manager');
  t.match(dockerfile, /npm prune --omit=dev/, 'dev dependencies are pruned before node_modules is copied');
  t.match(dockerfile, /^USER 65532:65532$/m, 'a numeric user, so runAsNonRoot can be verified');
  t.match(dockerfile, /org\.opencontainers\.image\.version="\$\{VERSION\}"/, 'the image states its version');
  t.match(dockerfile, /^ENTRYPOINT \["\/nodejs\/bin\/node", "\/app\/dist\/cli\/bin\.js"\]$/m);
});

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

t.test('the entrypoint runs from the built output, laid out as in the image', async (t) => {
  const app = mkdtempSync(join(tmpdir(), 'palisade-image-'));
  t.teardown(() => rmSync(app, { recursive: true, force: true }));
  const tsc = spawnSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(ROOT, 'tsconfig.build.json'), '--outDir', join(app, 'dist')], { encoding: 'utf8' });
  t.equal(tsc.status, 0, `the build stage's compile succeeds ${tsc.stdout}${tsc.stderr}`);
  cpSync(join(ROOT, 'package.json'), join(app, 'package.json'));
  for (const dir of ['node_modules', 'rules', 'standards', 'crds']) symlinkSync(join(ROOT, dir), join(app, dir));

  const cmd = JSON.parse(/^CMD (\[.*\])$/m.exec(dockerfile)?.[1] ?? '[]') as string[];
  t.same(cmd.slice(0, 1), ['serve'], 'the image serves the webhook by default');
  const certDir = join(app, 'tmp-certs');
  const args = cmd.map((arg) => (arg === '/tmp/certs' ? certDir : arg));
  const port = await freePort();
  const child = spawn(process.execPath, [join(app, 'dist/cli/bin.js'), ...args, '--host', '127.0.0.1', '--port', String(port)], { cwd: app, stdio: ['ignore', 'ignore', 'pipe'] });
  t.teardown(() => void child.kill('SIGKILL'));
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  for (let i = 0; !stderr.includes('serving on'); i++) {
    if (child.exitCode !== null || i > 300) throw new Error(`the entrypoint did not start: ${stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  t.match(stderr, /rules: 51\)/, 'with the built-in rules it ships');
  const ca = readFileSync(join(certDir, 'ca.crt'), 'utf8');
  const status = await new Promise<number | undefined>((resolve, reject) => {
    request({ host: '127.0.0.1', port, path: '/healthz', ca, servername: 'localhost' }, (res) => {
      res.resume();
      resolve(res.statusCode);
    }).on('error', reject).end();
  });
  t.equal(status, 200, '/healthz answers over TLS verified by the generated CA');
});
