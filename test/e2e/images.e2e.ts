/**
 * Signed images end to end, all with real parts: a real OCI registry (crane registry serve),
 * images pushed by crane and signed by the real cosign CLI or, keylessly, by a private Sigstore
 * instance (registry/harness.ts), verified by
 * Palisade's verifier, by `palisade scan --verify-images`, by `palisade serve` called by a real
 * kube-apiserver at `kubectl apply`, and by `palisade audit` of what the API server stored.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { readPublicKey } from '../../src/images/cosign.js';
import { compileIdentities, readTrustedRoot } from '../../src/images/sigstore.js';
import { RegistryClient } from '../../src/images/registry-client.js';
import { ImageVerifier, type VerifyPolicy } from '../../src/images/verifier.js';
import { freePort, startControlPlane, waitFor } from './control-plane/harness.js';
import { startRegistry } from './registry/harness.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const registry = await startRegistry();
const work = mkdtempSync(join(tmpdir(), 'palisade-images-e2e-'));
t.teardown(async () => {
  await registry.stop();
  rmSync(work, { recursive: true, force: true });
});
const { images, host } = registry;
const trusted = readPublicKey('trusted.pub', readFileSync(registry.trustedKey, 'utf8'));
const policy = (failurePolicy: 'Fail' | 'Ignore' = 'Fail'): VerifyPolicy => ({ name: 'test', images: [`${host}/palisade-test/*`], keys: [trusted], failurePolicy });
const client = (): RegistryClient => new RegistryClient({ registries: (h) => (h === host ? { insecure: true } : undefined) });
const deadline = (): AbortSignal => AbortSignal.timeout(10_000);

/** The configuration's images section for this registry: its key trusted, plain HTTP, and deny entries. */
function imagesSection(deny: string[] = []): string[] {
  return [
    'images:',
    '  verify:',
    '    - name: test',
    `      images: ["${host}/palisade-test/*"]`,
    `      keys: ["${registry.trustedKey}"]`,
    '      keyless:',
    `        trustedRoot: "${registry.trustedRoot}"`,
    `        identities: [{issuer: "${registry.keylessIdentity.issuer}", subjectRegExp: 'https://github\\.com/example/.*'}]`,
    ...(deny.length > 0 ? ['  deny:', ...deny] : []),
    '  registries:',
    `    - host: "${host}"`,
    '      insecure: true',
  ];
}

t.test('the verifier: each kind of image gets the verdict and the reason a user needs', async (t) => {
  const verifier = new ImageVerifier({ client: client(), policies: [policy()] });
  const status = (ref: string) => verifier.status(ref, deadline());
  t.match(await status(images.signed.ref), { verified: true, digest: images.signed.digest, detail: 'signed with the key trusted.pub' });
  t.match(await status(`${host}/palisade-test/signed@${images.signed.digest}`), { verified: true }, 'by digest too');
  t.match(await status(images.unsigned.ref), { verified: false, digest: images.unsigned.digest, detail: 'no cosign signature found' });
  t.match(await status(images.otherKey.ref), { verified: false, detail: 'a signature found, none verified by a trusted key' });
  t.match(await status(images.tampered.ref), { verified: false, detail: 'a signature found, none verified by a trusted key' });
  t.match(await status(images.swapped.ref), { verified: false, detail: 'a trusted signer signed another image, not this digest' });
  t.match(await status(images.multi.ref), { verified: true, digest: images.multi.digest }, 'a multi-arch index: its own digest is what is signed');
  t.match(await status(images.bundled.ref), { verified: true, digest: images.bundled.digest, detail: 'signed with the key trusted.pub' }, 'a Sigstore bundle referrer (cosign --new-bundle-format)');
  t.match(await status('registry.example.com/elsewhere:1'), { verified: false, detail: 'no trusted key is configured for registry.example.com/elsewhere' });
  t.match(await status('Not A Reference'), { verified: false, detail: /must be lower-case/ });
});

