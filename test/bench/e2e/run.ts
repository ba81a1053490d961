/**
 * `npm run bench:e2e [-- --json FILE] [--seconds N] [--rounds N] [--concurrency N] [--warmup N] [--webhook-warmup N]`:
 * Pod-create throughput and latency through a real kube-apiserver (the e2e control plane on
 * loopback, at the pinned Kubernetes release), measured in one run three ways (setups.ts):
 * no webhook, a null webhook registered exactly as Palisade registers itself, and Palisade
 * enforcing the Pod Security Standards (palisade-pss.yaml) on a Restricted-compliant Pod, so every
 * request is evaluated by every PSS rule and allowed, and real Pods are stored.
 *
 * Both webhooks run through the whole benchmark and get `--webhook-warmup` seconds of unmeasured
 * load first, so both are measured warm (setups.ts says why). Each round runs every setup once,
 * the order rotated from round to round; each run gets a fresh namespace, a warm-up, then
 * `--seconds` of `--concurrency` clients creating Pods (load.ts), and its namespace is deleted
 * (Pods and all) before the next. Reported: medians over rounds, the throughput ratios
 * palisade / null and palisade / none (of the medians, and paired within rounds with a 95%
 * confidence interval and whether it shows the target: paired.ts), and CPU per Pod of each process
 * (cpu.ts), the webhooks switched off included. Results of several runs pool with pool.ts.
 * No timed assertions; results are discussed in BENCHMARKS.md.
 *
 * The code under test is dist/ (what ships): run `npm run build` first; `npm run bench:e2e` does.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { freePort, startControlPlane, type ControlPlane } from '../../e2e/control-plane/harness.js';
import { controlPlanePids, cpuPerPod, cpuSnapshot, machineBusyMs, otherCores } from './cpu.js';
import { KubeApi } from './kube-api.js';
import { createPods } from './load.js';
import { createNamespace, deleteNamespace } from './namespaces.js';
import { benchPodTemplate } from './pods.js';
import { describeRegistration, formatReport, summarise, type Run } from './report.js';
import { noWebhook, nullConfigurations, nullSetup, palisadeRegistration, palisadeSetup, webhookUrl, type Setup, type SetupName } from './setups.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const CONFIG_FILE = fileURLToPath(new URL('./palisade-pss.yaml', import.meta.url));

const { values: options } = parseArgs({
  options: {
    json: { type: 'string' },
    seconds: { type: 'string', default: '15' },
    rounds: { type: 'string', default: '3' },
    concurrency: { type: 'string', default: '16' },
    warmup: { type: 'string', default: '3' },
    'webhook-warmup': { type: 'string', default: '20' },
  },
});
const positive = (name: string, text: string | undefined): number => {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} "${text}": expected a whole number ≥ 1`);
  return n;
};
const SECONDS = positive('seconds', options.seconds);
const ROUNDS = positive('rounds', options.rounds);
const CONCURRENCY = positive('concurrency', options.concurrency);
const WARMUP = positive('warmup', options.warmup);
/** Seconds of unmeasured load through each webhook before the first round (JIT compilation). */
const WEBHOOK_WARMUP = positive('webhook-warmup', options['webhook-warmup']);

const pssRules = checkConfiguration();
const LABELS: Record<SetupName, string> = {
  none: 'no webhook',
  null: 'null webhook (allowed: true)',
  palisade: `palisade, PSS (${pssRules} rules, enforce)`,
};

/** The configuration must pin exactly the rules of rules/pod-security/ (folder = rule id). */
function checkConfiguration(): number {
  const config = parseYaml(readFileSync(CONFIG_FILE, 'utf8')) as { rules?: Record<string, { mode?: string }> };
  const pinned = Object.entries(config.rules ?? {}).filter(([, rule]) => rule.mode === 'enforce').map(([id]) => id).sort();
  const pss = readdirSync(join(ROOT, 'rules', 'pod-security')).sort();
  if (pinned.join() !== pss.join()) {
    throw new Error(`${CONFIG_FILE}: must pin every rule of rules/pod-security/ to enforce, and only those\n  pinned: ${pinned.join(', ')}\n  rules:  ${pss.join(', ')}`);
  }
  return pss.length;
}

