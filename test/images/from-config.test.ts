/**
 * The configuration's `images` section read into a verifier: keys (ECDSA and Ed25519 PEM), deny
 * entries inline and from files, registry CAs and docker credentials; every file that cannot be read or is not what it should be
 * is a problem naming the configuration line (or the deny-list file's own line), and then there is
 * no verifier. Fixtures: test/fixtures/images/config/.
 */
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { loadConfigFile } from '../../src/config/load.js';
import { parseDockerConfig, verifierFromConfig } from '../../src/images/from-config.js';
import { parseReference } from '../../src/images/reference.js';

const dir = fileURLToPath(new URL('../fixtures/images/config/', import.meta.url));

t.test('a complete images section gives a verifier', async (t) => {
  const load = await loadConfigFile(`${dir}good.yaml`);
  t.same(load.problems, []);
  const images = load.config?.images;
  t.ok(images);
  if (!images) return;
  t.match(images, { timeoutSeconds: 5, tagTtlSeconds: 300, digestTtlSeconds: 3600 });
  t.equal(images.verify[1]?.failurePolicy, 'Ignore');
  t.equal(images.verify[0]?.failurePolicy, 'Fail', 'Fail unless the file says otherwise');
  const setup = await verifierFromConfig(images);
  t.same(setup.problems, []);
  t.equal(setup.timeoutMs, 5_000);
  const verifier = setup.verifier;
  t.ok(verifier);
  t.equal(verifier?.policyFor(parseReference('registry.example.com/team/app:1'))?.name, 'release');
  t.equal(verifier?.policyFor(parseReference('registry.example.com/batch/job:1'))?.name, 'release', 'the first matching policy wins');
  t.equal(verifier?.policyFor(parseReference('nginx')), undefined);
  t.match(verifier?.policyFor(parseReference('ghcr.io/example/app:v1')), { name: 'ci', keys: [], keyless: { trustedRootFile: `${dir}trusted_root.json`, transparencyLog: true, ctLog: true } }, 'keyless: the transparency log and CT log required unless said otherwise');
  // Deny entries from the file and inline, without a registry call (no digest entry needed for these).
  const controller = new AbortController();
  controller.abort();
  t.match(await verifier?.status('docker.io/librray/nginx:1', controller.signal), { denied: 'typo-squatted' });
});

t.test('files that cannot be read or are not what they should be: problems at the lines that name them', async (t) => {
  const load = await loadConfigFile(`${dir}bad.yaml`);
  t.same(load.problems, []);
  const images = load.config?.images;
  if (!images) return t.fail('no images section');
  const setup = await verifierFromConfig(images);
  t.equal(setup.verifier, undefined);
  const shown = setup.problems.map((p) => `${p.file.replace(dir, '')}:${p.line} ${p.field} ${p.message.replaceAll(dir, '')}`);
  t.match(shown, [
    /^bad.yaml:8 images.verify\[0\].keys\[0\] cannot read missing.pub: no such file$/,
    /^bad.yaml:9 images.verify\[0\].keys\[1\] not-a-key.pub: not a PEM public key/,
    /^bad.yaml:16 images.verify\[1\].keyless.identities\[1\].subjectRegExp not an RE2 regular expression: /,
    /^bad.yaml:13 images.verify\[1\].keyless.trustedRoot release.pub is not a Sigstore trusted root \(trusted_root.json\): /,
    'bad-deny-list.yaml:1 [0] must name a digest, repository or tag besides the reason',
    'bad-deny-list.yaml:1 [0].reason is required',
    /^bad-deny-list.yaml:2 \[1\].digest must match/,
    /^bad.yaml:20 images.registries\[0\].ca cannot read missing-ca.pem: no such file$/,
  ]);
});

t.test('a schema error in the section is reported like any configuration problem', async (t) => {
  const { parseConfig } = await import('../../src/config/load.js');
  const parsed = parseConfig('images:\n  verify:\n    - name: x\n      images: []\n      keys: [a.pub]\n      failurePolicy: Sometimes\n  timeoutSeconds: 90\n', 'palisade.yaml');
  t.match(parsed.problems.map((p) => `${p.line} ${p.field} ${p.message}`), [
    '4 images.verify[0].images must not be empty',
    /^6 images.verify\[0\].failurePolicy must be one of: Fail, Ignore/,
    /^7 images.timeoutSeconds must be <= 30|^7 images.timeoutSeconds/,
  ]);
  const keyless = parseConfig('images:\n  verify:\n    - name: x\n      images: [a]\n    - name: y\n      images: [b]\n      keyless:\n        trustedRoot: root.json\n        identities: [{issuer: https://issuer.example}]\n', 'palisade.yaml');
  t.match(keyless.problems.map((p) => `${p.line} ${p.field} ${p.message}`), [
    /^3 images.verify\[0\] /,
    /^9 images.verify\[1\].keyless.identities\[0\] /,
  ], 'nothing trusted; an identity without a subject (never any subject of an issuer by omission)');
});

t.test('docker config: auth and username/password entries; Docker Hub by its old index URL', async (t) => {
  const credentials = parseDockerConfig('{"auths":{"registry.example.com":{"auth":"cm9ib3Q6cDpzcw=="},"https://index.docker.io/v1/":{"username":"me","password":"pw"},"broken.example.com":{"auth":"bm8tY29sb24="}}}');
  t.same(Object.fromEntries(credentials), { 'registry.example.com': { username: 'robot', password: 'p:ss' }, 'docker.io': { username: 'me', password: 'pw' } });
});
