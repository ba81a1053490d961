/**
 * Leader election on a real Lease: of two replicas exactly one leads; when the leader stops (or
 * dies and stops renewing), the other takes over.
 */
import t from 'tap';
import { pino } from 'pino';
import { LeaseElector } from '../../src/kube/lease.js';
import { loadKubeConfig } from '../../src/kube/kubeconfig.js';
import { startControlPlane, waitFor } from './control-plane/harness.js';

const plane = await startControlPlane();
t.teardown(() => plane.stop());
plane.kubectl(['create', 'namespace', 'palisade-system']);
const kc = loadKubeConfig({ kubeconfig: plane.kubeconfig });

function replica(identity: string) {
  const state = { leading: false, changes: 0 };
  const elector = new LeaseElector({
    kc, namespace: 'palisade-system', name: 'palisade-audit', identity, log: pino({ level: 'silent' }),
    leaseDurationSeconds: 3, renewMs: 500, retryMs: 300,
    onStartedLeading: () => { state.leading = true; state.changes++; },
    onStoppedLeading: () => { state.leading = false; state.changes++; },
  });
  return { elector, state };
}

t.test('one of two replicas leads; the other takes over when it stops', async (t) => {
  const a = replica('replica-a');
  const b = replica('replica-b');
  a.elector.start();
  b.elector.start();
  await waitFor(() => a.state.leading || b.state.leading, 20_000, 'a leader');
  // Give the follower several retries: it must not also win.
  await new Promise((resolve) => setTimeout(resolve, 2000));
  t.equal(Number(a.state.leading) + Number(b.state.leading), 1, 'exactly one leader');
  const [leader, follower] = a.state.leading ? [a, b] : [b, a];
  const holder = plane.kubectl(['get', 'lease', 'palisade-audit', '-n', 'palisade-system', '-o', 'jsonpath={.spec.holderIdentity}']).stdout;
  t.equal(holder, leader === a ? 'replica-a' : 'replica-b', 'the Lease names the leader');
  await leader.elector.stop();
  await waitFor(() => follower.state.leading, 20_000, 'the follower to take over');
  t.pass('the follower took over');
  await follower.elector.stop();
});

t.test('a leader that dies without releasing is replaced once its lease expires', async (t) => {
  const a = replica('replica-c');
  a.elector.start();
  await waitFor(() => a.state.leading, 20_000, 'replica-c to lead');
  const b = replica('replica-d');
  b.elector.start();
  await a.elector.stop({ release: false });
  const stoppedAt = Date.now();
  await waitFor(() => b.state.leading, 20_000, 'replica-d to take over');
  t.ok(Date.now() - stoppedAt >= 1000, 'not before the abandoned lease expired');
  await b.elector.stop();
});