t.test('keyless signatures, verified offline against a trust root: the .sig layer and the bundle referrer', async (t) => {
  const { identities, trustedRootFile } = { identities: [registry.keylessIdentity], trustedRootFile: 'trusted_root.json' };
  const keyless = { trustedRootFile, trust: readTrustedRoot(readFileSync(registry.trustedRoot, 'utf8')), identities: compileIdentities(identities), transparencyLog: true, ctLog: true };
  const verifier = new ImageVerifier({ client: client(), policies: [{ ...policy(), keys: [], keyless }] });
  const status = (ref: string) => verifier.status(ref, deadline());
  const signedBy = `signed keylessly by ${registry.keylessIdentity.subject} (issuer ${registry.keylessIdentity.issuer})`;
  t.match(await status(images.keyless.ref), { verified: true, digest: images.keyless.digest, detail: signedBy }, "cosign's default .sig format");
  t.match(await status(images.keylessBundle.ref), { verified: true, digest: images.keylessBundle.digest, detail: signedBy }, 'a Sigstore bundle referrer');
  t.match(await status(images.keylessStranger.ref), { verified: false, detail: /^signed keylessly by https:\/\/github\.com\/stranger\/.*, not a trusted identity$/ });
  t.match(await status(images.signed.ref), { verified: false, detail: /none verified by a trusted key/ }, 'a key signature, and no key trusted');
  const withKeys = new ImageVerifier({ client: client(), policies: [{ ...policy(), keyless }] });
  t.match(await withKeys.status(images.signed.ref, deadline()), { verified: true }, 'keys and keyless identities together: either counts');
  t.match(await withKeys.status(images.keyless.ref, deadline()), { verified: true });
});

t.test('the deny list: by digest behind a tag, by repository, by tag pattern', async (t) => {
  const verifier = new ImageVerifier({
    client: client(),
    policies: [policy()],
    deny: [
      { digest: images.signed.digest, reason: 'CVE-2026-0001' },
      { repository: `${host}/palisade-test/other-*`, reason: 'typo-squatted' },
      { repository: `${host}/palisade-test/unsigned`, tag: '1.*', reason: 'withdrawn release' },
    ],
  });
  t.match(await verifier.status(images.signed.ref, deadline()), { verified: true, denied: 'CVE-2026-0001' }, 'the tag resolved to a denied digest');
  t.match(await verifier.status(images.otherKey.ref, deadline()), { denied: 'typo-squatted' });
  t.match(await verifier.status(images.unsigned.ref, deadline()), { denied: 'withdrawn release' });
  t.notOk('denied' in (await verifier.status(images.multi.ref, deadline())));
});

t.test('palisade scan --verify-images: the real registry decides require-signed-images', async (t) => {
  writeFileSync(join(work, 'palisade.yaml'), imagesSection([`    - repository: "${host}/palisade-test/tampered"`, '      reason: known bad']).join('\n'));
  const pod = (name: string, image: string): string => `apiVersion: v1\nkind: Pod\nmetadata: {name: ${name}}\nspec:\n  containers:\n    - {name: app, image: "${image}"}\n---\n`;
  const pods = [pod('good', images.signed.ref), pod('multi', images.multi.ref), pod('bundled', images.bundled.ref), pod('keyless', images.keyless.ref), pod('keyless-bundle', images.keylessBundle.ref)];
  writeFileSync(join(work, 'pods.yaml'), [...pods, pod('bad', images.unsigned.ref), pod('worse', images.tampered.ref), pod('stranger', images.keylessStranger.ref)].join(''));
  const run = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/bin.ts'), 'scan', '--verify-images', join(work, 'palisade.yaml'), '--format', 'json', '--exit-zero', join(work, 'pods.yaml')], { cwd: ROOT, encoding: 'utf8' });
  t.equal(run.status, 0, run.stderr);
  const report = JSON.parse(run.stdout) as { results: { resource: { name: string }; findings: { ruleId: string; message: string }[] }[] };
  const rulesOf = (name: string): string[] => (report.results.find((r) => r.resource.name === name)?.findings ?? []).map((f) => f.ruleId).filter((id) => id === 'require-signed-images' || id === 'deny-known-bad-images');
  for (const name of ['good', 'multi', 'bundled', 'keyless', 'keyless-bundle']) t.same(rulesOf(name), [], `${name}: verified`);
  t.same(rulesOf('stranger'), ['require-signed-images'], 'signed keylessly by an identity not trusted');
  t.same(rulesOf('bad'), ['require-signed-images']);
  t.same(rulesOf('worse').sort(), ['deny-known-bad-images', 'require-signed-images']);
  const message = report.results.find((r) => r.resource.name === 'bad')?.findings.find((f) => f.ruleId === 'require-signed-images')?.message ?? '';
  t.match(message, `"${images.unsigned.ref}" (no cosign signature found: no .sig tag, no Sigstore bundle)`);
});

