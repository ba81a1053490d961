/**
 * Owner chains: Pod → ReplicaSet → Deployment and Pod → Job → CronJob through the ownerReference
 * marked controller; owners not listed are read metadata-only and cached; an owner that cannot be
 * read ends the chain, with the Deployment inferred from the ReplicaSet's name.
 */
import t from 'tap';
import { Discovery } from '../../src/audit/discovery.js';
import { METADATA_ACCEPT, METADATA_LIST_ACCEPT } from '../../src/audit/kube-api.js';
import { controllerOf, metadataReader, OwnerResolver, ownerNodeOf, type OwnerNode } from '../../src/audit/owners.js';
import type { KubeObject } from '../../src/engine/types.js';
import { FakeCluster, readObjects } from './fake-cluster.js';

const objects = readObjects();
const byName = (name: string): KubeObject => {
  const found = objects.find((o) => (o['metadata'] as Record<string, unknown>)['name'] === name);
  if (!found) throw new Error(name);
  return found;
};
const node = (name: string): OwnerNode => ownerNodeOf(byName(name));
const chain = (resolver: OwnerResolver, name: string): string[] => resolver.chainOf(node(name)).map((n) => `${n.ref.kind}/${n.ref.name}${n.ref.uid ? '' : ' (inferred)'}`);
/** Requests other than discovery: the owner reads. */
const ownerReads = (api: FakeCluster) => api.requests.filter((r) => /\/namespaces\//.test(r.path));

t.test('controllerOf: only the ownerReference marked controller', async (t) => {
  t.same(controllerOf({ ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'x', uid: 'u1' }] }), undefined);
  t.same(controllerOf({ ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'x', uid: 'u1' }, { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: 'u2', controller: true }] }), { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: 'u2' });
  t.same(controllerOf({ ownerReferences: [{ kind: 'ReplicaSet', name: 'rs', controller: true }] }), undefined, 'no uid, no reference');
});

t.test('owners the audit listed anyway need no request', async (t) => {
  const resolver = new OwnerResolver();
  for (const name of ['web', 'web-5d4f9', 'nightly', 'nightly-29000000']) resolver.remember(node(name));
  await resolver.resolve([node('web-5d4f9-aaaaa'), node('nightly-29000000-xk2p9')]);
  t.same(chain(resolver, 'web-5d4f9-aaaaa'), ['ReplicaSet/web-5d4f9', 'Deployment/web']);
  t.same(chain(resolver, 'nightly-29000000-xk2p9'), ['Job/nightly-29000000', 'CronJob/nightly']);
  t.same(chain(resolver, 'web'), [], 'a Deployment owns itself');
  t.same(resolver.chainOf(node('web-5d4f9-aaaaa'))[1]?.labels, { app: 'web', team: 'shop' }, 'labels of the owner');
});

t.test('owners not listed are read metadata-only, one level at a time, once', async (t) => {
  const api = new FakeCluster();
  const resolver = new OwnerResolver(metadataReader(api, await Discovery.load(api)));
  const pods = ['web-5d4f9-aaaaa', 'web-5d4f9-bbbbb', 'web-5d4f9-ccccc', 'nightly-29000000-xk2p9'].map(node);
  await resolver.resolve(pods);
  t.same(chain(resolver, 'web-5d4f9-bbbbb'), ['ReplicaSet/web-5d4f9', 'Deployment/web']);
  t.same(chain(resolver, 'nightly-29000000-xk2p9'), ['Job/nightly-29000000', 'CronJob/nightly']);
  t.same(ownerReads(api).map((r) => r.path), [
    '/apis/apps/v1/namespaces/shop/replicasets/web-5d4f9',
    '/apis/batch/v1/namespaces/shop/jobs/nightly-29000000',
    '/apis/apps/v1/namespaces/shop/deployments/web',
    '/apis/batch/v1/namespaces/shop/cronjobs/nightly',
  ], 'one GET per owner, three Pods sharing a ReplicaSet cost one');
  t.ok(ownerReads(api).every((r) => r.accept === METADATA_ACCEPT), 'never a full object');
  const before = api.requests.length;
  await resolver.resolve([node('web-5d4f9-aaaaa')]);
  t.equal(api.requests.length, before, 'cached');
});

