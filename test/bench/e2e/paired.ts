/**
 * The throughput ratio of two setups estimated from paired rounds, with how sure it is.
 *
 * Each round runs every setup once, back to back, in rotated order, so a round's ratio compares
 * runs taken minutes apart. This machine's speed drifts by 30% and more between rounds (no webhook:
 * 318–580 Pods/s within one run), which moves both runs of a round together; the ratio of medians
 * across rounds mixes that drift in. The estimate is the geometric mean of the per-round ratios,
 * with a Student-t 95% confidence interval on their logarithms: ratios multiply, so their logs are
 * what averages fairly (1.25× and 0.8× are the same distance from 1×), and rotation over whole
 * cycles of the setups cancels a steady drift within rounds.
 */

export interface PairedEstimate {
  rounds: number;
  /** Geometric mean of the per-round ratios. */
  geometricMean: number;
  /** 95% confidence interval of it; undefined with fewer than two rounds. */
  low?: number;
  high?: number;
}

export type Verdict = 'met' | 'not met' | 'undecided';

// Two-sided 95% quantiles of Student's t for 1–30 degrees of freedom.
const T_95 = [
  12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131,
  2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042,
];

/** The two-sided 95% quantile of Student's t with `df` degrees of freedom (df ≥ 1). */
export function t95(df: number): number {
  if (!Number.isInteger(df) || df < 1) throw new RangeError(`degrees of freedom must be a whole number ≥ 1, got ${df}`);
  const tabled = T_95[df - 1];
  if (tabled !== undefined) return tabled;
  // Beyond the table: the normal quantile with its first two corrections for t (error < 0.001 here).
  const z = 1.959964;
  return z + (z ** 3 + z) / (4 * df) + (5 * z ** 5 + 16 * z ** 3 + 3 * z) / (96 * df ** 2);
}

export interface MeanInterval {
  n: number;
  mean: number;
  /** Sample standard deviation; NaN with fewer than two values. */
  sd: number;
  /** Student-t 95% confidence interval of the mean; undefined with fewer than two values. */
  low?: number;
  high?: number;
}

/** Mean of finite values with a Student-t 95% confidence interval. */
export function meanInterval(values: readonly number[]): MeanInterval {
  const xs = values.filter(Number.isFinite);
  const n = xs.length;
  const mean = n === 0 ? Number.NaN : xs.reduce((a, b) => a + b, 0) / n;
  if (n < 2) return { n, mean, sd: Number.NaN };
  const sd = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1));
  const half = (t95(n - 1) * sd) / Math.sqrt(n);
  return { n, mean, sd, low: mean - half, high: mean + half };
}

/** The interval of the logs of the usable (positive, finite) ratios. */
function logInterval(perRound: readonly number[]): MeanInterval {
  return meanInterval(perRound.filter((r) => Number.isFinite(r) && r > 0).map(Math.log));
}

export function pairedEstimate(perRound: readonly number[]): PairedEstimate {
  const { n, mean, low, high } = logInterval(perRound);
  if (low === undefined || high === undefined) return { rounds: n, geometricMean: Math.exp(mean) };
  return { rounds: n, geometricMean: Math.exp(mean), low: Math.exp(low), high: Math.exp(high) };
}

/**
 * Whether the estimate shows a ratio of at least `target`: met when the whole interval is at or
 * above it, not met when the whole interval is below, undecided when the interval straddles it (the
 * rounds cannot tell, and more of them, or a quieter machine, are needed).
 */
export function verdict(estimate: PairedEstimate, target: number): Verdict {
  if (estimate.low === undefined || estimate.high === undefined) return 'undecided';
  // exp(log(x)) need not give x back exactly: a steady ratio equal to the target is at it.
  const slack = target * 1e-12;
  if (estimate.low >= target - slack) return 'met';
  if (estimate.high < target - slack) return 'not met';
  return 'undecided';
}

/** Where roundsFor stops counting. */
export const MAX_ROUNDS = 10_000;

/**
 * How many rounds would narrow the interval to ±`margin` (as a factor: 0.05 for ±5%) at the spread
 * these rounds showed (at most MAX_ROUNDS). An estimate for planning runs; undefined with fewer than
 * two rounds or a margin that is not a positive number.
 */
export function roundsFor(perRound: readonly number[], margin: number): number | undefined {
  const { n, sd } = logInterval(perRound);
  if (n < 2 || !(margin > 0) || !Number.isFinite(margin)) return undefined;
  const width = Math.log1p(margin);
  let rounds = 2;
  while (rounds < MAX_ROUNDS && (t95(rounds - 1) * sd) / Math.sqrt(rounds) > width) rounds++;
  return rounds;
}
