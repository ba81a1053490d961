/**
 * The live copies `palisade serve` keeps (Namespaces, Rules, Exceptions) against a real API server:
 * a watch that has been silent too long is restarted once, and the restart settles. It used to
 * loop: stopping the old informer reported "the user aborted a request" as its error, which
 * scheduled another restart, which stopped the new informer, twice a second, for as long as the
 * process ran (found by `npm run bench:e2e`: an idle webhook burning a third of a core).
 */
import t from 'tap';
import { CoreV1Api } from '@kubernetes/client-node';
import { pino } from 'pino';
import { Writable } from 'node:stream';
import { WatchedCollection } from '../../src/kube/watched-collection.js';
import { loadKubeConfig } from '../../src/kube/kubeconfig.js';
import { startControlPlane } from './control-plane/harness.js';

const plane = await startControlPlane();
t.teardown(() => plane.stop());
const kc = loadKubeConfig({ kubeconfig: plane.kubeconfig });

t.test('a silent watch is restarted once per stale period, and keeps serving', async (t) => {
  const core = kc.makeApiClient(CoreV1Api);
  let lists = 0;
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
  const namespaces = new WatchedCollection({
    kc,
    path: '/api/v1/namespaces',
    list: () => {
      lists++;
      return core.listNamespace();
    },
    log: pino({ level: 'info' }, sink),
    // Nothing changes namespaces here, so the watchdog restarts the watch every 2–4 s.
    staleAfterMs: 2000,
  });
  await namespaces.start();
  t.teardown(() => namespaces.stop());
  await new Promise((resolve) => setTimeout(resolve, 10_000));

  // One list at start and one per watchdog restart: at most 1 + 10 s / 2 s. The loop made about 20.
  t.ok(lists >= 2, `the watchdog restarted the silent watch (${lists} lists)`);
  t.ok(lists <= 6, `each restart lists once and settles (${lists} lists in 10 s)`);
  t.same(warnings.filter((w) => w !== 'watch silent for too long; restarting it'), [], 'no watch failures: stopping the old informer is not one');
  t.ok(namespaces.get('default'), 'the copy still holds the cluster\'s namespaces');
});
