/**
 * The registry client against registries that misbehave — the cases a real registry will not act
 * out on demand: huge answers, redirect loops, bytes that do not match their digest, bad JSON,
 * errors then success, a registry that never answers; and the authentication flows (bearer token
 * from the challenge's realm, Basic) and a private CA over real TLS. Each registry here is a real
 * HTTP(S) server on loopback with scripted answers. The happy path against a real registry and
 * real cosign signatures is test/e2e/images.e2e.ts.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import t, { type Test } from 'tap';
import { generateCertBundle } from '../../src/certs/generate.js';
import { parseReference } from '../../src/images/reference.js';
import { parseChallenge, RegistryClient, RegistryError, type RegistrySettings } from '../../src/images/registry-client.js';

type Handler = (req: IncomingMessage, res: ServerResponse, host: string) => void;

async function serve(t: Test, handler: Handler, server: Server = createServer()): Promise<string> {
  server.on('request', (req, res) => handler(req, res, host));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  t.teardown(() => new Promise<void>((resolve) => {
    server.closeAllConnections?.();
    server.close(() => resolve());
  }));
  return host;
}

const MANIFEST = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: {}, layers: [] }));
const DIGEST = `sha256:${createHash('sha256').update(MANIFEST).digest('hex')}`;
const noWait = async (): Promise<void> => {};
const clientFor = (host: string, settings: RegistrySettings = { insecure: true }, sleeps: number[] = []): RegistryClient =>
  new RegistryClient({ registries: (h) => (h === host ? settings : undefined), sleep: async (ms) => void sleeps.push(ms) });
const image = (host: string) => parseReference(`${host}/team/app:1.0`);
const signal = (): AbortSignal => AbortSignal.timeout(5_000);

function manifestAnswer(res: ServerResponse, body: Buffer = MANIFEST, headers: Record<string, string> = {}): void {
  res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json', ...headers });
  res.end(body);
}

t.test('a tag resolves to the digest of the bytes received; by digest, the bytes must match', async (t) => {
  const host = await serve(t, (req, res) => {
    if (req.url?.endsWith(`/manifests/${encodeURIComponent('sha256:' + '0'.repeat(64))}`)) return manifestAnswer(res);
    manifestAnswer(res, MANIFEST, { 'docker-content-digest': DIGEST });
  });
  const client = clientFor(host);
  t.match(await client.manifest(image(host), '1.0', signal()), { digest: DIGEST, mediaType: 'application/vnd.oci.image.manifest.v1+json' });
  await t.rejects(client.manifest(image(host), `sha256:${'0'.repeat(64)}`, signal()), /does not match that digest/);
});

t.test('a Docker-Content-Digest header that disagrees with the bytes is refused', async (t) => {
  const host = await serve(t, (_req, res) => manifestAnswer(res, MANIFEST, { 'docker-content-digest': `sha256:${'1'.repeat(64)}` }));
  await t.rejects(clientFor(host).manifest(image(host), '1.0', signal()), /the registry says the manifest is sha256:1111/);
});

t.test('answers over the size limit are dropped, declared or not', async (t) => {
  const declared = await serve(t, (_req, res) => {
    res.writeHead(200, { 'content-length': String(64 * 1024 * 1024) });
    res.write(Buffer.alloc(1024));
  });
  await t.rejects(new RegistryClient({ registries: () => ({ insecure: true }), maxManifestBytes: 1024 * 1024 }).manifest(image(declared), '1.0', signal()), /over the limit of 1048576/);
  const streamed = await serve(t, (_req, res) => {
    res.writeHead(200);
    const chunk = Buffer.alloc(64 * 1024, 'a');
    const pump = (): void => {
      while (res.write(chunk));
      res.once('drain', pump);
    };
    pump();
  });
  await t.rejects(new RegistryClient({ registries: () => ({ insecure: true }), maxManifestBytes: 1024 * 1024 }).manifest(image(streamed), '1.0', signal()), /more than the limit/);
});

t.test('bad JSON and a JSON array are errors that say so', async (t) => {
  const host = await serve(t, (req, res) => manifestAnswer(res, Buffer.from(req.url?.includes('array') ? '[1]' : '{"schemaVersion":')));
  await t.rejects(clientFor(host).manifest(image(host), '1.0', signal()), /is not JSON/);
  await t.rejects(clientFor(host).manifest(image(host), 'array', signal()), /is not a JSON object/);
});

t.test('redirects: followed three times at most; credentials never go to another host', async (t) => {
  const loop = await serve(t, (req, res) => {
    res.writeHead(307, { location: req.url ?? '/' });
    res.end();
  });
  await t.rejects(clientFor(loop).manifest(image(loop), '1.0', signal()), /more than 3 redirects/);

  let seenAuthorization: string | undefined = 'unset';
  const storage = await serve(t, (req, res) => {
    seenAuthorization = req.headers.authorization;
    res.writeHead(200);
    res.end('payload');
  });
  const payloadDigest = `sha256:${createHash('sha256').update('payload').digest('hex')}`;
  const registry = await serve(t, (req, res) => {
    if (req.headers.authorization !== 'Basic dTpw') {
      res.writeHead(401, { 'www-authenticate': 'Basic realm="registry"' });
      return res.end();
    }
    res.writeHead(307, { location: `http://${storage}/blob` });
    res.end();
  });
  const client = clientFor(registry, { insecure: true, credentials: { username: 'u', password: 'p' } });
  t.equal((await client.blob(image(registry), payloadDigest, 1024, signal())).toString(), 'payload');
  t.equal(seenAuthorization, undefined, 'the storage host got no Authorization header');
});

t.test('5xx and 429 are tried again with growing waits (Retry-After honoured); then the error says what the registry said', async (t) => {
  let calls = 0;
  const flaky = await serve(t, (_req, res) => {
    calls += 1;
    if (calls === 1) {
      res.writeHead(429, { 'retry-after': '2' });
      return res.end();
    }
    if (calls === 2) {
      res.writeHead(503);
      return res.end();
    }
    manifestAnswer(res);
  });
  const sleeps: number[] = [];
  t.match(await clientFor(flaky, { insecure: true }, sleeps).manifest(image(flaky), '1.0', signal()), { digest: DIGEST });
  t.same(sleeps, [2000, 200], 'Retry-After first, then the doubled backoff');

  const broken = await serve(t, (_req, res) => {
    res.writeHead(500, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ errors: [{ code: 'UNKNOWN', message: 'disk full' }] }));
  });
  const error = await clientFor(broken).manifest(image(broken), '1.0', signal()).catch((e: unknown) => e);
  t.ok(error instanceof RegistryError);
  t.match(error, { status: 500, message: `${broken} answered 500 (UNKNOWN)` });
});

t.test('a registry that never answers: the caller’s deadline ends the call', async (t) => {
  const silent = await serve(t, () => {});
  const started = performance.now();
  await t.rejects(new RegistryClient({ registries: () => ({ insecure: true }), sleep: noWait }).manifest(image(silent), '1.0', AbortSignal.timeout(300)), { name: 'TimeoutError' });
  t.ok(performance.now() - started < 5_000, 'well before any socket timeout');
});

t.test('bearer tokens: fetched from the challenge’s realm with the credentials, then reused', async (t) => {
  let tokenRequests = 0;
  let tokenQuery = '';
  const host = await serve(t, (req, res, self) => {
    if (req.url?.startsWith('/token')) {
      tokenRequests += 1;
      tokenQuery = req.url;
      if (req.headers.authorization !== `Basic ${Buffer.from('robot:secret').toString('base64')}`) {
        res.writeHead(401);
        return res.end();
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end(JSON.stringify({ token: 'tok-1', expires_in: 300 }));
    }
    if (req.headers.authorization !== 'Bearer tok-1') {
      res.writeHead(401, { 'www-authenticate': `Bearer realm="http://${self}/token",service="registry.test",scope="repository:team/app:pull"` });
      return res.end();
    }
    manifestAnswer(res);
  });
  const client = clientFor(host, { insecure: true, credentials: { username: 'robot', password: 'secret' } });
  t.match(await client.manifest(image(host), '1.0', signal()), { digest: DIGEST });
  t.match(await client.manifest(image(host), '1.0', signal()), { digest: DIGEST });
  t.equal(tokenRequests, 1, 'the token is cached until it expires');
  t.match(tokenQuery, 'service=registry.test');
  t.match(tokenQuery, 'scope=repository%3Ateam%2Fapp%3Apull');
  // Anonymous (no credentials): the token service refuses, and the error says so.
  await t.rejects(clientFor(host).manifest(image(host), '1.0', signal()), /the token service of .* answered 401/);
});

t.test('parseChallenge: quoted values with commas, bare values, the scheme', async (t) => {
  t.same(parseChallenge('Bearer realm="https://auth.example.com/token",service="registry.example.com",scope="repository:a/b:pull,push"'), {
    scheme: 'bearer',
    params: { realm: 'https://auth.example.com/token', service: 'registry.example.com', scope: 'repository:a/b:pull,push' },
  });
  t.same(parseChallenge('Basic realm=registry'), { scheme: 'basic', params: { realm: 'registry' } });
});

t.test('HTTPS with a private CA: trusted when configured, refused otherwise', async (t) => {
  const bundle = generateCertBundle();
  const server = createHttpsServer({ key: bundle.serving.keyPem, cert: bundle.serving.certPem }) as unknown as Server;
  const host = await serve(t, (_req, res) => manifestAnswer(res), server);
  t.match(await clientFor(host, { ca: bundle.ca.certPem }).manifest(image(host), '1.0', signal()), { digest: DIGEST });
  await t.rejects(clientFor(host, {}, []).manifest(image(host), '1.0', signal()), /SELF_SIGNED|UNABLE_TO_VERIFY|unable to verify/i);
});

t.test('referrers: the API where the registry has it, else the tag schema; none is an empty list', async (t) => {
  const referrer = { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: `sha256:${'2'.repeat(64)}`, size: 10, artifactType: 'application/vnd.dev.sigstore.bundle.v0.3+json' };
  const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [referrer, { digest: 'not a descriptor' }] }));
  const tagSchema = `/manifests/${DIGEST.replace(':', '-')}`;
  const requests: string[] = [];
  const withApi = await serve(t, (req, res) => {
    requests.push(req.url ?? '');
    if (req.url?.includes('/referrers/')) return manifestAnswer(res, index, { 'content-type': 'application/vnd.oci.image.index.v1+json' });
    res.writeHead(404).end();
  });
  t.same(await clientFor(withApi).referrers(image(withApi), DIGEST, referrer.artifactType, signal()), [referrer], 'the API, malformed entries left out');
  t.match(requests, [/\/v2\/team\/app\/referrers\/sha256%3A[0-9a-f]{64}\?artifactType=application%2Fvnd\.dev\.sigstore\.bundle\.v0\.3%2Bjson$/]);

  for (const status of [404, 403, 501]) {
    const sleeps: number[] = [];
    const withoutApi = await serve(t, (req, res) => {
      if (req.url?.includes('/referrers/')) return void res.writeHead(status).end();
      if (req.url?.endsWith(tagSchema)) return manifestAnswer(res, index, { 'content-type': 'application/vnd.oci.image.index.v1+json' });
      res.writeHead(404).end();
    });
    t.same(await clientFor(withoutApi, { insecure: true }, sleeps).referrers(image(withoutApi), DIGEST, referrer.artifactType, signal()), [referrer], `the API answers ${status}: the tag schema`);
    t.same(sleeps, [], `${status}: not retried`);
  }
  const neither = await serve(t, (_req, res) => void res.writeHead(404).end());
  t.same(await clientFor(neither).referrers(image(neither), DIGEST, referrer.artifactType, signal()), []);
  const broken = await serve(t, (req, res) => (req.url?.includes('/referrers/') ? void res.writeHead(404).end() : void res.writeHead(500).end()));
  await t.rejects(clientFor(broken).referrers(image(broken), DIGEST, referrer.artifactType, signal()), /answered 500/, 'a failing fallback is a failure, not "no referrers"');
});
