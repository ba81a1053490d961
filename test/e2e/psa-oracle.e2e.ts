/**
 * Oracle test: the API server's own PodSecurity admission and Palisade's Pod Security Standards
 * rules give the same verdict on upstream's fixtures (k8s.io/pod-security-admission
 * test/testdata/{baseline,restricted}/v<minor>/{pass,fail}, at the release pinned in
 * standards/kubernetes-version.json). Where test/pss/upstream-agreement.test.ts trusts the folder
 * a fixture sits in, this one asks the real kube-apiserver of the same release.
 *
 * - As a Pod, in a namespace labelled pod-security.kubernetes.io/enforce=<level> (and
 *   enforce-version=v<minor>), by server-side dry run (nothing is stored): PSA's verdict is the
 *   rejection "violates PodSecurity". Each Pod is also sent to a namespace without PSA labels: a
 *   fixture the API server refuses there is refused by validation, not by PSA, and is reported
 *   apart instead of counted.
 * - As a Deployment (the Pod's labels, annotations and spec as its template), in a namespace
 *   labelled pod-security.kubernetes.io/warn=<level>: PSA never rejects a pod template, only
 *   warns (and audits). It enforces where Pods are created, because the Pod is what runs and a
 *   template can still be changed by mutating admission on its way to becoming one. So here PSA's
 *   verdict is a `Warning: would violate PodSecurity` response header; any refusal is validation.
 *
 * Palisade's verdict comes in process from `palisade scan --standard pss-<level> --enforce`, the
 * arguments test/pss/upstream-agreement.test.ts gives the built CLI: rejected when a finding denies.
 * Both judges see the same objects: the fixtures under API-valid names (upstream's "base_linux" is
 * not one), and the same Deployment wrapper. Agreement must be 100% for both shapes at both levels.
 */
import t from 'tap';
import { Agent, request } from 'node:https';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { parse, stringify } from 'yaml';
import { run } from '../../src/cli/main.js';
import { asDeployment, fixtures, LEVELS, moduleDir, pinned, scanArgs, SIDES, type Level, type Pod, type Report, type Side } from '../pss/upstream-fixtures.js';
import { startControlPlane, waitFor, type ControlPlane } from './control-plane/harness.js';

/** Requests in flight at once: enough to overlap round trips, few enough for a shared 2-core machine. */
const CONCURRENCY = 8;
const PSA = 'pod-security.kubernetes.io';
const CONTROL_NS = 'psa-oracle-unlabelled';
const enforceNs = (level: Level): string => `psa-oracle-enforce-${level}`;
const warnNs = (level: Level): string => `psa-oracle-warn-${level}`;

const started = Date.now();
const upstream = moduleDir();
const plane: ControlPlane = await startControlPlane();
const work = mkdtempSync(join(tmpdir(), 'palisade-psa-oracle-'));
// The API server's serving certificate is self-signed. This client only ever talks to the test's
// own API server on 127.0.0.1, so it skips certificate verification: acceptable on loopback only.
const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY, rejectUnauthorized: false });
t.teardown(async () => {
  agent.destroy();
  await plane.stop();
  rmSync(work, { recursive: true, force: true });
});

interface Reply {
  status: number;
  body: string;
  warnings: string[];
}

function post(path: string, object: unknown): Promise<Reply> {
  const payload = JSON.stringify(object);
  return new Promise((resolve, reject) => {
    const req = request(
      `${plane.server}${path}`,
      {
        method: 'POST',
        agent,
        timeout: 60_000,
        headers: {
          authorization: `Bearer ${plane.token}`,
          'content-type': 'application/json',
          accept: 'application/json',
          'content-length': Buffer.byteLength(payload),
        },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, warnings: res.headersDistinct['warning'] ?? [] }));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`POST ${path}: no answer in 60 s`)));
    req.on('error', reject);
    req.end(payload);
  });
}

/** The `message` of a Kubernetes Status body, or the body itself. */
function messageOf(reply: Reply): string {
  try {
    const status = JSON.parse(reply.body) as { message?: unknown };
    if (typeof status.message === 'string') return status.message;
  } catch {
    // not JSON: the raw body says more than nothing
  }
  return reply.body.slice(0, 500);
}

