import t, { type Test } from 'tap';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { generateKeyPairSync } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { generateCa, issueServingCert } from '../../src/certs/generate.js';
import { BUILTIN_RULES_DIR } from '../../src/paths.js';
import { startServer, type RunningServer } from '../../src/server/serve.js';
import { reviewText } from '../admission/support.js';
import { writeKubeVolume } from '../fs/kube-volume.js';
import { waitFor } from '../fs/wait-for.js';
import { post } from './https-client.js';

const fixtures = fileURLToPath(new URL('../fixtures/server/', import.meta.url));
const silent = pino({ level: 'silent' });

async function tempDir(t: Test): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'palisade-serve-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}


async function start(t: Test, extra: { configFile?: string; ruleDirs?: string[]; certDir?: string } = {}): Promise<RunningServer> {
  const dir = extra.certDir ?? (await tempDir(t));
  const server = await startServer({
    host: '127.0.0.1',
    port: 0,
    certDir: dir,
    generateCerts: true,
    sources: { ruleDirs: extra.ruleDirs ?? [BUILTIN_RULES_DIR], ...(extra.configFile ? { configFile: extra.configFile } : {}) },
    log: silent,
    processMetrics: false,
  });
  t.teardown(() => server.close());
  return server;
}

t.test('real HTTPS: a generated certificate verifies from ca.crt for 127.0.0.1 and localhost', async (t) => {
  const certDir = await tempDir(t);
  const server = await start(t, { certDir });
  const ca = await readFile(join(certDir, 'ca.crt'), 'utf8');
  const denied = await post(server.url, ca, reviewText('pod-privileged-create.json'));
  t.equal(denied.status, 200);
  t.match(JSON.parse(denied.body), { response: { uid: 'uid-privileged', allowed: false, status: { code: 403 } } });
  const byName = await post(`https://localhost:${server.port}`, ca, reviewText('pod-compliant-create.json'));
  t.equal(byName.status, 200, 'localhost is a SAN too');
  const otherCa = generateCa().certPem;
  await t.rejects(post(server.url, otherCa, reviewText('pod-compliant-create.json')), 'a client trusting another CA refuses the server');
  t.equal((await readFile(join(certDir, 'tls.key'))).length > 0, true);
});

t.test('a broken rule is refused at reload: the last good set keeps serving, /readyz and metrics say why', async (t) => {
  const rules = await tempDir(t);
  await mkdir(join(rules, 'require-team-label'));
  await copyFile(join(fixtures, 'require-team-label.yaml'), join(rules, 'require-team-label', 'require-team-label.yaml'));
  const certDir = await tempDir(t);
  const server = await start(t, { ruleDirs: [rules], certDir });
  const ca = await readFile(join(certDir, 'ca.crt'), 'utf8');
  t.equal(server.policy.current()?.generation, 1);
  const before = JSON.parse((await post(server.url, ca, reviewText('pod-compliant-create.json'))).body) as { response: { warnings?: string[] } };
  t.match(before.response.warnings?.join('\n'), /require-team-label/);

  await copyFile(join(fixtures, 'require-team-label-broken.yaml'), join(rules, 'require-team-label', 'require-team-label.yaml'));
  await waitFor(() => server.policy.lastError() !== undefined, 'the broken rule to be refused');
  t.match(server.policy.lastError()?.message, /require-team-label\.yaml:\d+: spec\.validations\[0\]\.expression/);
  t.equal(server.policy.current()?.generation, 1, 'the last good set is still served');
  const during = JSON.parse((await post(server.url, ca, reviewText('pod-compliant-create.json'))).body) as { response: { warnings?: string[] } };
  t.match(during.response.warnings?.join('\n'), /require-team-label/, 'and still answers with it');
  const ready = await server.app.inject({ method: 'GET', url: '/readyz' });
  t.match(ready.json(), { ready: true, checks: { rules: { ok: true, detail: /require-team-label\.yaml:\d+/ } } });
  t.match((await server.app.inject({ method: 'GET', url: '/metrics' })).body, /palisade_ruleset_load_success 0/);

  await copyFile(join(fixtures, 'require-team-label.yaml'), join(rules, 'require-team-label', 'require-team-label.yaml'));
  await waitFor(() => server.policy.current()?.generation === 2, 'the fixed rule to load');
  t.equal(server.policy.lastError(), undefined);
  t.match((await server.app.inject({ method: 'GET', url: '/metrics' })).body, /palisade_ruleset_load_success 1/);
});

t.test('the built-in rules are not watched (they change only with a new version); rule folders and the config file are', async (t) => {
  const rules = await tempDir(t);
  const dir = await tempDir(t);
  const configFile = join(dir, 'palisade.yaml');
  await writeFile(configFile, 'apiVersion: palisade.dev/v1alpha1\nkind: Configuration\n');
  const server = await start(t, { ruleDirs: [BUILTIN_RULES_DIR, rules], configFile });
  t.same(server.policyReloader.watched(), [rules, configFile]);
  t.ok(server.policy.current()?.ruleSet.rules.some((r) => r.meta.id === 'disallow-privileged'), 'the built-in rules are served all the same');
});

