/**
 * The watch client against a local HTTP server speaking the API server's watch protocol: one JSON
 * event a line, lines split across chunks, the query a watch needs, credentials from the
 * kubeconfig, a refusal as a KubeApiError with the Status reason, an abort that stops the stream.
 */
import t from 'tap';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { KubeConfig } from '@kubernetes/client-node';
import { KubeApiError } from '../../src/audit/kube-api.js';
import { kubeWatchFor, parseWatchLine, watchError, type WatchEvent } from '../../src/controller/watch-stream.js';

t.test('parseWatchLine: events only', async (t) => {
  t.same(parseWatchLine('{"type":"ADDED","object":{"metadata":{"name":"a"}}}'), { type: 'ADDED', object: { metadata: { name: 'a' } } });
  t.equal(parseWatchLine('{"type":"SURPRISE","object":{}}'), undefined);
  t.equal(parseWatchLine('{"type":"ADDED","object":[]}'), undefined);
  t.equal(parseWatchLine('not json'), undefined);
  const gone = watchError({ kind: 'Status', code: 410, reason: 'Expired', message: 'too old resource version: 1 (2)' }, '/api/v1/pods');
  t.match(gone, { status: 410, reason: 'Expired', message: /watch \/api\/v1\/pods: 410 Expired: too old/ });
});

async function serve(handler: (request: IncomingMessage, response: ServerResponse) => void) {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: `http://127.0.0.1:${port}`, skipTLSVerify: true }],
    users: [{ name: 'u', token: 'secret-token' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return kubeWatchFor(kc);
}

t.test('events across chunk boundaries; the watch query and the token are sent', async (t) => {
  let seen: { url?: string; authorization?: string } = {};
  const api = await serve((request, response) => {
    seen = { ...(request.url ? { url: request.url } : {}), ...(request.headers.authorization ? { authorization: request.headers.authorization } : {}) };
    response.writeHead(200, { 'content-type': 'application/json' });
    const body = ['{"type":"ADDED","object":{"metadata":{"name":"a","resourceVersion":"5"}}}', '{"type":"BOOKMARK","object":{"metadata":{"resourceVersion":"9"}}}', '{"type":"DELETED","object":{"metadata":{"name":"a"}}}'].join('\n');
    // Split in the middle of an event.
    response.write(body.slice(0, 30));
    setImmediate(() => response.end(body.slice(30)));
  });
  const received: WatchEvent[] = [];
  for await (const event of api.watch('/api/v1/pods', { resourceVersion: '4', timeoutSeconds: 300, allowWatchBookmarks: true }, new AbortController().signal)) received.push(event);
  t.same(received.map((e) => e.type), ['ADDED', 'BOOKMARK', 'DELETED'], 'the last line needs no newline');
  const url = new URL(seen.url ?? '', 'http://x');
  t.equal(url.pathname, '/api/v1/pods');
  t.same(Object.fromEntries(url.searchParams), { watch: 'true', resourceVersion: '4', timeoutSeconds: '300', allowWatchBookmarks: 'true' });
  t.equal(seen.authorization, 'Bearer secret-token');
});

t.test('a refusal is a KubeApiError with the Status reason', async (t) => {
  const api = await serve((_request, response) => {
    response.writeHead(410, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ kind: 'Status', code: 410, reason: 'Expired', message: 'too old resource version' }));
  });
  const error = await (async () => {
    for await (const _event of api.watch('/api/v1/pods', {}, new AbortController().signal)) void _event;
  })().catch((e: unknown) => e);
  t.ok(error instanceof KubeApiError);
  t.match(error, { status: 410, reason: 'Expired' });
});

t.test('aborting ends a watch the server keeps open', async (t) => {
  const api = await serve((_request, response) => {
    response.writeHead(200, { 'content-type': 'application/json' });
    response.write('{"type":"ADDED","object":{"metadata":{"name":"a"}}}\n');
  });
  const controller = new AbortController();
  const received: string[] = [];
  const error = await (async () => {
    for await (const event of api.watch('/api/v1/pods', {}, controller.signal)) {
      received.push(event.type);
      controller.abort();
    }
  })().catch((e: unknown) => e);
  t.same(received, ['ADDED']);
  t.match(error, { name: 'AbortError' });
});
