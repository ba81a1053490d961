import { getEventListeners } from 'node:events';
import t from 'tap';
import { untilAborted } from '../../src/kube/until-aborted.js';

t.test('a settled race leaves no listener on a long-lived signal', async (t) => {
  const term = new AbortController();
  for (let i = 0; i < 100; i++) t.equal(await untilAborted(Promise.resolve(i), term.signal), i);
  await t.rejects(untilAborted(Promise.reject(new Error('refused')), term.signal), /refused/);
  t.equal(getEventListeners(term.signal, 'abort').length, 0, 'no listener kept (each kept its result reachable)');
});

t.test('an abort wins over a request that never ends, with the reason', async (t) => {
  const term = new AbortController();
  const pending = untilAborted(new Promise<never>(() => {}), term.signal);
  term.abort(new Error('lease lost'));
  await t.rejects(pending, /lease lost/);
  t.equal(getEventListeners(term.signal, 'abort').length, 0);
});

t.test('an aborted signal refuses at once; no signal passes the work through', async (t) => {
  const term = new AbortController();
  term.abort(new Error('stopping'));
  await t.rejects(untilAborted(Promise.resolve(1), term.signal), /stopping/);
  t.equal(await untilAborted(Promise.resolve(2), undefined), 2);
});
