/**
 * The Pod Security Standards rules agree with upstream Pod Security Admission on upstream's own
 * fixtures: every Pod of k8s.io/pod-security-admission's test/testdata/{baseline,restricted}/
 * v<minor>/{pass,fail}, at the Kubernetes release pinned in standards/kubernetes-version.json, is
 * scanned as the Pod it is and wrapped in a Deployment, through the real CLI:
 *
 *   palisade scan --standard pss-<level> --enforce --format json <dir>
 *
 * A pass fixture must get no finding at all; a fail fixture at least one denied finding, on the
 * Pod and on the Deployment. Agreement must be 100%. The module is fetched with the Go toolchain
 * into the Go module cache and read there: its files are never copied into this repository.
 * (PSA judges only Pods; that a Deployment's template gets the same verdict is Palisade's point.)
 */
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { parse, stringify } from 'yaml';
import { asDeployment, fixtures, LEVELS, moduleDir, pinned, ROOT, scanArgs, SIDES, type Level, type Pod, type Report } from './upstream-fixtures.js';

const BIN = join(ROOT, 'dist/cli/bin.js');

/**
 * The rule expected to deny each upstream check's fail fixtures (the fixture file is named after
 * the check: `<check id, lower case><n>.yaml`). Restricted checks that replace a baseline one
 * (capabilities, seccomp, procMount) may be matched by either rule. A check missing here is a new
 * upstream control: write its rule, then add it.
 */
const RULES_BY_CHECK: Record<string, readonly string[]> = {
  allowprivilegeescalation: ['disallow-privilege-escalation'],
  apparmorprofile: ['restrict-apparmor-profiles'],
  capabilities_baseline: ['disallow-capabilities', 'disallow-capabilities-strict'],
  capabilities_restricted: ['disallow-capabilities-strict'],
  hostnamespaces: ['disallow-host-namespaces'],
  hostpathvolumes: ['disallow-host-path', 'restrict-volume-types'],
  hostports: ['disallow-host-ports'],
  hostprobesandhostlifecycle: ['disallow-host-probes-lifecycle'],
  privileged: ['disallow-privileged'],
  procmount: ['disallow-proc-mount', 'disallow-proc-mount-strict'],
  procmount_restricted: ['disallow-proc-mount-strict'],
  restrictedvolumes: ['restrict-volume-types'],
  runasnonroot: ['require-run-as-non-root'],
  runasuser: ['require-run-as-non-root-user'],
  seccompprofile_baseline: ['restrict-seccomp', 'restrict-seccomp-strict'],
  seccompprofile_restricted: ['restrict-seccomp-strict'],
  selinuxoptions: ['restrict-selinux'],
  sysctls: ['restrict-sysctls'],
  windowshostprocess: ['disallow-host-process'],
};

function scan(level: Level, dir: string): { report: Report; code: number | null; stderr: string } {
  const run = spawnSync(process.execPath, [BIN, ...scanArgs(level, dir)], {
    cwd: ROOT,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, NO_COLOR: '1' },
  });
  let report: Report = { results: [], problems: [] };
  try {
    report = JSON.parse(run.stdout) as Report;
  } catch {
    // reported by the caller through the exit code and stderr
  }
  return { report, code: run.status, stderr: run.stderr };
}

const checkOf = (file: string): string => basename(file, '.yaml').replace(/\d+$/, '');

let psaDir: string | undefined;
try {
  psaDir = moduleDir();
} catch (error) {
  t.fail((error as Error).message);
}

const work = mkdtempSync(join(tmpdir(), 'palisade-psa-'));
t.teardown(() => rmSync(work, { recursive: true, force: true }));

if (psaDir !== undefined) {
  const upstream = psaDir;
  for (const level of LEVELS) {
    t.test(`${level}: Palisade agrees with Pod Security Admission ${pinned.minor} on its fixtures`, async (t) => {
      const counts = { Pod: { agree: 0, total: 0 }, Deployment: { agree: 0, total: 0 } };
      const disagreements: string[] = [];
      const misattributed: string[] = [];

      for (const side of SIDES) {
        const { dir: podDir, files } = fixtures(upstream, level, side);
        t.ok(files.length > 0, `${level}/${side}: upstream has fixtures for ${pinned.minor}`);

        const deploymentDir = join(work, `${level}-${side}`);
        mkdirSync(deploymentDir);
        for (const file of files) {
          const pod = parse(readFileSync(join(podDir, file), 'utf8')) as Pod;
          writeFileSync(join(deploymentDir, file), stringify(asDeployment(pod)));
        }

        for (const [kind, dir] of [['Pod', podDir], ['Deployment', deploymentDir]] as const) {
          const { report, code, stderr } = scan(level, dir);
          t.ok(code === 0 || code === 1, `${level}/${side} ${kind}s: the scan ran (exit ${code})${code === 0 || code === 1 ? '' : `\n${stderr}`}`);
          t.same(report.problems, [], `${level}/${side} ${kind}s: every fixture was read`);
          const byFile = new Map(report.results.map((r) => [basename(r.resource.file ?? ''), r]));
          for (const file of files) {
            counts[kind].total++;
            const result = byFile.get(file);
            const findings = result?.findings ?? [];
            const agrees = result !== undefined && result.resource.kind === kind &&
              (side === 'pass' ? findings.length === 0 : findings.some((f) => f.denies));
            if (agrees) counts[kind].agree++;
            else {
              const got = findings.length === 0 ? 'no finding' : findings.map((f) => `${f.ruleId}: ${f.message}`).join(' | ');
              disagreements.push(`${level}/v${pinned.minor}/${side}/${file} as ${kind}: expected ${side === 'pass' ? 'no finding' : 'a denial'}, got ${result ? got : 'no result'}`);
            }
            if (side === 'fail' && agrees) {
              const expected = RULES_BY_CHECK[checkOf(file)];
              if (!expected) misattributed.push(`${file}: upstream check "${checkOf(file)}" has no rule listed in RULES_BY_CHECK`);
              else if (!findings.some((f) => f.denies && expected.includes(f.ruleId))) {
                misattributed.push(`${file} as ${kind}: denied by ${findings.map((f) => f.ruleId).join(', ')}, not by ${expected.join(' or ')}`);
              }
            }
          }
        }
      }

      const figures = `${level}: ${counts.Pod.agree}/${counts.Pod.total} Pods, ${counts.Deployment.agree}/${counts.Deployment.total} Deployments`;
      t.comment(figures);
      t.same(disagreements, [], `${figures}: 100% agreement required; disagreeing fixtures listed`);
      t.same(misattributed, [], 'each fail fixture is denied by the rule of its own control');
      t.equal(counts.Pod.total, counts.Deployment.total);
    });
  }
}
