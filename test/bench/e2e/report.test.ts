import t from 'tap';
import { formatReport, summarise, type Run } from './report.js';
import type { SetupName } from './setups.js';

/** A run as run.ts records it, with the numbers that matter here. */
function run(round: number, setup: SetupName, podsPerSecond: number, cpu: Record<string, number>): Run {
  return {
    setup,
    round,
    position: 1,
    namespace: `bench-${round}-${setup}`,
    load: { created: 100, failed: 0, failures: [], elapsedMs: 15_000, podsPerSecond, p50Ms: 30, p99Ms: 90, maxMs: 120 },
    warmup: { created: 10, failed: 0, failures: [] },
    cpuUsPerPod: cpu,
    namespaceDeleteMs: 30_000,
  };
}

const LABELS: Record<SetupName, string> = { none: 'no webhook', null: 'null webhook', palisade: 'palisade' };

t.test('own cost from CPU: the null run over itself plus Palisade\'s extra webhook CPU, round by round', async (t) => {
  // Round 1: the others use 5,000 µs per Pod in both runs; Palisade's webhook 200 µs more → 5,300 / 5,500.
  // Round 2: the others swing by +800 µs in Palisade's run (the host's noise); the estimate ignores
  // it, the throughput ratio does not.
  const runs = [
    run(1, 'none', 500, { 'kube-apiserver': 4000, etcd: 600 }),
    run(1, 'null', 400, { 'kube-apiserver': 4400, etcd: 600, webhook: 300 }),
    run(1, 'palisade', 390, { 'kube-apiserver': 4400, etcd: 600, webhook: 500 }),
    run(2, 'null', 420, { 'kube-apiserver': 4400, etcd: 600, webhook: 300 }),
    run(2, 'palisade', 300, { 'kube-apiserver': 5200, etcd: 600, webhook: 400 }),
    run(2, 'none', 480, { 'kube-apiserver': 4000, etcd: 600 }),
  ];
  const { ownCost, ratios } = summarise(runs);
  t.equal(ownCost.perRound.length, 2);
  t.ok(Math.abs((ownCost.perRound[0] as number) - 5300 / 5500) < 1e-12, `round 1: ${ownCost.perRound[0]}`);
  t.ok(Math.abs((ownCost.perRound[1] as number) - 5300 / 5400) < 1e-12, `round 2: ${ownCost.perRound[1]}`);
  t.same(ownCost.othersDeltaUs, [0, 800], 'the others: 0 and +800 µs per Pod');
  t.same(ownCost.webhookDeltaUs, [200, 100]);
  t.ok(Math.abs(ownCost.cpuRatio.geometricMean - Math.sqrt((5300 / 5500) * (5300 / 6200))) < 1e-12, 'the whole CPU ratio keeps the others\' swing');
  t.ok(Math.abs(ownCost.paired.geometricMean - Math.sqrt((5300 / 5500) * (5300 / 5400))) < 1e-12);
  t.ok(Math.abs((ratios.palisadeToNull.perRound[1] as number) - 300 / 420) < 1e-12, 'the throughput ratio keeps the noise');

  const text = formatReport(summarise(runs), runs, LABELS);
  t.match(text, /Palisade's own cost from CPU .*: 0\.973× \(95% CI [\d.]+–[\d.]+×\); per round: 0\.964, 0\.981/);
  t.match(text, /the other processes, Palisade's runs − the null webhook's: 400 µs \(95% CI -\d+ to \d+\) per Pod/);
  t.match(text, /Palisade's webhook − the null webhook's: 150 µs/);
  t.match(text, /palisade \/ null webhook: {3}0\.84× of medians; paired by round 0\.83× \(geometric mean, 95% CI/);
  t.match(text, /own cost from CPU[^\n]*\n\s+target ≥ 0\.95×: undecided: the 95% interval straddles it; at this spread, about \d+ rounds would narrow it[^\n]*, if the other processes' CPU per Pod does not depend on the webhook\n/);
});

t.test('own cost from CPU: a switched-off webhook and a process measured in one run only are left out', async (t) => {
  const runs = [
    run(1, 'null', 400, { 'kube-apiserver': 4400, 'kube-controller-manager': 300, webhook: 300, 'idle webhooks': 900 }),
    run(1, 'palisade', 390, { 'kube-apiserver': 4400, webhook: 500, 'idle webhooks': 0 }),
  ];
  const { ownCost } = summarise(runs);
  t.same(ownCost.perRound, [4700 / 4900], 'neither the idle Palisade nor the controller manager read only in the null run');
  t.same(ownCost.othersDeltaUs, [0]);
});

t.test('own cost from CPU: a round without both webhooks\' CPU is left out', async (t) => {
  const runs = [
    run(1, 'null', 400, { 'kube-apiserver': 4400, webhook: 300 }),
    run(1, 'palisade', 390, { 'kube-apiserver': 4400 }),
    run(2, 'null', 400, { 'kube-apiserver': 4400, webhook: 300 }),
  ];
  const { ownCost } = summarise(runs);
  t.same(ownCost.perRound, []);
  t.equal(ownCost.paired.rounds, 0);
  t.match(formatReport(summarise(runs), runs, LABELS), /own cost from CPU[^\n]*\n\s+target ≥ 0\.95×: undecided: fewer than two rounds, no interval/);
});

t.test('a steady set of rounds decides the target either way', async (t) => {
  const rounds = (palisadeWebhook: number): Run[] =>
    [1, 2, 3].flatMap((round) => [
      run(round, 'null', 400, { 'kube-apiserver': 4700 + round, webhook: 300 }),
      run(round, 'palisade', 400, { 'kube-apiserver': 4700 + round, webhook: palisadeWebhook + round }),
    ]);
  t.match(formatReport(summarise(rounds(400)), rounds(400), LABELS), /own cost from CPU[^\n]*\n\s+target ≥ 0\.95×: met \(the whole 95% interval is at or above it\)/);
  t.match(formatReport(summarise(rounds(700)), rounds(700), LABELS), /own cost from CPU[^\n]*\n\s+target ≥ 0\.95×: not met \(the whole 95% interval is below it\)/);
});