const stop = new AbortController();
process.once('SIGINT', () => stop.abort(new Error('interrupted')));

const kubernetes = (JSON.parse(readFileSync(join(ROOT, 'standards', 'kubernetes-version.json'), 'utf8')) as { kubernetes: string }).kubernetes;
const machine = { node: process.version, cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', platform: `${process.platform}-${process.arch}` };
console.log(`palisade bench:e2e — node ${machine.node}, ${machine.cpus} × ${machine.cpuModel}, ${machine.platform}; Kubernetes ${kubernetes} on loopback\n`);

const progress = (text: string): void => void process.stderr.write(`${text}\n`);
const work = mkdtempSync(join(tmpdir(), 'palisade-bench-e2e-'));
const pod = benchPodTemplate();
let plane: ControlPlane | undefined;
let api: KubeApi | undefined;
const stoppers: (() => Promise<void>)[] = [];
const runs: Run[] = [];
let registration: string[] = [];

try {
  progress('starting the control plane');
  plane = await startControlPlane();
  for (const crd of ['rules.palisade.dev.yaml', 'exceptions.palisade.dev.yaml']) {
    const applied = plane.kubectl(['apply', '-f', join(ROOT, 'crds', crd)]);
    if (applied.code !== 0) throw new Error(applied.stderr);
  }
  const established = plane.kubectl(['wait', '--for=condition=Established', 'crd/rules.palisade.dev', 'crd/exceptions.palisade.dev', '--timeout=60s']);
  if (established.code !== 0) throw new Error(established.stderr);
  api = new KubeApi(plane.server, plane.token, { maxSockets: CONCURRENCY });
  const kube = api;

  const palisadePort = await freePort();
  const nullPort = await freePort();
  const certDir = join(work, 'certs');
  const palisadeOptions = { api: kube, root: ROOT, kubeconfig: plane.kubeconfig, certDir, port: palisadePort, configFile: CONFIG_FILE, name: 'palisade' };

  // A fresh API server is still settling (and its caches cold): one unmeasured run of load first.
  progress('warming up the control plane');
  await createNamespace(kube, 'bench-setup');
  await createPods(kube, { namespace: 'bench-setup', concurrency: CONCURRENCY, name: (seq) => `settle-${seq}`, body: pod.body, seconds: 2 * WARMUP, signal: stop.signal });

  // Palisade once as a user runs it, to generate its certificate and register itself; both
  // webhooks are then measured with a copy of what it registered.
  progress('running palisade once to copy its webhook configurations');
  const registered = await palisadeRegistration(palisadeOptions, 'bench-setup');
  registration = describeRegistration(registered);
  const palisade = palisadeSetup(palisadeOptions, registered);
  const nullWebhook = nullSetup({
    api: kube,
    root: ROOT,
    certDir,
    port: nullPort,
    configurations: nullConfigurations(registered, webhookUrl(palisadePort), webhookUrl(nullPort), 'palisade-null-bench'),
  });
  for (const webhook of [nullWebhook, palisade]) {
    await webhook.start();
    stoppers.push(() => webhook.close());
  }
  // Both webhooks past their JIT warm-up before the first measured run, as in a cluster where
  // they have served for a while: one unmeasured run of load through each.
  for (const webhook of [nullWebhook, palisade]) {
    progress(`warming up the ${webhook.name} webhook`);
    await webhook.on('bench-setup');
    const warm = await createPods(kube, { namespace: 'bench-setup', concurrency: CONCURRENCY, name: (seq) => `${webhook.name}-warm-${seq}`, body: pod.body, seconds: WEBHOOK_WARMUP, signal: stop.signal });
    if (warm.failed > 0) throw new Error(`warming up the ${webhook.name} webhook: ${warm.failed} Pod creates failed: ${warm.failures.join('; ')}`);
    await webhook.off('bench-setup');
  }
  await deleteNamespace(kube, 'bench-setup', stop.signal);

  const setups: Setup[] = [noWebhook(kube), nullWebhook, palisade];
  const planePids = controlPlanePids();
  for (let round = 1; round <= ROUNDS; round++) {
    const order = setups.map((_, i) => setups[(i + round - 1) % setups.length] as Setup);
    for (const [index, setup] of order.entries()) {
      stop.signal.throwIfAborted();
      const idle = setups.filter((other) => other !== setup).map((other) => other.pid()).filter((pid): pid is number => pid !== undefined);
      const run = await measure(kube, setup, round, index + 1, planePids, idle);
      runs.push(run);
      progress(`round ${round}/${ROUNDS} ${setup.name}: ${run.load.podsPerSecond.toFixed(1)} Pods/s, p99 ${run.load.p99Ms.toFixed(1)} ms${run.load.failed > 0 ? `, ${run.load.failed} failed: ${run.load.failures[0] ?? ''}` : ''}`);
    }
  }
} finally {
  for (const stopper of stoppers.reverse()) await stopper();
  api?.close();
  await plane?.stop();
  rmSync(work, { recursive: true, force: true });
}

async function measure(kube: KubeApi, setup: Setup, round: number, position: number, planePids: Record<string, number>, idleWebhookPids: number[]): Promise<Run> {
  const namespace = `bench-${round}-${setup.name}`;
  await createNamespace(kube, namespace);
  await setup.on(namespace);
  const load = (prefix: string, seconds: number) =>
    createPods(kube, {
      namespace,
      concurrency: CONCURRENCY,
      name: (seq) => `${prefix}-${seq}`,
      body: pod.body,
      seconds,
      signal: stop.signal,
    });
  const warmup = await load('warmup', WARMUP);
  const webhookPid = setup.pid();
  // The webhooks not switched on still run (and use a little CPU): counted, apart, in every run.
  const pids = { ...planePids, ...(webhookPid ? { webhook: webhookPid } : {}), 'idle webhooks': idleWebhookPids };
  const busyStart = machineBusyMs();
  const before = cpuSnapshot(pids);
  const measured = await load('pod', SECONDS);
  const after = cpuSnapshot(pids);
  const busyEnd = machineBusyMs();
  const others = otherCores(before, after, [busyStart, busyEnd], measured.elapsedMs);
  const decisions = await setup.decisions?.();
  await setup.off(namespace);
  const namespaceDeleteMs = await deleteNamespace(kube, namespace, stop.signal);
  return {
    setup: setup.name,
    round,
    position,
    namespace,
    load: measured,
    warmup: { created: warmup.created, failed: warmup.failed, failures: warmup.failures },
    cpuUsPerPod: cpuPerPod(before, after, measured.created),
    ...(others === undefined ? {} : { otherCpuCores: others }),
    ...(decisions ? { webhookDecisions: decisions } : {}),
    namespaceDeleteMs,
  };
}

const summary = summarise(runs);
console.log(`Pod create through kube-apiserver: ${CONCURRENCY} concurrent clients, ${SECONDS} s per run after ${WARMUP} s warm-up, ${ROUNDS} rounds (order rotated); medians; both webhooks warm (${WEBHOOK_WARMUP} s of load each before the first run)`);
console.log(`Pod: test/bench/fixtures/pod.json as submitted (${pod.bytes} bytes, Restricted-compliant); every request must be allowed (201)`);
console.log(`Webhook registration (Palisade's, copied for the null webhook):\n${registration.map((line) => `  ${line}`).join('\n')}\n`);
console.log(formatReport(summary, runs, LABELS));

if (options.json) {
  const results = {
    date: new Date().toISOString(),
    machine,
    kubernetes,
    options: { seconds: SECONDS, rounds: ROUNDS, concurrency: CONCURRENCY, warmupSeconds: WARMUP, webhookWarmupSeconds: WEBHOOK_WARMUP },
    podBytes: pod.bytes,
    pssRules,
    registration,
    summary,
    runs,
  };
  writeFileSync(options.json, `${JSON.stringify(results, null, 2)}\n`);
  console.log(`\nresults written to ${options.json}`);
}
if (summary.failed > 0 || summary.undecided > 0) process.exitCode = 1;
