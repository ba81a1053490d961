/**
 * The live copies `palisade serve` keeps (Namespaces, Rules, Exceptions) against a real API server:
 * a watch that has been silent too long is restarted once, and the restart settles. It used to
 * loop: stopping the old informer reported "the user aborted a request" as its error, which
 * scheduled another restart, which stopped the new informer, twice a second, for as long as the
 * process ran (found by `npm run bench:e2e`: an idle webhook burning a third of a core). And
 * restarts never overlap: two at once each started an informer, and one of them watched on unseen.
 */
import t from 'tap';
import { CoreV1Api, CustomObjectsApi, type KubernetesListObject, type KubernetesObject } from '@kubernetes/client-node';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino, type Logger } from 'pino';
import { Writable } from 'node:stream';
import { WatchedCollection } from '../../src/kube/watched-collection.js';
import { loadKubeConfig } from '../../src/kube/kubeconfig.js';
import { startControlPlane, waitFor } from './control-plane/harness.js';

const CRDS = fileURLToPath(new URL('../../crds/', import.meta.url));
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const plane = await startControlPlane();
t.teardown(() => plane.stop());
const kc = loadKubeConfig({ kubeconfig: plane.kubeconfig });

t.test('a silent watch is restarted once per stale period, and keeps serving', async (t) => {
  const core = kc.makeApiClient(CoreV1Api);
  let lists = 0;
  const { warnings, log } = collectWarnings();
  const namespaces = new WatchedCollection({
    kc,
    path: '/api/v1/namespaces',
    list: () => {
      lists++;
      return core.listNamespace();
    },
    log,
    // Nothing changes namespaces here, so the watchdog restarts the watch every 2–4 s.
    staleAfterMs: 2000,
  });
  await namespaces.start();
  t.teardown(() => namespaces.stop());
  await sleep(10_000);

  // One list at start and one per watchdog restart: at most 1 + 10 s / 2 s. The loop made about 20.
  t.ok(lists >= 2, `the watchdog restarted the silent watch (${lists} lists)`);
  t.ok(lists <= 6, `each restart lists once and settles (${lists} lists in 10 s)`);
  t.same(failures(warnings), [], 'no watch failures: stopping the old informer is not one');
  t.ok(namespaces.get('default'), 'the copy still holds the cluster\'s namespaces');
});

t.test('restarts never overlap, and stop() leaves no watch open', async (t) => {
  t.equal(plane.kubectl(['apply', '-f', join(CRDS, 'rules.palisade.dev.yaml')]).code, 0, 'Rule CRD applied');
  t.equal(plane.kubectl(['wait', '--for=condition=Established', 'crd/rules.palisade.dev', '--timeout=60s']).code, 0);
  // A new resource answers watches with 429 "storage is (re)initializing" for a moment: wait that out,
  // so a failure below is the collection's own.
  await waitFor(() => plane.kubectl(['get', '--raw', '/apis/palisade.dev/v1alpha1/rules?watch=1&timeoutSeconds=1']).code === 0, 30_000, 'a watch on rules to be served');
  // Nothing else in the cluster watches Palisade's Rules, so the API server's count of open watches
  // on them is this collection's alone.
  const openWatches = (): number => {
    const metrics = plane.kubectl(['get', '--raw', '/metrics']).stdout;
    const line = metrics.split('\n').find((l) => l.startsWith('apiserver_longrunning_requests{') && l.includes('resource="rules"') && l.includes('verb="WATCH"'));
    return line ? Number(line.split(' ').pop()) : 0;
  };

  const custom = kc.makeApiClient(CustomObjectsApi);
  let listing = 0;
  let mostAtOnce = 0;
  let slow = true;
  const { warnings, log } = collectWarnings();
  const rules = new WatchedCollection({
    kc,
    path: '/apis/palisade.dev/v1alpha1/rules',
    // A list slower than the watchdog's period (a large cluster, a loaded API server): the watchdog
    // falls due again while a restart is still listing.
    list: async () => {
      listing++;
      mostAtOnce = Math.max(mostAtOnce, listing);
      try {
        if (slow) await sleep(2500);
        return (await custom.listClusterCustomObject({ group: 'palisade.dev', version: 'v1alpha1', plural: 'rules' })) as KubernetesListObject<KubernetesObject>;
      } finally {
        listing--;
      }
    },
    log,
    staleAfterMs: 1000,
  });
  await rules.start();
  await sleep(9000);
  slow = false;
  await sleep(3000);
  t.equal(mostAtOnce, 1, 'one restart at a time: never two lists at once');
  t.same(failures(warnings), [], 'no watch failures');
  t.ok(rules.synced, 'synced');

  await rules.stop();
  await sleep(1500); // a restart that was under way finishes, and must not start anything
  await waitFor(() => openWatches() === 0, 10_000, 'the API server to see no watch on rules');
  t.pass('after stop() no informer is left watching');
});

function collectWarnings(): { warnings: string[]; log: Logger } {
  const warnings: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) {
        const entry = JSON.parse(line) as { level: number; msg: string };
        if (entry.level >= 40) warnings.push(entry.msg);
      }
      done();
    },
  });
  return { warnings, log: pino({ level: 'info' }, sink) };
}

function failures(warnings: string[]): string[] {
  return warnings.filter((w) => w !== 'watch silent for too long; restarting it');
}
