/**
 * `npm run bench [-- --json FILE] [--only rules|scan|webhook|images] [--rounds N] [--manifests N] [--webhook-workers N]`: the numbers
 * behind the performance targets, measured side by side in one run on whatever machine this is
 * (no timed assertions). Results are discussed in BENCHMARKS.md.
 *
 * 1. Rule-set cost per object: the built-in rule set on a Deployment (as is, and with its images
 *    resolved as verified, so no finding is built), a Pod, and a Namespace (no rule matches).
 *    Every evaluation needs a fresh object (evaluate() redacts and converts numbers in place), so
 *    what is timed is "JSON.parse + evaluate" (B) against "JSON.parse alone" (A) — which is also
 *    what the webhook pays per request. A and B batches alternate (ABBA) within every round, and
 *    evaluate's own cost is the median over rounds of the paired difference B − A.
 * 2. `palisade scan` throughput: the built bin over a generated corpus of 10,000 manifests,
 *    against the same bin on one manifest (process start-up and rule loading).
 *
 * 3. Webhook throughput against a null endpoint (test/bench/webhook.ts).
 * 4. Only with `--only images` (it needs crane and cosign from test/tools/build-go-tools.sh):
 *    image verification against a real registry (test/bench/images.ts; from src, in process).
 *
 * The code under test is dist/ (what ships), so run `npm run build` first; `npm run bench` does.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));
const BIN = join(ROOT, 'dist', 'cli', 'bin.js');

// The built modules, typed by their sources.
const dist = (module: string): string => new URL(`../../dist/${module}`, import.meta.url).href;
const { evaluate } = (await import(dist('engine/evaluate.js'))) as typeof import('../../src/engine/evaluate.js');
const { loadRuleSet } = (await import(dist('engine/rule-set.js'))) as typeof import('../../src/engine/rule-set.js');
const { BUILTIN_RULES_DIR } = (await import(dist('paths.js'))) as typeof import('../../src/paths.js');
type RuleSet = import('../../src/engine/rule-set.js').RuleSet;
type KubeObject = import('../../src/engine/types.js').KubeObject;
type ImageStatus = import('../../src/engine/types.js').ImageStatus;

const { values: options } = parseArgs({
  options: {
    json: { type: 'string' },
    only: { type: 'string' },
    rounds: { type: 'string', default: '101' },
    manifests: { type: 'string', default: '10000' },
    'webhook-seconds': { type: 'string', default: '10' },
    'webhook-workers': { type: 'string', default: '1' },
  },
});
const ROUNDS = Number(options.rounds);
const MANIFESTS = Number(options.manifests);
const DOCS_PER_FILE = 100;
/** Target duration of one timed batch: long enough for the timer, short enough for many rounds. */
const BATCH_MS = 15;
const WARM_UP_MS = 3000;

let sink = 0;

// ---------------------------------------------------------------- 1. rule-set cost per object

interface RuleCase {
  name: string;
  bytes: number;
  rulesMatched: number;
  findings: number;
  parseUs: number;
  parseEvaluateUs: number;
  /** Median over rounds of (B − A) per object. */
  evaluateUs: number;
  evaluateUsP25: number;
  evaluateUsP75: number;
  /** Median over rounds of (B − A) / A. */
  ratioToParse: number;
  batch: number;
  rounds: number;
}

function parseBatch(body: string, n: number): number {
  const start = performance.now();
  for (let i = 0; i < n; i++) {
    const object = JSON.parse(body) as KubeObject;
    sink += (object['kind'] as string).length;
  }
  return ((performance.now() - start) * 1000) / n;
}

function parseEvaluateBatch(ruleSet: RuleSet, body: string, n: number, images?: Record<string, ImageStatus>): number {
  const start = performance.now();
  for (let i = 0; i < n; i++) {
    const object = JSON.parse(body) as KubeObject;
    const evaluation = evaluate(ruleSet, { object, operation: 'CREATE', ...(images ? { images } : {}) }, { phase: 'admission' });
    sink += evaluation.findings.length + evaluation.evaluated.length;
  }
  return ((performance.now() - start) * 1000) / n;
}

function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (sorted.length - 1) * q;
  const lo = Math.floor(at);
  const hi = Math.ceil(at);
  return (sorted[lo] as number) + ((sorted[hi] as number) - (sorted[lo] as number)) * (at - lo);
}
const median = (values: readonly number[]): number => quantile(values, 0.5);