t.test('an owner that cannot be read ends the chain; the Deployment is inferred from the name', async (t) => {
  const api = new FakeCluster();
  const resolver = new OwnerResolver(metadataReader(api, await Discovery.load(api)));
  await resolver.resolve([node('api-7c9d8-zzzzz')]);
  t.same(chain(resolver, 'api-7c9d8-zzzzz'), ['ReplicaSet/api-7c9d8', 'Deployment/api (inferred)']);
  t.same(resolver.chainOf(node('api-7c9d8-zzzzz'))[1]?.ref, { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'shop', name: 'api' });
  t.same(resolver.unreadable.get('rs-api-gone'), { unreadable: 'not found', namespaced: true });
});

t.test('an owner of a kind the cluster does not serve', async (t) => {
  const api = new FakeCluster();
  const resolver = new OwnerResolver(metadataReader(api, await Discovery.load(api)));
  const pod: OwnerNode = { ref: { apiVersion: 'v1', kind: 'Pod', namespace: 'shop', name: 'r-1', uid: 'p1' }, labels: {}, controller: { apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', name: 'r', uid: 'ro1' } };
  await resolver.resolve([pod]);
  t.same(resolver.chainOf(pod).map((n) => n.ref), [{ apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', namespace: 'shop', name: 'r', uid: 'ro1' }]);
  t.match(resolver.unreadable.get('ro1')?.unreadable, /argoproj\.io.* not served/);
});

t.test('many owners of one kind in one namespace: one paged metadata list instead of GETs', async (t) => {
  const replicaSets: KubeObject[] = ['a', 'b', 'c'].map((n) => ({ apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: `rs-${n}`, namespace: 'shop', uid: `rs-${n}`, labels: { app: n } } }));
  const api = new FakeCluster(replicaSets);
  const resolver = new OwnerResolver(metadataReader(api, await Discovery.load(api), { listThreshold: 2, pageSize: 2 }));
  const pods: OwnerNode[] = ['a', 'b', 'c', 'gone'].map((n) => ({ ref: { apiVersion: 'v1', kind: 'Pod', namespace: 'shop', name: `p-${n}`, uid: `p-${n}` }, labels: {}, controller: { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: `rs-${n}`, uid: `rs-${n}` } }));
  await resolver.resolve(pods);
  t.same(ownerReads(api).map((r) => [r.path, r.accept, r.query['limit']]), [
    ['/apis/apps/v1/namespaces/shop/replicasets', METADATA_LIST_ACCEPT, '2'],
    ['/apis/apps/v1/namespaces/shop/replicasets', METADATA_LIST_ACCEPT, '2'],
  ]);
  t.same(resolver.chainOf(pods[1] as OwnerNode).map((n) => [n.ref.name, n.labels]), [['rs-b', { app: 'b' }]]);
  t.same(resolver.unreadable.get('rs-gone'), { unreadable: 'not found', namespaced: true });
});

t.test('a cycle of controllers ends', async (t) => {
  const a: OwnerNode = { ref: { apiVersion: 'example.com/v1', kind: 'Thing', name: 'a', uid: 'a' }, labels: {}, controller: { apiVersion: 'example.com/v1', kind: 'Thing', name: 'b', uid: 'b' } };
  const b: OwnerNode = { ref: { apiVersion: 'example.com/v1', kind: 'Thing', name: 'b', uid: 'b' }, labels: {}, controller: { apiVersion: 'example.com/v1', kind: 'Thing', name: 'a', uid: 'a' } };
  const resolver = new OwnerResolver();
  resolver.remember(a);
  resolver.remember(b);
  await resolver.resolve([a]);
  t.same(resolver.chainOf(a).map((n) => n.ref.name), ['b']);
});
