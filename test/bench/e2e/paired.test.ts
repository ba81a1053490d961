import t from 'tap';
import { pairedEstimate, roundsFor, t95, verdict } from './paired.js';

const close = (actual: number | undefined, expected: number, digits = 3): boolean =>
  actual !== undefined && Math.abs(actual - expected) < 10 ** -digits;

t.test('t95: the table, beyond it, and refusals', async (t) => {
  t.equal(t95(1), 12.706);
  t.equal(t95(8), 2.306);
  t.equal(t95(30), 2.042);
  t.ok(close(t95(31), 2.0395), `df 31, the first past the table: ${t95(31)}`);
  // Published two-sided 95% quantiles: df 40 → 2.021, 60 → 2.000, 120 → 1.980.
  t.ok(close(t95(40), 2.021), `df 40: ${t95(40)}`);
  t.ok(close(t95(60), 2.0), `df 60: ${t95(60)}`);
  t.ok(close(t95(120), 1.98), `df 120: ${t95(120)}`);
  t.throws(() => t95(0), RangeError);
  t.throws(() => t95(2.5), RangeError);
});

t.test('pairedEstimate: geometric mean and a t interval on the logs', async (t) => {
  // 1.25× and 0.8× are the same distance from 1× either way: the mean is 1×.
  const two = pairedEstimate([1.25, 0.8]);
  t.equal(two.rounds, 2);
  t.ok(close(two.geometricMean, 1), `geometric mean ${two.geometricMean}`);
  // logs ±0.22314, sample sd 0.31557, half width 12.706 × 0.31557 / √2 = 2.8353.
  t.ok(close(Math.log(two.low as number), -2.8353), `low ${two.low}`);
  t.ok(close(Math.log(two.high as number), 2.8353), `high ${two.high}`);

  const nine = pairedEstimate([1.04, 0.66, 1.31, 0.73, 1.04, 1.13, 0.83, 1.22, 0.73]);
  t.equal(nine.rounds, 9);
  t.ok(close(nine.geometricMean, 0.93949, 5), `geometric mean ${nine.geometricMean}`);
  t.ok(nine.low !== undefined && nine.high !== undefined && nine.low < 0.95 && nine.high > 0.95, 'a spread-out run straddles 0.95');

  const steady = pairedEstimate([0.97, 0.97, 0.97, 0.97]);
  t.ok(close(steady.low, 0.97) && close(steady.high, 0.97), 'no spread, no width');
});

t.test('pairedEstimate: rounds without a usable ratio are left out', async (t) => {
  const estimate = pairedEstimate([1, Number.NaN, 0, Number.POSITIVE_INFINITY, 1]);
  t.equal(estimate.rounds, 2);
  t.ok(close(estimate.geometricMean, 1));
  const one = pairedEstimate([0.9]);
  t.equal(one.rounds, 1);
  t.ok(close(one.geometricMean, 0.9));
  t.equal(one.low, undefined, 'one round has no interval');
  t.equal(pairedEstimate([]).rounds, 0);
});

t.test('verdict: met, not met, undecided', async (t) => {
  t.equal(verdict(pairedEstimate([0.97, 0.99, 0.98, 1.0]), 0.95), 'met');
  t.equal(verdict(pairedEstimate([0.85, 0.86, 0.84, 0.87]), 0.95), 'not met');
  t.equal(verdict(pairedEstimate([0.8, 1.1, 0.9, 1.2]), 0.95), 'undecided');
  t.equal(verdict(pairedEstimate([1.2]), 0.95), 'undecided', 'one round decides nothing, however high');
  t.equal(verdict({ rounds: 3, geometricMean: 1, low: 0.95, high: 1.05 }, 0.95), 'met', 'the bound itself counts as met');
  t.equal(verdict({ rounds: 3, geometricMean: 0.9, low: 0.85, high: 0.95 }, 0.95), 'undecided', 'an interval reaching up to the target');
  t.equal(verdict(pairedEstimate([0.9, 0.9, 0.9]), 0.9), 'met', 'a steady ratio at the target, whatever exp(log(x)) rounds to');
});

t.test('roundsFor: the fewest rounds whose interval is within the margin at this spread', async (t) => {
  const sample = [1.04, 0.66, 1.31, 0.73, 1.04, 1.13, 0.83, 1.22, 0.73];
  const needed = roundsFor(sample, 0.05);
  t.ok(needed !== undefined && needed > 9, `needed ${needed}`);
  const logs = sample.map(Math.log);
  const mean = logs.reduce((a, b) => a + b, 0) / logs.length;
  const sd = Math.sqrt(logs.reduce((a, b) => a + (b - mean) ** 2, 0) / (logs.length - 1));
  const half = (n: number): number => (t95(n - 1) * sd) / Math.sqrt(n);
  const n = needed as number;
  t.ok(half(n) <= Math.log(1.05), 'that many rounds are enough');
  t.ok(half(n - 1) > Math.log(1.05), 'one fewer is not');
  t.ok((roundsFor(sample, 0.1) as number) < n, 'a wider margin needs fewer rounds');
  t.equal(roundsFor([0.97, 0.97], 0.05), 2, 'no spread: two rounds');
  t.equal(roundsFor([0.97], 0.05), undefined);
  t.equal(roundsFor(sample, Number.NaN), undefined, 'no margin, no answer');
  t.equal(roundsFor(sample, 0), undefined);
});