/** One object, with the images the webhook would hand the rules (verified, or none). */
interface CaseInput {
  name: string;
  body: string;
  images: Record<string, ImageStatus> | undefined;
}

/**
 * Each object timed as A (JSON.parse) and B (JSON.parse + evaluate). Every round times every case
 * (A and B in ABBA order), so load that comes and goes on the shared machine lands on all cases
 * alike instead of on whichever case was running at the time.
 */
function benchRuleCases(ruleSet: RuleSet, inputs: readonly CaseInput[]): RuleCase[] {
  const cases = inputs.map(({ name, body, images }) => {
    const sample = evaluate(ruleSet, { object: JSON.parse(body) as KubeObject, operation: 'CREATE', ...(images ? { images } : {}) }, { phase: 'admission' });
    // Batches sized so that B takes about BATCH_MS.
    const batch = Math.max(50, Math.round((BATCH_MS * 1000) / parseEvaluateBatch(ruleSet, body, 500, images)));
    return { name, body, images, sample, batch, a: [] as number[], b: [] as number[] };
  });
  for (let round = 0; round < ROUNDS; round++) {
    for (const c of cases) {
      // ABBA: alternate which goes first, so drift within a round cancels.
      if (round % 2 === 0) {
        c.a.push(parseBatch(c.body, c.batch));
        c.b.push(parseEvaluateBatch(ruleSet, c.body, c.batch, c.images));
      } else {
        c.b.push(parseEvaluateBatch(ruleSet, c.body, c.batch, c.images));
        c.a.push(parseBatch(c.body, c.batch));
      }
    }
  }
  return cases.map(({ name, body, sample, batch, a, b }) => {
    const diffs = a.map((ai, i) => (b[i] as number) - ai);
    const ratios = a.map((ai, i) => ((b[i] as number) - ai) / ai);
    return {
      name,
      bytes: body.length,
      rulesMatched: sample.evaluated.length,
      findings: sample.findings.length,
      parseUs: median(a),
      parseEvaluateUs: median(b),
      evaluateUs: median(diffs),
      evaluateUsP25: quantile(diffs, 0.25),
      evaluateUsP75: quantile(diffs, 0.75),
      ratioToParse: median(ratios),
      batch,
      rounds: ROUNDS,
    };
  });
}

function caseInput(file: string, verifiedImages: boolean): { body: string; images: Record<string, ImageStatus> | undefined } {
  const body = JSON.stringify(JSON.parse(readFileSync(join(FIXTURES, file), 'utf8')));
  return { body, images: verifiedImages ? imagesOf(body) : undefined };
}

/**
 * Steady state, as in a server that has seen every kind for a while: all cases run interleaved
 * for WARM_UP_MS before any is timed, so the first case does not pay the compilation of the rule
 * set, and the code is compiled for every object shape, not only the first case's.
 */
function warmUpTogether(ruleSet: RuleSet, inputs: readonly CaseInput[]): void {
  const until = performance.now() + WARM_UP_MS;
  while (performance.now() < until) {
    for (const { body, images } of inputs) parseEvaluateBatch(ruleSet, body, 100, images);
  }
}

function imagesOf(body: string): Record<string, ImageStatus> {
  const images: Record<string, ImageStatus> = {};
  for (const match of body.matchAll(/"image":"([^"]+)"/g)) {
    images[match[1] as string] = { verified: true, digest: 'sha256:0000', detail: 'signed by the shop release key' };
  }
  return images;
}

async function benchRules(): Promise<{ rules: number; cases: RuleCase[] }> {
  const load = await loadRuleSet([BUILTIN_RULES_DIR]);
  if (!load.ruleSet) {
    for (const p of load.problems) console.error(p);
    throw new Error('the built-in rule set did not load');
  }
  const ruleSet = load.ruleSet;
  const specs: [string, string, boolean][] = [
    ['Deployment', 'deployment.json', false],
    ['Deployment, images verified', 'deployment.json', true],
    ['Pod', 'pod.json', false],
    ['Namespace (no rule matches)', 'namespace.json', false],
  ];
  const inputs = specs.map(([name, file, verified]) => ({ name, ...caseInput(file, verified) }));
  warmUpTogether(ruleSet, inputs);
  const cases = benchRuleCases(ruleSet, inputs);
  return { rules: ruleSet.rules.length, cases };
}

// ---------------------------------------------------------------- 2. scan throughput

