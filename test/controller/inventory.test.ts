/**
 * The controller's bookkeeping: objects tracked by fingerprint, attributed to the top of their
 * owner chain, entries rebuilt for the owners a change touched — including when an owner is
 * deleted or a ReplicaSet is orphaned or adopted, which moves what it stood for.
 */
import t from 'tap';
import type { AuditedObject } from '../../src/audit/entries.js';
import type { OwnerNode } from '../../src/audit/owners.js';
import { Inventory } from '../../src/controller/inventory.js';
import { defaultConfig } from '../../src/config/defaults.js';

const policy = defaultConfig().policy;
const NOW = new Date('2026-11-22T12:00:00Z');

const node = (kind: string, name: string, uid: string, controller?: { kind: string; name: string; uid: string }): AuditedObject => ({
  ref: { apiVersion: kind === 'Pod' ? 'v1' : 'apps/v1', kind, namespace: 'shop', name, uid },
  labels: {},
  ...(controller ? { controller: { apiVersion: 'apps/v1', ...controller } } : {}),
  findings: [],
  evaluated: ['some-rule'],
});

/** Chains from the objects themselves (what OwnerResolver does once everything is read). */
function chains(objects: Map<string, AuditedObject>) {
  return (start: OwnerNode): OwnerNode[] => {
    const chain: OwnerNode[] = [];
    let current: OwnerNode | undefined = start;
    while (current?.controller) {
      current = objects.get(current.controller.uid);
      if (!current) break;
      chain.push(current);
    }
    return chain;
  };
}

t.test('a Deployment stands for its ReplicaSet and Pods; only touched owners are rebuilt', async (t) => {
  const all = new Map<string, AuditedObject>();
  const inventory = new Inventory();
  const put = (o: AuditedObject, version = '1') => {
    all.set(o.ref.uid ?? '', o);
    inventory.put(o.ref.kind, version, o);
  };
  put(node('Deployment', 'web', 'd'));
  put(node('ReplicaSet', 'web-1', 'rs', { kind: 'Deployment', name: 'web', uid: 'd' }));
  put(node('Pod', 'web-1-a', 'p1', { kind: 'ReplicaSet', name: 'web-1', uid: 'rs' }));
  put(node('Deployment', 'api', 'd2'));
  const chainOf = chains(all);
  inventory.attribute(chainOf);
  const first = inventory.rebuild(chainOf, policy, NOW);
  t.same(first.map((c) => c.after?.owner.name).sort(), ['api', 'web']);
  t.equal(inventory.entries().find((e) => e.owner.name === 'web')?.objects, 3);
  t.ok(inventory.has('p1', '1'));
  t.notOk(inventory.has('p1', '2'), 'a newer version is a change');

  put(node('Pod', 'web-1-b', 'p2', { kind: 'ReplicaSet', name: 'web-1', uid: 'rs' }));
  inventory.attribute(chainOf);
  const second = inventory.rebuild(chainOf, policy, NOW);
  t.same(second.map((c) => [c.before?.objects, c.after?.objects]), [[3, 4]], 'web only');

  inventory.remove('p1');
  inventory.attribute(chainOf);
  t.same(inventory.rebuild(chainOf, policy, NOW).map((c) => c.after?.objects), [3]);
  t.same(inventory.uidsOf('Pod', 'shop'), ['p2']);
  t.same([...inventory.kindsIn('shop')].sort(), ['Deployment', 'Pod', 'ReplicaSet']);
});

t.test('an orphaned ReplicaSet takes its Pods with it; a deleted owner leaves no entry', async (t) => {
  const all = new Map<string, AuditedObject>();
  const inventory = new Inventory();
  const put = (o: AuditedObject, version = '1') => {
    all.set(o.ref.uid ?? '', o);
    inventory.put(o.ref.kind, version, o);
  };
  put(node('Deployment', 'web', 'd'));
  put(node('ReplicaSet', 'web-1', 'rs', { kind: 'Deployment', name: 'web', uid: 'd' }));
  put(node('Pod', 'web-1-a', 'p1', { kind: 'ReplicaSet', name: 'web-1', uid: 'rs' }));
  const chainOf = chains(all);
  inventory.attribute(chainOf);
  inventory.rebuild(chainOf, policy, NOW);

  // kubectl delete deployment web --cascade=orphan: the Deployment goes, the ReplicaSet loses its owner.
  all.delete('d');
  inventory.remove('d');
  put(node('ReplicaSet', 'web-1', 'rs'), '2');
  inventory.attribute(chainOf);
  const changes = inventory.rebuild(chainOf, policy, NOW);
  const byOwner = Object.fromEntries(changes.map((c) => [c.key.split('\u0000')[1] ?? '', c.after?.objects ?? 0]));
  t.same(byOwner, { Deployment: 0, ReplicaSet: 2 }, 'the Deployment entry is gone; the ReplicaSet stands for itself and its Pod');
  t.same(inventory.entries().map((e) => `${e.owner.kind}/${e.owner.name}`), ['ReplicaSet/web-1']);
});
