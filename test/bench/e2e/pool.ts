/**
 * `node --import tsx test/bench/e2e/pool.ts RESULTS.json...`: the Palisade / null webhook ratio, and
 * Palisade's own cost from CPU (report.ts), of each `npm run bench:e2e -- --json FILE` result and of
 * all their rounds pooled. One run of 9
 * rounds rarely narrows the interval enough on a noisy machine; several runs of the same build
 * together can. Pool only runs of the same code and settings: the tool cannot tell.
 */
import { readFileSync } from 'node:fs';
import { pairedEstimate, roundsFor, verdict, type PairedEstimate } from './paired.js';
import { PALISADE_TO_NULL_TARGET, summarise, type Run } from './report.js';

const files = process.argv.slice(2);
if (files.length === 0) {
  process.stderr.write('usage: node --import tsx test/bench/e2e/pool.ts RESULTS.json...\n');
  process.exit(2);
}

const describe = (p: PairedEstimate): string =>
  `${p.geometricMean.toFixed(3)}× over ${p.rounds} rounds` +
  (p.low === undefined || p.high === undefined ? '' : ` (95% CI ${p.low.toFixed(3)}–${p.high.toFixed(3)}×)`) +
  `; target ≥ ${PALISADE_TO_NULL_TARGET}×: ${verdict(p, PALISADE_TO_NULL_TARGET)}`;

const pooledRatio: number[] = [];
const pooledOwn: number[] = [];
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
  const summary = summarise(runs);
  pooledRatio.push(...summary.ratios.palisadeToNull.perRound);
  pooledOwn.push(...summary.ownCost.perRound);
  console.log(`${file}:\n  palisade / null ${describe(summary.ratios.palisadeToNull.paired)}\n  own cost from CPU ${describe(summary.ownCost.paired)}`);
}
console.log(`pooled:\n  palisade / null ${describe(pairedEstimate(pooledRatio))}\n  own cost from CPU ${describe(pairedEstimate(pooledOwn))}`);
const needed = roundsFor(pooledRatio, 0.05);
if (needed !== undefined) console.log(`at the pooled spread of palisade / null between rounds, about ${needed} rounds narrow its interval to ±5%`);