/** A small block-style YAML writer, enough for generated manifests (no dependency). */
function yaml(value: unknown, indent = 0): string[] {
  const pad = ' '.repeat(indent);
  if (Array.isArray(value)) {
    return value.flatMap((item) => {
      if (!isNested(item)) return [`${pad}- ${scalar(item)}`];
      const lines = yaml(item, indent + 2);
      lines[0] = `${pad}- ${(lines[0] as string).slice(indent + 2)}`;
      return lines;
    });
  }
  return Object.entries(value as Record<string, unknown>).flatMap(([key, item]) =>
    isNested(item) ? [`${pad}${scalar(key)}:`, ...yaml(item, indent + 2)] : [`${pad}${scalar(key)}: ${scalar(item)}`],
  );
}

function isNested(value: unknown): boolean {
  if (Array.isArray(value)) return value.length > 0;
  return typeof value === 'object' && value !== null && Object.keys(value).length > 0;
}

function scalar(value: unknown): string {
  if (Array.isArray(value)) return '[]';
  if (typeof value === 'object' && value !== null) return '{}';
  if (typeof value !== 'string') return String(value);
  const plain = /^[A-Za-z_/][\w.\-/]*$/.test(value) && !/^(true|false|null|yes|no|on|off|y|n|~)$/i.test(value);
  return plain ? value : JSON.stringify(value);
}

const KINDS = ['Deployment', 'Service', 'ConfigMap', 'Deployment', 'Pod', 'Service', 'CronJob', 'ConfigMap', 'Deployment', 'Ingress'] as const;

/** Manifest i of the corpus: deterministic; about a third of the workloads and half the Ingresses violate a rule. */
function manifest(i: number, podSpecTemplate: Record<string, unknown>, podMeta: Record<string, unknown>): Record<string, unknown> {
  const kind = KINDS[i % KINDS.length] as (typeof KINDS)[number];
  const name = `app-${i}`;
  const namespace = `team-${i % 13}`;
  const metadata = { name, namespace, labels: { 'app.kubernetes.io/name': name, team: `team-${i % 13}` } };
  const spec = (): Record<string, unknown> => {
    const podSpec = structuredClone(podSpecTemplate) as { securityContext: Record<string, unknown>; containers: Record<string, unknown>[] };
    const containers = podSpec.containers;
    (containers[0] as Record<string, unknown>)['image'] = `registry.example.com/${namespace}/${name}:1.${i % 50}.0`;
    if (i % 7 === 0) ((containers[1] as Record<string, unknown>)['securityContext'] as Record<string, unknown>)['privileged'] = true;
    if (i % 4 === 0) {
      delete podSpec.securityContext['runAsNonRoot'];
      for (const c of containers) delete (c['securityContext'] as Record<string, unknown>)['runAsNonRoot'];
    }
    return podSpec;
  };
  const template = (): Record<string, unknown> => ({ metadata: { ...podMeta, labels: metadata.labels }, spec: spec() });
  switch (kind) {
    case 'Deployment':
      return { apiVersion: 'apps/v1', kind, metadata, spec: { replicas: 1 + (i % 5), selector: { matchLabels: metadata.labels }, template: template() } };
    case 'Pod':
      return { apiVersion: 'v1', kind, metadata, spec: spec() };
    case 'CronJob':
      return {
        apiVersion: 'batch/v1',
        kind,
        metadata,
        spec: { schedule: `${i % 60} 3 * * *`, concurrencyPolicy: 'Forbid', jobTemplate: { spec: { backoffLimit: 2, template: template() } } },
      };
    case 'Service':
      return {
        apiVersion: 'v1',
        kind,
        metadata,
        spec: { type: 'ClusterIP', selector: metadata.labels, ports: [{ name: 'http', port: 80, targetPort: 'http' }, { name: 'metrics', port: 9090, targetPort: 9090 }] },
      };
    case 'ConfigMap':
      return {
        apiVersion: 'v1',
        kind,
        metadata,
        data: { LOG_LEVEL: 'info', FEATURE_FLAGS: 'checkout-v2,fast-path', 'app.properties': `server.port=8080\nserver.name=${name}\ncache.ttl=300\n` },
      };
    case 'Ingress': {
      const host = `${name}.example.com`;
      return {
        apiVersion: 'networking.k8s.io/v1',
        kind,
        metadata: { ...metadata, annotations: { 'nginx.ingress.kubernetes.io/proxy-body-size': '8m' } },
        spec: {
          ingressClassName: 'nginx',
          ...(i % 20 === 9 ? {} : { tls: [{ hosts: [host], secretName: `${name}-tls` }] }),
          rules: [{ host, http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name, port: { name: 'http' } } } }] } }],
        },
      };
    }
  }
}

