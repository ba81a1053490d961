/**
 * Runs → medians per setup; throughput ratios, of the medians and paired within each round with a
 * confidence interval and whether it shows the target; Palisade's own cost from CPU, likewise; and
 * the printed table. Pure: the numbers in, text and data out.
 */
import { median, type LoadResult } from './load.js';
import { MAX_ROUNDS, meanInterval, pairedEstimate, roundsFor, verdict, type PairedEstimate } from './paired.js';
import type { SetupName, WebhookConfiguration } from './setups.js';

export interface Run {
  setup: SetupName;
  round: number;
  /** 1-based position of the run within its round. */
  position: number;
  namespace: string;
  load: LoadResult;
  warmup: { created: number; failed: number; failures: string[] };
  /** µs of CPU per created Pod: kube-apiserver, etcd, kube-controller-manager, webhook, idle webhooks (those switched off), client. */
  cpuUsPerPod: Record<string, number>;
  /** CPU used by other processes on the machine during the measured window, in cores. */
  otherCpuCores?: number;
  namespaceDeleteMs: number;
  /** Palisade's own count of the Pod creates it decided during the run (warm-up included), by decision. */
  webhookDecisions?: Record<string, number>;
}

export interface SetupSummary {
  podsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  cpuUsPerPod: Record<string, number>;
}

export interface Ratio {
  /** Ratio of the median throughputs. */
  ofMedians: number;
  /** Throughput ratio within each round, in round order. */
  perRound: number[];
  /** The per-round ratios' geometric mean and its 95% confidence interval (paired.ts). */
  paired: PairedEstimate;
}

/** Palisade / null webhook: Palisade's own cost, as the issue sets it. */
export const PALISADE_TO_NULL_TARGET = 0.95;

/**
 * Palisade's own cost from CPU, round by round: Palisade's process's CPU per Pod beyond the null
 * webhook's, as a ratio over the null run's CPU per Pod of the benchmark's processes (the API
 * server, etcd, the controller manager, the webhook and the load generator; not the webhook switched
 * off, whose CPU belongs to the other setup). It is what Palisade / null comes to when CPU is the
 * limit and only the webhook differs. The others get the same requests and the same answers from
 * either webhook, yet their CPU per Pod moves by ±1.5 ms from run to run with the host's load, much
 * more than the webhooks' difference; leaving that out makes this far narrower than the throughput
 * ratio, but only as true as its assumption that the others' CPU does not depend on which webhook
 * answers. `othersDeltaUs` shows how far the rounds confirm that (not far: its interval is wide).
 */
export interface OwnCost {
  /** Per round: the null run's CPU per Pod / (that + Palisade's webhook CPU − the null webhook's). */
  perRound: number[];
  paired: PairedEstimate;
  /** The same processes' whole CPU per Pod, null's run / Palisade's run, paired by round: what the estimate leaves out, kept in. */
  cpuRatio: PairedEstimate;
  /** Per round: the other processes' CPU per Pod in Palisade's run − in the null webhook's, µs. */
  othersDeltaUs: number[];
  /** Per round: Palisade's webhook CPU per Pod − the null webhook's, µs. */
  webhookDeltaUs: number[];
}

export interface Summary {
  setups: Record<SetupName, SetupSummary>;
  ratios: { palisadeToNull: Ratio; palisadeToNone: Ratio; nullToNone: Ratio };
  ownCost: OwnCost;
  failed: number;
  /** Palisade runs in which Palisade did not allow exactly the Pods that were stored. */
  undecided: number;
}

/** Palisade allowed exactly the Pods that were created, and decided nothing else. */
function allAllowed(run: Run): boolean {
  const decisions = run.webhookDecisions ?? {};
  const stored = run.load.created + run.warmup.created;
  return decisions['allowed'] === stored && Object.values(decisions).reduce((a, b) => a + b, 0) === stored;
}

const SETUPS: readonly SetupName[] = ['none', 'null', 'palisade'];
const CPU_COLUMNS = ['kube-apiserver', 'etcd', 'webhook', 'idle webhooks'] as const;

export function summarise(runs: readonly Run[]): Summary {
  const setups = {} as Record<SetupName, SetupSummary>;
  for (const setup of SETUPS) {
    const mine = runs.filter((r) => r.setup === setup);
    const names = [...new Set(mine.flatMap((r) => Object.keys(r.cpuUsPerPod)))];
    const cpuUsPerPod: Record<string, number> = {};
    for (const name of names) cpuUsPerPod[name] = median(mine.map((r) => r.cpuUsPerPod[name]).filter((v): v is number => v !== undefined));
    // Every process, summed per run, then the median: not the sum of the medians.
    if (names.length > 0) cpuUsPerPod['all'] = median(mine.map(cpuOfAll));
    setups[setup] = {
      podsPerSecond: median(mine.map((r) => r.load.podsPerSecond)),
      p50Ms: median(mine.map((r) => r.load.p50Ms)),
      p99Ms: median(mine.map((r) => r.load.p99Ms)),
      cpuUsPerPod,
    };
  }
  const ratio = (a: SetupName, b: SetupName): Ratio => {
    const rounds = [...new Set(runs.map((r) => r.round))].sort((x, y) => x - y);
    const perRound = rounds.flatMap((round) => {
      const ra = runs.find((r) => r.round === round && r.setup === a);
      const rb = runs.find((r) => r.round === round && r.setup === b);
      const value = ra && rb ? ra.load.podsPerSecond / rb.load.podsPerSecond : Number.NaN;
      return Number.isFinite(value) && value > 0 ? [value] : [];
    });
    return { ofMedians: setups[a].podsPerSecond / setups[b].podsPerSecond, perRound, paired: pairedEstimate(perRound) };
  };
  return {
    setups,
    ratios: { palisadeToNull: ratio('palisade', 'null'), palisadeToNone: ratio('palisade', 'none'), nullToNone: ratio('null', 'none') },
    ownCost: ownCost(runs),
    failed: runs.reduce((n, r) => n + r.load.failed + r.warmup.failed, 0),
    undecided: runs.filter((r) => r.webhookDecisions && !allAllowed(r)).length,
  };
}

