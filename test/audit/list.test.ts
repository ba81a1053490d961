/**
 * Paged lists: limit + continue, never one unbounded list; an expired continue token restarts the
 * list without yielding any object twice.
 */
import t from 'tap';
import { listObjects, listPages } from '../../src/audit/list.js';
import { KubeApiError } from '../../src/audit/kube-api.js';
import type { KubeObject } from '../../src/engine/types.js';
import { FakeCluster } from './fake-cluster.js';

const PODS = { group: '', version: 'v1', kind: 'Pod', resource: 'pods', namespaced: true };
const pods = (n: number): KubeObject[] =>
  Array.from({ length: n }, (_, i) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: `p${i}`, namespace: 'shop', uid: `uid-${i}` } }));
const names = (objects: KubeObject[]): string[] => objects.map((o) => String((o['metadata'] as Record<string, unknown>)['name']));

t.test('pages of `limit` objects, following continue tokens', async (t) => {
  const api = new FakeCluster(pods(7));
  const pages = [];
  for await (const page of listPages(api, PODS, { pageSize: 3 })) pages.push(page);
  t.same(pages.map((p) => p.items.length), [3, 3, 1]);
  t.same(pages.map((p) => [p.listed, p.total]), [[3, 7], [6, 7], [7, 7]], 'progress: listed so far, and the total the server announces');
  const lists = api.requestsTo('/api/v1/pods');
  t.same(lists.map((r) => r.query), [{ limit: '3' }, { limit: '3', continue: 'offset-3' }, { limit: '3', continue: 'offset-6' }]);
  t.same(pages[0]?.items[0], { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p0', namespace: 'shop', uid: 'uid-0' } }, 'apiVersion and kind restored on list items');
});

t.test('the default page is 500; a namespace and a field selector narrow the list', async (t) => {
  const api = new FakeCluster(pods(2));
  t.same(names(await collect(listObjects(api, PODS, { namespace: 'shop', fieldSelector: 'metadata.name=p1' }))), ['p1']);
  t.same(api.requests.at(-1), { path: '/api/v1/namespaces/shop/pods', query: { limit: '500', fieldSelector: 'metadata.name=p1' }, accept: 'application/json' });
});

t.test('410 Expired: the list starts again, and nothing is yielded twice', async (t) => {
  const api = new FakeCluster(pods(7));
  api.expireOnce.add('/api/v1/pods');
  const pages = [];
  for await (const page of listPages(api, PODS, { pageSize: 3 })) pages.push(page);
  t.same(names(pages.flatMap((p) => p.items)), ['p0', 'p1', 'p2', 'p3', 'p4', 'p5', 'p6']);
  t.same(pages.map((p) => p.restarted), [false, true, false, false]);
  t.same(api.requestsTo('/api/v1/pods').map((r) => r.query['continue'] ?? ''), ['', 'offset-3', '', 'offset-3', 'offset-6'], 'restarted without a continue token');
});

t.test('410 Expired more often than maxRestarts: the error reaches the caller', async (t) => {
  const api = new FakeCluster(pods(7));
  api.expireOnce.add('/api/v1/pods');
  const error = await collect(listObjects(api, PODS, { pageSize: 3, maxRestarts: 0 })).catch((e: unknown) => e);
  t.ok(error instanceof KubeApiError);
  t.match(error, { status: 410, reason: 'Expired' });
});

t.test('an aborted signal stops the list', async (t) => {
  const controller = new AbortController();
  controller.abort();
  await t.rejects(collect(listObjects(new FakeCluster(pods(3)), PODS, { signal: controller.signal })), { name: 'AbortError' });
});

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}
