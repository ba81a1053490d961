/**
 * The token bucket that paces Palisade's writes, on a fake clock: a burst goes through at once,
 * then one write every 1/rate seconds, in the order asked; a quiet spell refills the bucket up to
 * the burst and no further; an aborted wait rejects.
 */
import t from 'tap';
import { TokenBucket } from '../../src/kube/token-bucket.js';
import { FakeClock } from './fake-report-store.js';

t.test('a burst at once, then the rate: 40 writes at 20/s take one second', async (t) => {
  const clock = new FakeClock();
  const bucket = new TokenBucket({ ratePerSecond: 20, now: clock.now, sleep: clock.sleep });
  const times: number[] = [];
  for (let i = 0; i < 40; i++) {
    await bucket.take();
    times.push(clock.ms);
  }
  t.same(times.slice(0, 20), Array(20).fill(0), 'the first 20 (the burst) do not wait');
  t.equal(times[20], 50, 'the 21st waits for one token: 50 ms');
  t.equal(times[39], 1000, 'the 40th goes at 1 s');
  for (let i = 21; i < 40; i++) t.equal((times[i] ?? 0) - (times[i - 1] ?? 0), 50, `write ${i + 1} is 50 ms after the one before`);
});

t.test('takers waiting together are served in order, one token each', async (t) => {
  const clock = new FakeClock();
  const bucket = new TokenBucket({ ratePerSecond: 2, burst: 1, now: clock.now, sleep: clock.sleep });
  const order: number[] = [];
  await Promise.all([0, 1, 2, 3].map((i) => bucket.take().then(() => order.push(i))));
  t.same(order, [0, 1, 2, 3]);
  t.equal(clock.ms, 1500, '1 at once, then 3 more at 2/s');
});

t.test('a quiet spell refills up to the burst, not beyond', async (t) => {
  const clock = new FakeClock();
  const bucket = new TokenBucket({ ratePerSecond: 10, burst: 5, now: clock.now, sleep: clock.sleep });
  for (let i = 0; i < 5; i++) await bucket.take();
  t.equal(bucket.available, 0);
  clock.ms += 60_000;
  t.equal(bucket.available, 5, 'a minute later: 5 tokens, the burst');
  const before = clock.ms;
  for (let i = 0; i < 6; i++) await bucket.take();
  t.equal(clock.ms - before, 100, 'five at once, the sixth after 100 ms');
});

t.test('a fractional rate works: 0.5/s is one write every 2 s', async (t) => {
  const clock = new FakeClock();
  const bucket = new TokenBucket({ ratePerSecond: 0.5, now: clock.now, sleep: clock.sleep });
  await bucket.take();
  await bucket.take();
  t.equal(clock.ms, 2000);
});

t.test('an aborted wait rejects, and the next taker is still served', async (t) => {
  const clock = new FakeClock();
  const bucket = new TokenBucket({ ratePerSecond: 1, burst: 1, now: clock.now, sleep: clock.sleep });
  await bucket.take();
  const controller = new AbortController();
  controller.abort(new Error('stopped'));
  await t.rejects(bucket.take(controller.signal), /stopped/);
  await bucket.take();
  t.equal(clock.ms, 1000);
});

t.test('settings are checked when the bucket is made', async (t) => {
  t.throws(() => new TokenBucket({ ratePerSecond: 0 }), RangeError);
  t.throws(() => new TokenBucket({ ratePerSecond: Number.NaN }), RangeError);
  t.throws(() => new TokenBucket({ ratePerSecond: 5, burst: 0 }), RangeError);
  t.throws(() => new TokenBucket({ ratePerSecond: 5, burst: 1.5 }), RangeError);
  t.equal(new TokenBucket({ ratePerSecond: 0.2 }).available, 1, 'a rate below 1 still allows one at once');
});