const cpuOfAll = (run: Run): number => Object.values(run.cpuUsPerPod).reduce((a, b) => a + b, 0);

/** A switched-off webhook is the other setup's process: not part of either run's cost here. */
const IDLE = 'idle webhooks';

function ownCost(runs: readonly Run[]): OwnCost {
  const perRound: number[] = [];
  const cpuRatios: number[] = [];
  const othersDelta: number[] = [];
  const webhookDelta: number[] = [];
  for (const round of [...new Set(runs.map((r) => r.round))].sort((x, y) => x - y)) {
    const nul = runs.find((r) => r.round === round && r.setup === 'null');
    const palisade = runs.find((r) => r.round === round && r.setup === 'palisade');
    if (!nul || !palisade) continue;
    // The processes measured in both runs (a process whose /proc reading failed is left out of both).
    const names = Object.keys(nul.cpuUsPerPod).filter((name) => name !== IDLE && palisade.cpuUsPerPod[name] !== undefined);
    if (!names.includes('webhook')) continue;
    const sum = (run: Run, except?: string): number => names.reduce((total, name) => total + (name === except ? 0 : (run.cpuUsPerPod[name] as number)), 0);
    const extra = (palisade.cpuUsPerPod['webhook'] as number) - (nul.cpuUsPerPod['webhook'] as number);
    perRound.push(sum(nul) / (sum(nul) + extra));
    cpuRatios.push(sum(nul) / sum(palisade));
    othersDelta.push(sum(palisade, 'webhook') - sum(nul, 'webhook'));
    webhookDelta.push(extra);
  }
  return {
    perRound,
    paired: pairedEstimate(perRound),
    cpuRatio: pairedEstimate(cpuRatios),
    othersDeltaUs: othersDelta,
    webhookDeltaUs: webhookDelta,
  };
}

const fmt = (n: number | undefined, digits = 1): string => (n === undefined || Number.isNaN(n) ? '—' : n.toFixed(digits));

export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

