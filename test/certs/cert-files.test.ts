/**
 * The certificate directory: written with private keys 0600 and no temporary files left behind,
 * read back verified, each kind of bad directory refused with the file to look at, and
 * ensureCertDir generating only where there is nothing, never over something broken.
 */
import t from 'tap';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ensureCertDir, readCertDir, writeCertDir } from '../../src/certs/cert-files.js';
import { generateCertBundle, issueServingCert } from '../../src/certs/generate.js';
import { CertFileError } from '../../src/certs/verify-pair.js';

const { ca, serving } = generateCertBundle();
const other = generateCertBundle();
const good = { caPem: ca.certPem, certPem: serving.certPem, keyPem: serving.keyPem };

const mode = async (path: string): Promise<number> => (await stat(path)).mode & 0o777;

t.test('written: keys 0600, certificates 0644, nothing else', async (t) => {
  const dir = join(t.testdir({}), 'certs');
  const written = await writeCertDir(dir, { ...good, caKeyPem: ca.keyPem });
  t.same(written.map((p) => p.slice(dir.length + 1)), ['ca.key', 'ca.crt', 'tls.key', 'tls.crt'], 'tls.crt last');
  t.equal(await mode(join(dir, 'tls.key')), 0o600);
  t.equal(await mode(join(dir, 'ca.key')), 0o600);
  t.equal(await mode(join(dir, 'tls.crt')), 0o644);
  t.equal(await mode(dir), 0o700);
  t.same((await readdir(dir)).sort(), ['ca.crt', 'ca.key', 'tls.crt', 'tls.key'], 'no temporary files left');
  t.equal(await readFile(join(dir, 'tls.key'), 'utf8'), serving.keyPem);
  const rewritten = await writeCertDir(dir, good);
  t.equal(rewritten.length, 3, 'ca.key only when given');
  t.equal(await mode(join(dir, 'tls.key')), 0o600, 'still 0600 after a replace');
});

t.test('read back and verified', async (t) => {
  const dir = t.testdir({});
  await writeCertDir(dir, good);
  const loaded = await readCertDir(dir);
  t.equal(loaded.certPem, serving.certPem);
  t.match(loaded.serialNumber, /^[0-9A-F]{32}$/);
  t.ok(loaded.notAfter.getTime() > Date.now() + 360 * 24 * 3600 * 1000);
  t.match(loaded.subjectAltName, /DNS:localhost/);
});

t.test('each bad directory is refused, naming the file', async (t) => {
  const cases: [string, Record<string, string>, RegExp, string][] = [
    ['no key', { 'ca.crt': ca.certPem, 'tls.crt': serving.certPem }, /tls\.key not found/, 'tls.key'],
    ['no CA', { 'tls.crt': serving.certPem, 'tls.key': serving.keyPem }, /ca\.crt not found/, 'ca.crt'],
    ['half a certificate', { ...files(good), 'tls.crt': serving.certPem.slice(0, 500) }, /tls\.crt holds no PEM certificate/, 'tls.crt'],
    ['garbage key', { ...files(good), 'tls.key': 'not a key' }, /tls\.key holds no valid private key/, 'tls.key'],
    ['key of another certificate', { ...files(good), 'tls.key': other.serving.keyPem }, /tls\.key is not the key of the certificate in .*tls\.crt/, 'tls.key'],
    ['signed by another CA', { ...files(good), 'ca.crt': other.ca.certPem }, /tls\.crt.* is not signed by the CA in .*ca\.crt/, 'tls.crt'],
  ];
  for (const [name, contents, message, file] of cases) {
    const dir = t.testdir(contents);
    const error = await readCertDir(dir).catch((e: unknown) => e);
    t.type(error, CertFileError, name);
    t.match(error, { message, file: join(dir, file) }, name);
  }
});

t.test('expired certificates are refused', async (t) => {
  const dir = t.testdir(files(good));
  await t.rejects(readCertDir(dir, new Date(Date.now() + 400 * 24 * 3600 * 1000)), /tls\.crt expired at \d{4}-/);
});

t.test('ensureCertDir: an error without generation, a certificate with it, the same one after', async (t) => {
  const dir = join(t.testdir({}), 'certs');
  await t.rejects(ensureCertDir(dir, { generate: false }), { name: 'CertFileError', message: /tls\.crt not found: mount the webhook's TLS Secret/ });
  const first = await ensureCertDir(dir, { generate: true, dnsNames: ['palisade.test'] });
  t.equal(first.written.length, 4);
  t.notOk(first.reusedCa);
  t.match(first.certs.subjectAltName, /DNS:palisade\.test/);
  const again = await ensureCertDir(dir, { generate: true });
  t.same(again.written, [], 'nothing written when a certificate is there');
  t.equal(again.certs.serialNumber, first.certs.serialNumber);
});

t.test('ensureCertDir: a CA left in the folder signs the new certificate', async (t) => {
  const dir = t.testdir({ 'ca.crt': ca.certPem, 'ca.key': ca.keyPem });
  const ensured = await ensureCertDir(dir, { generate: true });
  t.ok(ensured.reusedCa);
  t.equal(ensured.certs.caPem, ca.certPem);
  t.same(ensured.written.map((p) => p.slice(dir.length + 1)), ['ca.crt', 'tls.key', 'tls.crt']);
});

t.test('ensureCertDir never replaces a broken certificate', async (t) => {
  const dir = t.testdir({ ...files(good), 'tls.key': other.serving.keyPem });
  await t.rejects(ensureCertDir(dir, { generate: true }), /is not the key/);
  t.equal(await readFile(join(dir, 'tls.key'), 'utf8'), other.serving.keyPem);
  const foreign = issueServingCert(other.ca);
  await writeFile(join(dir, 'tls.crt'), foreign.certPem);
  await writeFile(join(dir, 'tls.key'), foreign.keyPem);
  await t.rejects(ensureCertDir(dir, { generate: true }), /not signed by the CA/);
});

function files(pems: { caPem: string; certPem: string; keyPem: string }): Record<string, string> {
  return { 'ca.crt': pems.caPem, 'tls.crt': pems.certPem, 'tls.key': pems.keyPem };
}