/** Runs `task` over `items`, at most `limit` at a time, keeping the order of `items`. */
async function eachLimited<T, R>(items: readonly T[], limit: number, task: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** A verdict on one fixture in one shape, or why there is none. */
type Verdict =
  | { kind: 'verdict'; rejected: boolean; detail: string }
  | { kind: 'invalid'; detail: string }
  | { kind: 'unexpected'; detail: string };

interface Case {
  level: Level;
  side: Side;
  file: string;
  /** level/v<minor>/side/file, as upstream lays it out. */
  id: string;
  pod: Pod;
  deployment: unknown;
}

/**
 * The fixture under a name the API server accepts. Upstream names Pods after their files
 * ("base_linux", "capabilities_restricted0"), and an underscore is not allowed in an object name;
 * the name is not what a fixture tests, and PodSecurity never reads it.
 */
function withApiName(pod: Pod): Pod {
  const name = pod.metadata?.name;
  return name === undefined ? pod : { ...pod, metadata: { ...pod.metadata, name: name.toLowerCase().replaceAll('_', '-') } };
}

async function psaOnPod(c: Case): Promise<Verdict> {
  const [control, enforced] = await Promise.all([
    post(`/api/v1/namespaces/${CONTROL_NS}/pods?dryRun=All`, c.pod),
    post(`/api/v1/namespaces/${enforceNs(c.level)}/pods?dryRun=All`, c.pod),
  ]);
  if (control.status >= 300) {
    return control.status === 422
      ? { kind: 'invalid', detail: messageOf(control) }
      : { kind: 'unexpected', detail: `HTTP ${control.status} without PSA labels: ${messageOf(control)}` };
  }
  if (enforced.status < 300) return { kind: 'verdict', rejected: false, detail: 'admitted' };
  const message = messageOf(enforced);
  return enforced.status === 403 && message.includes('violates PodSecurity')
    ? { kind: 'verdict', rejected: true, detail: message }
    : { kind: 'unexpected', detail: `HTTP ${enforced.status} under enforce=${c.level}: ${message}` };
}

async function psaOnDeployment(c: Case): Promise<Verdict> {
  const reply = await post(`/apis/apps/v1/namespaces/${warnNs(c.level)}/deployments?dryRun=All`, c.deployment);
  if (reply.status < 300) {
    const violations = reply.warnings.filter((w) => w.includes('would violate PodSecurity'));
    return { kind: 'verdict', rejected: violations.length > 0, detail: violations.join(' | ') || 'no PodSecurity warning' };
  }
  // PSA only warns on templates, so a refusal is never its verdict.
  return reply.status === 422
    ? { kind: 'invalid', detail: messageOf(reply) }
    : { kind: 'unexpected', detail: `HTTP ${reply.status}: ${messageOf(reply)}` };
}

/** Palisade's verdict on every manifest of a folder, by file name, through the scan command in process. */
async function palisadeOn(level: Level, dir: string): Promise<Map<string, { rejected: boolean; detail: string }>> {
  let stdout = '';
  let stderr = '';
  const code = await run(scanArgs(level, dir), {
    stdout: (text) => void (stdout += text),
    stderr: (text) => void (stderr += text),
    readStdin: () => Promise.resolve(''),
    isTTY: false,
    env: { NO_COLOR: '1' },
    now: () => new Date(),
  });
  if (code !== 0 && code !== 1) throw new Error(`palisade ${scanArgs(level, dir).join(' ')}: exit ${code}\n${stderr}`);
  const report = JSON.parse(stdout) as Report;
  if (report.problems.length > 0) throw new Error(`palisade could not read ${dir}: ${JSON.stringify(report.problems)}`);
  return new Map(
    report.results.map((r) => {
      const denials = r.findings.filter((f) => f.denies);
      return [basename(r.resource.file ?? ''), { rejected: denials.length > 0, detail: denials.map((f) => `${f.ruleId}: ${f.message}`).join(' | ') || 'no denial' }];
    }),
  );
}

// Namespaces: one without PSA labels (the validation control), and per level one enforcing and one warning.
const namespace = (name: string, labels: Record<string, string>) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } });
const version = `v${pinned.minor}`;
const namespaces = [
  namespace(CONTROL_NS, {}),
  ...LEVELS.flatMap((level) => [
    namespace(enforceNs(level), { [`${PSA}/enforce`]: level, [`${PSA}/enforce-version`]: version }),
    namespace(warnNs(level), { [`${PSA}/warn`]: level, [`${PSA}/warn-version`]: version }),
  ]),
];
const created = plane.kubectl(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: namespaces }));
if (created.code !== 0) throw new Error(`creating the namespaces failed: ${created.stderr}`);
// The ServiceAccount admission plugin refuses Pods until the namespace's default account exists.
for (const { metadata } of namespaces) {
  await waitFor(() => plane.kubectl(['get', 'serviceaccount', 'default', '-n', metadata.name]).code === 0, 60_000, `serviceaccount default in ${metadata.name}`);
}
t.comment(`control plane ${pinned.kubernetes} ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);

for (const level of LEVELS) {
  t.test(`${level}: kube-apiserver's PodSecurity and Palisade agree on every upstream ${version} fixture`, async (t) => {
    const levelStarted = Date.now();
    const cases: Case[] = [];
    const palisade = { Pod: new Map<string, { rejected: boolean; detail: string }>(), Deployment: new Map<string, { rejected: boolean; detail: string }>() };
    for (const side of SIDES) {
      const { dir, files } = fixtures(upstream, level, side);
      t.ok(files.length > 0, `${level}/${side}: upstream has fixtures for ${pinned.minor}`);
      // Both judges get the same objects: the Pods (renamed) and their Deployments, written here.
      const podDir = join(work, `${level}-${side}-pods`);
      const deploymentDir = join(work, `${level}-${side}-deployments`);
      mkdirSync(podDir);
      mkdirSync(deploymentDir);
      for (const file of files) {
        const pod = withApiName(parse(readFileSync(join(dir, file), 'utf8')) as Pod);
        const deployment = asDeployment(pod);
        writeFileSync(join(podDir, file), stringify(pod));
        writeFileSync(join(deploymentDir, file), stringify(deployment));
        cases.push({ level, side, file, id: `${level}/${version}/${side}/${file}`, pod, deployment });
      }
      for (const [kind, folder] of [['Pod', podDir], ['Deployment', deploymentDir]] as const) {
        for (const [file, verdict] of await palisadeOn(level, folder)) palisade[kind].set(`${side}/${file}`, verdict);
      }
    }

    for (const [kind, ask] of [['Pod', psaOnPod], ['Deployment', psaOnDeployment]] as const) {
      const verdicts = await eachLimited(cases, CONCURRENCY, ask);
      const disagreements: string[] = [];
      const invalid: string[] = [];
      const unexpected: string[] = [];
      const counts = { judged: 0, agree: 0, psaRejected: 0, psaMatchesFolder: 0 };
      for (const [i, c] of cases.entries()) {
        const psa = verdicts[i];
        const ours = palisade[kind].get(`${c.side}/${c.file}`);
        if (!psa || psa.kind === 'unexpected') {
          unexpected.push(`${c.id} as ${kind}: ${psa?.detail ?? 'no answer'}`);
          continue;
        }
        if (psa.kind === 'invalid') {
          invalid.push(`${c.id} as ${kind}: ${psa.detail}`);
          continue;
        }
        counts.judged++;
        if (psa.rejected) counts.psaRejected++;
        if (psa.rejected === (c.side === 'fail')) counts.psaMatchesFolder++;
        if (ours?.rejected === psa.rejected) counts.agree++;
        else {
          const say = (rejected: boolean): string => (rejected ? 'rejects' : 'admits');
          disagreements.push(
            `${c.id} as ${kind}: PodSecurity ${say(psa.rejected)} (${psa.detail}); ` +
              `Palisade ${ours ? `${say(ours.rejected)} (${ours.detail})` : 'gave no result'}`,
          );
        }
      }

      const figures =
        `${level} as ${kind}: ${counts.agree}/${counts.judged} agree; PodSecurity ${kind === 'Pod' ? 'rejected' : 'warned on'} ` +
        `${counts.psaRejected}, matched the fixture's folder on ${counts.psaMatchesFolder}; ` +
        `${invalid.length} refused by API validation (not judged)`;
      t.comment(figures);
      for (const line of invalid) t.comment(`  refused by validation: ${line}`);
      t.same(unexpected, [], `${level} as ${kind}: every answer is admitted, refused by PodSecurity, or refused by validation`);
      t.ok(counts.judged > 0, `${level} as ${kind}: PodSecurity judged some fixtures`);
      t.same(disagreements, [], `${figures}: 100% agreement required; disagreeing fixtures listed`);
    }
    t.comment(`${level}: ${cases.length} fixtures, ${cases.length * 3} requests, ${((Date.now() - levelStarted) / 1000).toFixed(1)} s`);
  });
}