t.test('the config file is reloaded on change', async (t) => {
  const dir = await tempDir(t);
  const configFile = join(dir, 'palisade.yaml');
  await writeFile(configFile, 'apiVersion: palisade.dev/v1alpha1\nkind: Configuration\nnamespaces:\n  modes: { team-a: dry-run }\n');
  const certDir = await tempDir(t);
  const server = await start(t, { configFile, certDir });
  const ca = await readFile(join(certDir, 'ca.crt'), 'utf8');
  const relaxed = JSON.parse((await post(server.url, ca, reviewText('pod-privileged-create.json'))).body) as { response: { allowed: boolean } };
  t.equal(relaxed.response.allowed, true, 'team-a runs in dry-run');
  await writeFile(configFile, 'apiVersion: palisade.dev/v1alpha1\nkind: Configuration\nnamespaces:\n  modes: { team-a: enforce }\n');
  await waitFor(() => server.policy.current()?.generation === 2, 'the new configuration');
  const strict = JSON.parse((await post(server.url, ca, reviewText('pod-privileged-create.json'))).body) as { response: { allowed: boolean } };
  t.equal(strict.response.allowed, false);
  await writeFile(configFile, 'apiVersion: palisade.dev/v1alpha1\nkind: Configuration\ndefaultmode: enforce\n');
  await waitFor(() => server.policy.lastError() !== undefined, 'the typo to be refused');
  t.match(server.policy.lastError()?.message, /palisade\.yaml:3/);
});

t.test('files the configuration names are watched: a key rotated in a mounted ConfigMap, a key file that appears later', async (t) => {
  const dir = await tempDir(t);
  const keys = join(dir, 'keys');
  await mkdir(keys);
  const publicKey = () => generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
  await writeKubeVolume(keys, { 'cosign.pub': publicKey() });
  const configFile = join(dir, 'palisade.yaml');
  const config = (key: string) =>
    `apiVersion: palisade.dev/v1alpha1\nkind: Configuration\nimages:\n  verify:\n    - name: release\n      images: ["registry.example.com/*"]\n      keys: [${key}]\n`;
  await writeFile(configFile, config('keys/cosign.pub'));
  const server = await start(t, { configFile });
  const first = server.policy.current()?.images?.verifier;
  t.ok(first, 'a verifier is served');

  await writeKubeVolume(keys, { 'cosign.pub': publicKey() });
  await waitFor(() => server.policy.current()?.generation === 2, 'the rotated key to load');
  t.not(server.policy.current()?.images?.verifier, first, 'a new verifier, with the new key');

  await writeKubeVolume(keys, { 'cosign.pub': 'not a key' });
  await waitFor(() => server.policy.lastError() !== undefined, 'the broken key to be refused');
  t.match(server.policy.lastError()?.message, /palisade\.yaml:7: images\.verify\[0\]\.keys\[0\]/, 'at the line naming it');
  t.equal(server.policy.current()?.generation, 2, 'the last good set is still served');

  await writeFile(configFile, config('keys/next.pub'));
  await waitFor(() => /next\.pub/.test(server.policy.lastError()?.message ?? ''), 'the missing key file to be refused');
  await writeFile(join(keys, 'next.pub'), publicKey());
  await waitFor(() => server.policy.current()?.generation === 3, 'the key file, once it exists, to load');
  t.equal(server.policy.lastError(), undefined);
});

t.test('certificate rotation under load: no failed request, new connections get the new certificate', async (t) => {
  const certDir = await tempDir(t);
  const ca = generateCa();
  const issue = () => issueServingCert(ca, {});
  const first = issue();
  await writeKubeVolume(certDir, { 'ca.crt': ca.certPem, 'tls.crt': first.certPem, 'tls.key': first.keyPem });
  const server = await start(t, { certDir });
  const payload = reviewText('pod-compliant-create.json');
  const serials = new Set<string>();
  let failures = 0;
  let done = 0;
  let stop = false;
  const client = async (): Promise<void> => {
    while (!stop) {
      try {
        const answer = await post(server.url, ca.certPem, payload);
        if (answer.status !== 200) failures++;
        serials.add(answer.serial);
        done++;
      } catch {
        failures++;
      }
    }
  };
  const clients = Array.from({ length: 4 }, client);
  for (let i = 0; i < 3; i++) {
    const next = issue();
    await writeKubeVolume(certDir, { 'ca.crt': ca.certPem, 'tls.crt': next.certPem, 'tls.key': next.keyPem });
    const wanted = (await import('node:crypto')).X509Certificate;
    const serial = new wanted(next.certPem).serialNumber;
    await waitFor(() => serials.has(serial), `clients to see certificate ${serial}`);
  }
  stop = true;
  await Promise.all(clients);
  t.equal(failures, 0, `no failed request out of ${done}`);
  t.ok(serials.size >= 4, `clients saw ${serials.size} certificates`);
});