export function formatReport(summary: Summary, runs: readonly Run[], labels: Record<SetupName, string>): string {
  const out: string[] = [];
  out.push(
    table(
      ['setup', 'pods/s', 'p50 ms', 'p99 ms', ...CPU_COLUMNS.map((c) => `${c === 'kube-apiserver' ? 'apiserver' : c} CPU µs/pod`), 'all CPU µs/pod'],
      SETUPS.map((setup) => {
        const s = summary.setups[setup];
        return [labels[setup], fmt(s.podsPerSecond), fmt(s.p50Ms), fmt(s.p99Ms), ...CPU_COLUMNS.map((c) => fmt(s.cpuUsPerPod[c], 0)), fmt(s.cpuUsPerPod['all'], 0)];
      }),
    ),
  );
  const ratio = (r: Ratio): string => {
    const p = r.paired;
    const interval = p.low === undefined || p.high === undefined ? '' : `, 95% CI ${fmt(p.low, 2)}–${fmt(p.high, 2)}×`;
    return `${fmt(r.ofMedians, 2)}× of medians; paired by round ${fmt(p.geometricMean, 2)}× (geometric mean${interval}; per round: ${r.perRound.map((x) => fmt(x, 2)).join(', ')})`;
  };
  const own = summary.ratios.palisadeToNull;
  out.push(`   palisade / null webhook:   ${ratio(own)}; Palisade's own cost`);
  out.push(`      target ≥ ${PALISADE_TO_NULL_TARGET}×: ${targetLine(own.paired, own.perRound)}`);
  const fromCpu = summary.ownCost;
  out.push(
    `   Palisade's own cost from CPU (per round, the null run's CPU per Pod, idle webhook left out, over that plus Palisade's extra webhook CPU): ` +
      `${formatEstimate(fromCpu.paired, 3)}; per round: ${fromCpu.perRound.map((x) => fmt(x, 3)).join(', ')}`,
  );
  out.push(`      target ≥ ${PALISADE_TO_NULL_TARGET}×: ${targetLine(fromCpu.paired, fromCpu.perRound)}, if the other processes' CPU per Pod does not depend on the webhook`);
  out.push(
    `      Palisade's webhook − the null webhook's: ${formatMicroseconds(fromCpu.webhookDeltaUs)} per Pod; the other processes, Palisade's runs − the null webhook's: ` +
      `${formatMicroseconds(fromCpu.othersDeltaUs)} per Pod (the assumption, untested beyond that interval); ` +
      `both together, CPU per Pod null / Palisade by round: ${formatEstimate(fromCpu.cpuRatio, 3)}`,
  );
  out.push(`   palisade / no webhook:     ${ratio(summary.ratios.palisadeToNone)}; Kyverno 1.18.1's own benchmark, one replica: 0.69×`);
  out.push(`   null webhook / no webhook: ${ratio(summary.ratios.nullToNone)}; what calling any webhook costs`);
  const all = (setup: SetupName): number | undefined => summary.setups[setup].cpuUsPerPod['all'];
  const cpuRatio = (a: SetupName, b: SetupName): string => {
    const ca = all(a);
    const cb = all(b);
    return ca === undefined || cb === undefined ? '—' : `${fmt(cb / ca, 2)}×`;
  };
  out.push(
    `   the same ratios from CPU per Pod (all processes; what throughput comes to when the machine is the limit): ` +
      `palisade / null ${cpuRatio('palisade', 'null')}, palisade / none ${cpuRatio('palisade', 'none')}, null / none ${cpuRatio('null', 'none')}`,
  );
  out.push(`   failed requests: ${summary.failed}; Palisade runs where Palisade did not allow exactly the Pods stored: ${summary.undecided}`);
  out.push('');
  out.push('   runs (round.position setup: pods/s, p50/p99 ms, Pods created, CPU used by other processes in cores, namespace deletion s):');
  for (const r of runs) {
    out.push(
      `   ${r.round}.${r.position} ${r.setup.padEnd(8)} ${fmt(r.load.podsPerSecond).padStart(6)}/s  ${fmt(r.load.p50Ms)}/${fmt(r.load.p99Ms)} ms  ` +
        `${r.load.created + r.warmup.created} Pods${r.webhookDecisions ? ` (${Object.entries(r.webhookDecisions).map(([d, n]) => `${n} ${d}`).join(', ')} by Palisade)` : ''}  ` +
        `others ${fmt(r.otherCpuCores, 2)}  ${fmt(r.namespaceDeleteMs / 1000)} s` +
        (r.load.failed + r.warmup.failed > 0 ? `  FAILED ${r.load.failed + r.warmup.failed}: ${r.load.failures[0] ?? r.warmup.failures[0] ?? ''}` : ''),
    );
  }
  return out.join('\n');
}

/** A paired estimate as `0.959× (95% CI 0.950–0.967×)`. */
export function formatEstimate(p: PairedEstimate, digits: number): string {
  return `${fmt(p.geometricMean, digits)}×${p.low === undefined ? '' : ` (95% CI ${fmt(p.low, digits)}–${fmt(p.high, digits)}×)`}`;
}

/** Per-round differences as their mean with its interval: `-132 µs (95% CI -564 to 300)`. */
export function formatMicroseconds(values: readonly number[]): string {
  const m = meanInterval(values);
  return `${fmt(m.mean, 0)} µs${m.low === undefined ? '' : ` (95% CI ${fmt(m.low, 0)} to ${fmt(m.high, 0)})`}`;
}

/**
 * Whether the paired rounds show the target, and when they cannot, about how many rounds at this
 * spread would narrow the interval to the estimate's distance from the target (which, were the
 * estimate right, decides it about half the time; twice as many rounds, about 80%).
 */
export function targetLine(estimate: PairedEstimate, perRound: readonly number[]): string {
  const decided = verdict(estimate, PALISADE_TO_NULL_TARGET);
  if (decided !== 'undecided') return `${decided} (the whole 95% interval is ${decided === 'met' ? 'at or above' : 'below'} it)`;
  if (estimate.low === undefined) return 'undecided: fewer than two rounds, no interval';
  const distance = Math.abs(Math.log(estimate.geometricMean / PALISADE_TO_NULL_TARGET));
  if (!(distance > 0)) return 'undecided: the estimate sits on the target';
  const needed = roundsFor(perRound, Math.expm1(distance));
  return `undecided: the 95% interval straddles it${needed === undefined ? '' : `; at this spread, about ${needed >= MAX_ROUNDS ? `${MAX_ROUNDS} or more` : needed} rounds would narrow it to the estimate's distance from the target`}`;
}

/** One line per configuration: its webhooks, with failure policy and the resources they receive. */
export function describeRegistration(configs: readonly WebhookConfiguration[]): string[] {
  return configs.map((config) => {
    const webhooks = config.webhooks.map((w) => {
      const resources = [...new Set((w.rules ?? []).flatMap((r) => r.resources))];
      return `${w.name} (${w.failurePolicy ?? '?'}; ${resources.length > 6 ? `${resources.slice(0, 6).join(', ')}, …` : resources.join(', ')})`;
    });
    return `${config.kind}: ${webhooks.join('; ')}`;
  });
}
