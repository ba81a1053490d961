/**
 * `node --import tsx test/bench/e2e/pool.ts RESULTS.json...`: the Palisade / null webhook ratio, and
 * Palisade's own cost from CPU (report.ts), of each `npm run bench:e2e -- --json FILE` result and of
 * all their rounds pooled. One run of 9 rounds rarely narrows the throughput ratio's interval enough
 * on a noisy machine; several runs of the same build together can. Pool only runs of the same code
 * and settings (the tool cannot tell), and whole cycles of rounds: rotation cancels a drift within
 * rounds only over a multiple of three. Rounds of different runs are treated as independent; when
 * the runs themselves differ, the pooled interval is too narrow, so read it beside each run's.
 */
import { readFileSync } from 'node:fs';
import { pairedEstimate, type PairedEstimate } from './paired.js';
import { formatEstimate, formatMicroseconds, PALISADE_TO_NULL_TARGET, summarise, targetLine, type Run } from './report.js';

const files = process.argv.slice(2);
if (files.length === 0) {
  process.stderr.write('usage: node --import tsx test/bench/e2e/pool.ts RESULTS.json...\n');
  process.exit(2);
}

const describe = (p: PairedEstimate, perRound: readonly number[]): string =>
  p.rounds === 0
    ? 'no round with both webhooks'
    : `${formatEstimate(p, 3)} over ${p.rounds} rounds; target ≥ ${PALISADE_TO_NULL_TARGET}×: ${targetLine(p, perRound)}`;

function report(label: string, ratio: number[], own: number[], webhookDelta: number[], othersDelta: number[]): void {
  console.log(`${label}:`);
  console.log(`  palisade / null: ${describe(pairedEstimate(ratio), ratio)}`);
  console.log(`  own cost from CPU: ${describe(pairedEstimate(own), own)}`);
  console.log(`  Palisade's webhook − the null webhook's: ${formatMicroseconds(webhookDelta)} per Pod; the other processes, Palisade's runs − null's: ${formatMicroseconds(othersDelta)} per Pod`);
}

const pooled = { ratio: [] as number[], own: [] as number[], webhook: [] as number[], others: [] as number[] };
for (const file of files) {
  let runs: Run[];
  try {
    const results = JSON.parse(readFileSync(file, 'utf8')) as { runs?: Run[] };
    if (!Array.isArray(results.runs)) throw new Error('no "runs" array: not a bench:e2e result');
    runs = results.runs;
  } catch (error) {
    process.stderr.write(`${file}: ${(error as Error).message}\n`);
    process.exit(1);
  }
  const { ratios, ownCost } = summarise(runs);
  const rounds = new Set(runs.map((r) => r.round)).size;
  report(`${file}${rounds % 3 === 0 ? '' : ` (${rounds} rounds: not whole cycles of the rotation)`}`, ratios.palisadeToNull.perRound, ownCost.perRound, ownCost.webhookDeltaUs, ownCost.othersDeltaUs);
  pooled.ratio.push(...ratios.palisadeToNull.perRound);
  pooled.own.push(...ownCost.perRound);
  pooled.webhook.push(...ownCost.webhookDeltaUs);
  pooled.others.push(...ownCost.othersDeltaUs);
}
report('pooled', pooled.ratio, pooled.own, pooled.webhook, pooled.others);