t.test('kubectl apply through the real API server: unsigned images are refused, signed ones stored pinned to their digest', async (t) => {
  const plane = await startControlPlane();
  t.teardown(() => plane.stop());
  const configFile = join(work, 'serve.yaml');
  writeFileSync(configFile, [
    // Only the image rules: a plain test Pod must not meet the other enforced rules.
    'disabledCategories: [pod-security, workloads, rbac, secrets, network]',
    'rules:',
    '  require-signed-images: {mode: enforce}',
    ...imagesSection(),
  ].join('\n'));
  const port = await freePort();
  const palisade = spawn(process.execPath, [
    '--import', 'tsx', join(ROOT, 'src/cli/bin.ts'), 'serve',
    '--host', '127.0.0.1', '--port', String(port), '--cert-dir', join(work, 'certs'), '--config', configFile, '--namespace', 'palisade-system',
    '--kubeconfig', plane.kubeconfig, '--reconcile-webhooks', '--webhook-url', `https://127.0.0.1:${port}`, '--log-level', 'warn',
  ], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  palisade.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  t.teardown(() => void palisade.kill('SIGKILL'));
  await waitFor(() => {
    if (palisade.exitCode !== null) throw new Error(`palisade serve exited: ${stderr}`);
    return stderr.includes('serving on');
  }, 120_000, 'palisade serve to start');
  plane.kubectl(['create', 'namespace', 'apps']);
  const pod = (name: string, image: string): string => `apiVersion: v1\nkind: Pod\nmetadata: {name: ${name}, namespace: apps}\nspec:\n  containers:\n    - {name: app, image: "${image}"}\n`;
  // The webhook configuration takes a moment to reach the API server's admission chain.
  await waitFor(() => {
    const probe = plane.kubectl(['apply', '--dry-run=server', '-f', '-'], pod('probe', images.unsigned.ref));
    return probe.code !== 0 && probe.stderr.includes('require-signed-images');
  }, 60_000, 'Palisade to be called by the API server');

  const refused = plane.kubectl(['apply', '-f', '-'], pod('unsigned', images.unsigned.ref));
  t.not(refused.code, 0);
  t.match(refused.stderr, 'require-signed-images');
  t.match(refused.stderr, `"${images.unsigned.ref}" (no cosign signature found: no .sig tag, no Sigstore bundle)`);
  const tampered = plane.kubectl(['apply', '-f', '-'], pod('tampered', images.tampered.ref));
  t.match(tampered.stderr, 'none verified by a trusted key');

  const stored = plane.kubectl(['apply', '-f', '-'], pod('signed', images.signed.ref));
  t.equal(stored.code, 0, stored.stderr);
  t.equal(plane.kubectl(['get', 'pod', 'signed', '-n', 'apps', '-o', 'jsonpath={.spec.containers[0].image}']).stdout, `${images.signed.ref}@${images.signed.digest}`, 'pinned to the verified digest at /mutate');

  // Later, its digest turns out bad: the audit of what already runs says so, through the registry.
  const auditConfig = join(work, 'audit.yaml');
  writeFileSync(auditConfig, imagesSection([`    - digest: "${images.signed.digest}"`, '      reason: CVE-2026-0003 (found after deployment)']).join('\n'));
  const audit = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/bin.ts'), 'audit', '--kubeconfig', plane.kubeconfig, '--config', auditConfig, '--namespace', 'apps', '--format', 'json', '--exit-zero'], { cwd: ROOT, encoding: 'utf8' });
  t.equal(audit.status, 0, audit.stderr);
  const entries = (JSON.parse(audit.stdout) as { entries: { owner: { name: string }; findings: { ruleId: string; message: string }[] }[] }).entries;
  const findings = entries.find((e) => e.owner.name === 'signed')?.findings ?? [];
  t.notOk(findings.some((f) => f.ruleId === 'require-signed-images'), 'the audit verifies the stored image as admission did');
  t.match(findings.find((f) => f.ruleId === 'deny-known-bad-images')?.message, 'CVE-2026-0003 (found after deployment)');
});

t.test('the registry goes down: cached verdicts still answer; new images follow the failure policy', async (t) => {
  const failing = new ImageVerifier({ client: client(), policies: [policy('Fail')] });
  const lenient = new ImageVerifier({ client: client(), policies: [policy('Ignore')] });
  t.match(await failing.status(images.signed.ref, deadline()), { verified: true }, 'warm the cache');
  await registry.kill();
  t.match(await failing.status(images.signed.ref, deadline()), { verified: true }, 'from the cache');
  const down = await failing.status(images.multi.ref, deadline());
  t.match(down, { verified: false, detail: /could not be verified: the registry could not be read: .*ECONNREFUSED/ });
  t.notOk(down.ignored);
  t.match(await lenient.status(images.multi.ref, deadline()), { verified: false, ignored: true, detail: /let through by the failurePolicy Ignore of test/ });
});
