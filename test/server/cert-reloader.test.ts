/**
 * Certificate rotation on a live HTTPS server, the Kubernetes way (the kubelet swapping a mounted
 * Secret's ..data symlink): under a steady stream of fresh connections no request fails, and new
 * connections get the new certificate after each rotation. A bad update keeps the last good
 * certificate serving and is reported until a good one arrives.
 */
import t, { type Test } from 'tap';
import { X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import { createServer, request } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { generateCa, issueServingCert, type PemPair } from '../../src/certs/generate.js';
import { CertFileError } from '../../src/certs/verify-pair.js';
import { CertReloader, type CertReloaderOptions } from '../../src/server/cert-reloader.js';
import { writeKubeVolume } from '../fs/kube-volume.js';
import { waitFor } from '../fs/wait-for.js';

const ca = generateCa();
const secret = (pair: PemPair): Record<string, string> => ({ 'ca.crt': ca.certPem, 'tls.crt': pair.certPem, 'tls.key': pair.keyPem });
const serialOf = (pair: PemPair): string => new X509Certificate(pair.certPem).serialNumber;

async function start(t: Test, dir: string, options: Partial<CertReloaderOptions> = {}) {
  const errors: Error[] = [];
  const reloader = await CertReloader.start({ dir, debounceMs: 50, pollMs: 600_000, onError: (error) => errors.push(error), ...options });
  const server = createServer(reloader.current.options, (_req, res) => res.end('ok'));
  reloader.onReload((state) => server.setSecureContext(state.options));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(async () => {
    reloader.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { reloader, errors, port: (server.address() as AddressInfo).port };
}

/** One request on a fresh connection that must verify against the CA; resolves to the serial it saw. */
function fetchSerial(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/', agent: false, ca: ca.certPem, rejectUnauthorized: true }, (res) => {
      const serial = (res.socket as TLSSocket).getPeerCertificate().serialNumber;
      res.resume();
      res.on('end', () => (res.statusCode === 200 ? resolve(serial) : reject(new Error(`HTTP ${res.statusCode}`))));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

t.test('rotation under load: no failed request, new connections get each new certificate', async (t) => {
  const dir = t.testdir({});
  const first = issueServingCert(ca);
  await writeKubeVolume(dir, secret(first));
  const { reloader, errors, port } = await start(t, dir);
  t.equal(reloader.current.serialNumber, serialOf(first));

  const load = { ok: 0, failed: [] as string[], serials: new Set<string>() };
  let stop = false;
  const worker = async (): Promise<void> => {
    while (!stop) {
      try {
        load.serials.add(await fetchSerial(port));
        load.ok++;
      } catch (error) {
        load.failed.push((error as Error).message);
      }
    }
  };
  const workers = Array.from({ length: 6 }, () => worker());

  const rotations = 4;
  for (let i = 1; i <= rotations; i++) {
    const next = issueServingCert(ca);
    const before = load.ok;
    await writeKubeVolume(dir, secret(next));
    await waitFor(() => reloader.current.serialNumber === serialOf(next), `rotation ${i} to load`);
    t.equal(await fetchSerial(port), serialOf(next), `a new connection after rotation ${i} gets the new certificate`);
    await waitFor(() => load.ok >= before + 25, `requests across rotation ${i}`);
  }
  stop = true;
  await Promise.all(workers);

  t.same(load.failed, [], `no failed request out of ${load.ok + load.failed.length}`);
  t.equal(load.serials.size, rotations + 1, 'the load saw every certificate');
  t.same(errors, [], 'an atomic swap is never seen half done');
});

t.test('a bad update keeps the last good certificate and is reported; a good one recovers', async (t) => {
  const dir = t.testdir({});
  const good = issueServingCert(ca);
  await writeKubeVolume(dir, secret(good));
  const { reloader, errors, port } = await start(t, dir);
  const reloads: string[] = [];
  reloader.onReload((state) => reloads.push(state.serialNumber));

  await writeKubeVolume(dir, { ...secret(good), 'tls.key': '-----BEGIN RSA PRIVATE KEY-----\ntruncated' });
  await waitFor(() => errors.length === 1, 'the broken key to be reported');
  t.match(reloader.lastError, { name: 'CertFileError', message: /tls\.key holds no valid private key/ });
  t.equal(reloader.current.serialNumber, serialOf(good));
  t.equal(await fetchSerial(port), serialOf(good), 'still serving the last good certificate');

  const mismatched = issueServingCert(ca);
  await writeKubeVolume(dir, { ...secret(good), 'tls.key': mismatched.keyPem });
  await waitFor(() => errors.length === 2, 'the mismatched key to be reported');
  t.match(errors[1], { message: /tls\.key is not the key of the certificate/ });
  t.equal(await fetchSerial(port), serialOf(good));
  t.same(reloads, [], 'listeners only hear of good certificates');

  const next = issueServingCert(ca);
  await writeKubeVolume(dir, secret(next));
  await waitFor(() => reloader.current.serialNumber === serialOf(next), 'the good certificate to load');
  t.equal(reloader.lastError, undefined, 'the error clears');
  t.same(reloads, [serialOf(next)]);
  t.equal(await fetchSerial(port), serialOf(next));
});

t.test('start refuses a directory it cannot serve; expiry in seconds; reload() without a change', async (t) => {
  await t.rejects(CertReloader.start({ dir: t.testdir({ 'tls.crt': 'x' }) }), CertFileError);
  const dir = t.testdir({});
  const pair = issueServingCert(ca, { days: 10 });
  await writeKubeVolume(dir, secret(pair));
  const { reloader } = await start(t, dir);
  const notAfter = new Date(new X509Certificate(pair.certPem).validTo);
  t.equal(reloader.expirySeconds(new Date(notAfter.getTime() - 60_000)), 60);
  t.ok(reloader.expirySeconds() > 9 * 86_400);
  t.equal(reloader.current.caPem, ca.certPem);
  t.equal(await reloader.reload(), false, 'the same files are no reload');
});