function generateCorpus(dir: string, count: number): { files: number; bytes: number; byKind: Record<string, number> } {
  const deployment = JSON.parse(readFileSync(join(FIXTURES, 'deployment.json'), 'utf8')) as {
    spec: { template: { metadata: Record<string, unknown>; spec: Record<string, unknown> } };
  };
  const podSpec = deployment.spec.template.spec;
  const podMeta = { annotations: deployment.spec.template.metadata['annotations'] };
  const byKind: Record<string, number> = {};
  let bytes = 0;
  let files = 0;
  for (let first = 0; first < count; first += DOCS_PER_FILE) {
    const docs: string[] = [];
    for (let i = first; i < Math.min(count, first + DOCS_PER_FILE); i++) {
      const object = manifest(i, podSpec, podMeta);
      byKind[object['kind'] as string] = (byKind[object['kind'] as string] ?? 0) + 1;
      docs.push(`${yaml(object).join('\n')}\n`);
    }
    const sub = join(dir, `part-${String(Math.floor(first / 1000)).padStart(2, '0')}`);
    mkdirSync(sub, { recursive: true });
    const text = docs.join('---\n');
    writeFileSync(join(sub, `manifests-${String(files).padStart(3, '0')}.yaml`), text);
    bytes += Buffer.byteLength(text);
    files++;
  }
  return { files, bytes, byKind };
}

interface ScanResult {
  manifests: number;
  files: number;
  corpusBytes: number;
  byKind: Record<string, number>;
  findings: number;
  runs: number;
  wallMs: number;
  wallMsAll: number[];
  startupMs: number;
  startupMsAll: number[];
  manifestsPerSecond: number;
  /** Throughput once the process is up and the rules are loaded: manifests / (wall − start-up). */
  manifestsPerSecondNet: number;
  netUsPerManifest: number;
  /** Child CPU time (user + system, all threads), where /proc is available. */
  cpuMs?: number;
  startupCpuMs?: number;
  netCpuUsPerManifest?: number;
}

/**
 * CPU time (user + system) of this process's reaped children, in ms, from /proc/self/stat
 * (cutime + cstime, in USER_HZ = 100 ticks/s); undefined where there is no /proc. CPU time is
 * much less disturbed than wall time by other work on a shared machine.
 */
function childrenCpuMs(): number | undefined {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[13]) + Number(fields[14])) * 10;
  } catch {
    return undefined;
  }
}

interface ScanRun {
  wallMs: number;
  cpuMs: number | undefined;
}

function runScan(input: string, output = '/dev/null'): ScanRun {
  const cpuBefore = childrenCpuMs();
  const start = performance.now();
  const child = spawnSync(process.execPath, [BIN, 'scan', input, '--format', 'json', '--output', output, '--exit-zero'], {
    stdio: ['ignore', 'ignore', 'pipe'],
    encoding: 'utf8',
  });
  const wallMs = performance.now() - start;
  const cpuAfter = childrenCpuMs();
  if (child.status !== 0) throw new Error(`palisade scan ${input} exited ${child.status ?? child.signal}: ${child.stderr}`);
  return { wallMs, cpuMs: cpuBefore === undefined || cpuAfter === undefined ? undefined : cpuAfter - cpuBefore };
}

