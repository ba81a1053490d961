/**
 * The mirror of Palisade's Rule and Exception resources: listed, then watched (changes reported
 * once each); a kind the cluster does not serve yet is looked for again with a capped backoff.
 * Shown with the fake cluster's Widgets, a custom resource like Rules.
 */
import t from 'tap';
import { pino } from 'pino';
import { ResourceMirror } from '../../src/controller/resource-mirror.js';
import { HistoryCluster } from './fake-cluster.js';

const WIDGETS = { group: 'example.com', version: 'v1', kind: 'Widget', resource: 'widgets', namespaced: true };

async function turns(check: () => boolean): Promise<void> {
  for (let i = 0; i < 10_000 && !check(); i++) await new Promise((resolve) => setImmediate(resolve));
  if (!check()) throw new Error('condition never held');
}

t.test('listed, then followed', async (t) => {
  const cluster = new HistoryCluster();
  let changes = 0;
  const mirror = new ResourceMirror({ api: cluster, watchApi: cluster, resource: WIDGETS, log: pino({ level: 'silent' }), onChange: () => changes++ });
  const controller = new AbortController();
  const running = mirror.run(controller.signal);
  await mirror.firstAttempt;
  t.ok(mirror.synced);
  t.same(mirror.list().map((w) => w['apiVersion']), ['example.com/v1'], 'typed for loadPolicy');
  t.equal(changes, 1, 'the first list is a change');
  const before = mirror.fingerprint();
  await turns(() => cluster.watching('/apis/example.com/v1/widgets') === 1);
  cluster.create({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'new', namespace: 'shop' } });
  await turns(() => changes === 2);
  t.equal(mirror.list().length, 2);
  t.not(mirror.fingerprint(), before);
  controller.abort();
  await running;
});

t.test('not served yet: looked for again, with a capped backoff', async (t) => {
  const cluster = new HistoryCluster();
  const sleeps: number[] = [];
  const controller = new AbortController();
  const mirror = new ResourceMirror({
    api: cluster,
    watchApi: cluster,
    resource: { group: 'palisade.dev', version: 'v1alpha1', kind: 'Rule', resource: 'rules', namespaced: false },
    log: pino({ level: 'silent' }),
    onChange: () => {},
    initialRetryMs: 1000,
    maxRetryMs: 4000,
    timing: {
      sleep: async (ms) => {
        sleeps.push(ms);
        if (sleeps.length === 5) controller.abort();
        await new Promise((resolve) => setImmediate(resolve));
      },
    },
  });
  const running = mirror.run(controller.signal);
  await mirror.firstAttempt;
  t.same(mirror.list(), [], 'none: start-up does not wait for the CRD');
  await running;
  t.same(sleeps, [1000, 2000, 4000, 4000, 4000]);
  t.notOk(mirror.synced);
});