function benchScan(): ScanResult {
  const dir = mkdtempSync(join(tmpdir(), 'palisade-bench-'));
  try {
    const corpusDir = join(dir, 'corpus');
    const corpus = generateCorpus(corpusDir, MANIFESTS);
    const single = join(dir, 'single.yaml');
    writeFileSync(single, readFileSync(join(FIXTURES, 'deployment.json')));

    // Untimed warm-up run (page cache) that also checks the corpus scans as intended.
    const reportFile = join(dir, 'report.json');
    runScan(corpusDir, reportFile);
    const report = JSON.parse(readFileSync(reportFile, 'utf8')) as { summary: { resources: number; findings: number } };
    if (report.summary.resources !== MANIFESTS) throw new Error(`scan saw ${report.summary.resources} resources, not ${MANIFESTS}`);
    runScan(single);

    const corpusRuns: ScanRun[] = [];
    const startupRuns: ScanRun[] = [];
    const runs = 3;
    for (let r = 0; r < runs; r++) {
      startupRuns.push(runScan(single));
      corpusRuns.push(runScan(corpusDir));
      startupRuns.push(runScan(single));
    }
    const wall = corpusRuns.map((r) => r.wallMs);
    const startup = startupRuns.map((r) => r.wallMs);
    const wallMs = median(wall);
    const startupMs = median(startup);
    const cpu = corpusRuns.every((r) => r.cpuMs !== undefined) && startupRuns.every((r) => r.cpuMs !== undefined)
      ? { corpusMs: median(corpusRuns.map((r) => r.cpuMs as number)), startupMs: median(startupRuns.map((r) => r.cpuMs as number)) }
      : undefined;
    return {
      manifests: MANIFESTS,
      files: corpus.files,
      corpusBytes: corpus.bytes,
      byKind: corpus.byKind,
      findings: report.summary.findings,
      runs,
      wallMs,
      wallMsAll: wall,
      startupMs,
      startupMsAll: startup,
      manifestsPerSecond: MANIFESTS / (wallMs / 1000),
      manifestsPerSecondNet: MANIFESTS / ((wallMs - startupMs) / 1000),
      netUsPerManifest: ((wallMs - startupMs) * 1000) / MANIFESTS,
      ...(cpu
        ? {
            cpuMs: cpu.corpusMs,
            startupCpuMs: cpu.startupMs,
            netCpuUsPerManifest: ((cpu.corpusMs - cpu.startupMs) * 1000) / MANIFESTS,
          }
        : {}),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------- report

const fmt = (n: number, digits = 1): string => n.toFixed(digits);

function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join('  ');
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

const machine = {
  node: process.version,
  cpus: cpus().length,
  cpuModel: cpus()[0]?.model ?? 'unknown',
  platform: `${process.platform}-${process.arch}`,
};
console.log(`palisade bench — node ${machine.node}, ${machine.cpus} × ${machine.cpuModel}, ${machine.platform}\n`);

const results: Record<string, unknown> = { date: new Date().toISOString(), machine };

if (!options.only || options.only === 'rules') {
  const rules = await benchRules();
  results['rules'] = rules;
  console.log(`1. Built-in rule set (${rules.rules} rules), phase admission, per object; medians of ${ROUNDS} ABBA rounds`);
  console.log(
    table(
      ['object', 'bytes', 'rules', 'findings', 'A parse µs', 'B parse+eval µs', 'eval µs (B−A)', 'p25–p75 µs', 'eval / parse'],
      rules.cases.map((c) => [
        c.name,
        String(c.bytes),
        String(c.rulesMatched),
        String(c.findings),
        fmt(c.parseUs, 2),
        fmt(c.parseEvaluateUs, 2),
        fmt(c.evaluateUs, 2),
        `${fmt(c.evaluateUsP25, 2)}–${fmt(c.evaluateUsP75, 2)}`,
        `${fmt(c.ratioToParse, 2)}×`,
      ]),
    ),
  );
  console.log('   target: eval ≤ 3× JSON.parse of the same body (aim 1×)\n');
}

if (!options.only || options.only === 'scan') {
  const scan = benchScan();
  results['scan'] = scan;
  const kinds = Object.entries(scan.byKind).map(([k, n]) => `${n} ${k}`).join(', ');
  console.log(`2. palisade scan --format json, ${scan.manifests} manifests in ${scan.files} files (${fmt(scan.corpusBytes / 1e6)} MB; ${kinds}); ${scan.findings} findings; medians of ${scan.runs} runs`);
  const cpu = (ms: number | undefined): string => (ms === undefined ? '—' : fmt(ms, 0));
  console.log(
    table(
      ['run', 'wall ms', 'manifests/s', 'child CPU ms'],
      [
        [`one manifest (start-up + rule loading)`, fmt(scan.startupMs, 0), '—', cpu(scan.startupCpuMs)],
        [`${scan.manifests} manifests`, fmt(scan.wallMs, 0), fmt(scan.manifestsPerSecond, 0), cpu(scan.cpuMs)],
        [
          `${scan.manifests} manifests, start-up subtracted`,
          fmt(scan.wallMs - scan.startupMs, 0),
          fmt(scan.manifestsPerSecondNet, 0),
          cpu(scan.cpuMs === undefined || scan.startupCpuMs === undefined ? undefined : scan.cpuMs - scan.startupCpuMs),
        ],
      ],
    ),
  );
  console.log(
    `   after start-up, per manifest (read + YAML parse + evaluate + decide + report): ${fmt(scan.netUsPerManifest, 0)} µs wall` +
      (scan.netCpuUsPerManifest === undefined ? '' : `, ${fmt(scan.netCpuUsPerManifest, 0)} µs CPU`) +
      `\n   wall ms per run: ${scan.wallMsAll.map((n) => fmt(n, 0)).join(', ')}; start-up: ${scan.startupMsAll.map((n) => fmt(n, 0)).join(', ')}\n`,
  );
}

if (!options.only || options.only === 'webhook') {
  const { benchWebhook } = await import('./webhook.js');
  const web = await benchWebhook({ seconds: Number(options['webhook-seconds']), rounds: 3, connections: 16, workers: Number(options['webhook-workers']) });
  results['webhook'] = web;
  const servers = web.workers > 1 ? `, each server ${web.workers} node:cluster workers` : '';
  console.log(`3. POST /validate over TLS, autocannon, ${web.connections} connections, ${web.durationSeconds} s per run, runs alternating${servers}; medians`);
  console.log(
    table(
      ['endpoint', 'requests/s', 'p50 ms', 'p99 ms'],
      [
        ['null (allowed: true)', fmt(web.null.requestsPerSecond, 0), fmt(web.null.p50Ms, 1), fmt(web.null.p99Ms, 1)],
        ['palisade, full rule set', fmt(web.palisade.requestsPerSecond, 0), fmt(web.palisade.p50Ms, 1), fmt(web.palisade.p99Ms, 1)],
      ],
    ),
  );
  const failed = web.runs.reduce((n, r) => n + r.errors + r.non2xx, 0);
  console.log(`   throughput ratio palisade / null: ${fmt(web.ratio, 2)}× (target ≥ 0.8×, aim 0.9×); failed requests: ${failed}\n`);
}

if (options.only === 'images') {
  // Needs crane and cosign (test/tools/build-go-tools.sh): only when asked for.
  const { benchImages } = await import('./images.js');
  const images = await benchImages();
  results['images'] = images;
  console.log(`4. Image verification against crane registry serve on loopback, cosign-signed images; ${images.rounds} rounds`);
  console.log(
    table(
      ['case', 'p50', 'p95'],
      [
        ['cold: tag → digest → signature → verify (one image)', `${fmt(images.coldMs.single.p50, 1)} ms`, `${fmt(images.coldMs.single.p95, 1)} ms`],
        ['cold: multi-arch index', `${fmt(images.coldMs.multiArch.p50, 1)} ms`, `${fmt(images.coldMs.multiArch.p95, 1)} ms`],
        ['cold: Sigstore bundle referrer, key (no .sig: one more lookup)', `${fmt(images.coldMs.bundle.p50, 1)} ms`, `${fmt(images.coldMs.bundle.p95, 1)} ms`],
        ['cold: keyless .sig (certificate, SCT, Rekor entry)', `${fmt(images.coldMs.keyless.p50, 1)} ms`, `${fmt(images.coldMs.keyless.p95, 1)} ms`],
        ['cold: keyless Sigstore bundle referrer', `${fmt(images.coldMs.keylessBundle.p50, 1)} ms`, `${fmt(images.coldMs.keylessBundle.p95, 1)} ms`],
        ['cached (warm verifier, knownStatuses), per request', `${fmt(images.cachedUs, 1)} µs`, '—'],
      ],
    ),
  );
  console.log(
    `   POST /validate in process, the Pod running the signed image: ${fmt(images.webhook.withVerificationUs, 0)} µs with verification (warm), ` +
      `${fmt(images.webhook.withoutUs, 0)} µs without; throughput ratio ${fmt(images.webhook.ratio, 2)}×`,
  );
  const checks = images.checkUs;
  console.log(
    `   one signature check in process: crypto.verify ${fmt(checks.nodeCrypto, 0)} µs; @sigstore/verify, key-signed bundle ${fmt(checks.sigstoreKey, 0)} µs ` +
      `(${fmt(checks.sigstoreKey / checks.nodeCrypto, 1)}×), keyless bundle ${fmt(checks.sigstoreKeyless, 0)} µs (${fmt(checks.sigstoreKeyless / checks.nodeCrypto, 1)}×)\n`,
  );
}

if (options.json) {
  writeFileSync(options.json, `${JSON.stringify(results, null, 2)}\n`);
  console.log(`results written to ${options.json}`);
}
if (sink === -1) console.log('');
