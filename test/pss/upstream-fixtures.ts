/**
 * Upstream Pod Security Admission fixtures, shared by the tests that compare Palisade with PSA
 * (test/pss/upstream-agreement.test.ts, test/e2e/psa-oracle.e2e.ts): the pinned release, the
 * module fetched with the Go toolchain into the Go module cache (its files are read there, never
 * copied into this repository), the fixture listing, the Deployment wrapper and the scan that
 * gives Palisade's verdict.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const LEVELS = ['baseline', 'restricted'] as const;
export const SIDES = ['pass', 'fail'] as const;
export type Level = (typeof LEVELS)[number];
export type Side = (typeof SIDES)[number];

export interface PinnedRelease {
  kubernetes: string;
  minor: string;
  podSecurityAdmissionModule: string;
}
export const pinned = JSON.parse(readFileSync(join(ROOT, 'standards/kubernetes-version.json'), 'utf8')) as PinnedRelease;

export interface Finding {
  ruleId: string;
  message: string;
  denies: boolean;
  result: string;
}
export interface Report {
  results: { resource: { kind: string; name?: string; file?: string }; findings: Finding[] }[];
  problems: { file?: string; line?: number; message: string }[];
}

/** Downloads (or finds in the module cache) the pinned PSA module; returns its directory. */
export function moduleDir(): string {
  const version = spawnSync('go', ['version'], { encoding: 'utf8' });
  if (version.error || version.status !== 0) {
    throw new Error(
      'the Go toolchain (`go`) is needed to fetch upstream Pod Security Admission fixtures ' +
        `(${pinned.podSecurityAdmissionModule}); install Go (https://go.dev/dl/) and run the test again`,
    );
  }
  const cwd = mkdtempSync(join(tmpdir(), 'palisade-psa-mod-'));
  try {
    const run = spawnSync('go', ['mod', 'download', '-json', pinned.podSecurityAdmissionModule], {
      cwd, // outside any module, so no go.mod is read or changed
      encoding: 'utf8',
      env: { ...process.env, GOTOOLCHAIN: 'local' },
      timeout: 300_000,
    });
    let info: { Dir?: string; Error?: string } = {};
    try {
      info = JSON.parse(run.stdout) as { Dir?: string; Error?: string };
    } catch {
      // reported below
    }
    if (run.status !== 0 || !info.Dir) {
      throw new Error(`go mod download ${pinned.podSecurityAdmissionModule} failed: ${info.Error ?? run.stderr ?? run.error?.message}`);
    }
    return info.Dir;
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
}

/** The folder of one level's fixtures on one side at the pinned minor, and its files in order. */
export function fixtures(upstream: string, level: Level, side: Side): { dir: string; files: string[] } {
  const dir = join(upstream, 'test', 'testdata', level, `v${pinned.minor}`, side);
  return { dir, files: readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort() };
}

export interface Pod {
  metadata?: { name?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: unknown;
}

/** The Pod as a Deployment's template: the Pod's labels and annotations, and its spec. */
export function asDeployment(pod: Pod): unknown {
  const name = pod.metadata?.name ?? 'fixture';
  const labels = pod.metadata?.labels ?? { app: name };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name },
    spec: {
      selector: { matchLabels: labels },
      template: {
        metadata: { labels, ...(pod.metadata?.annotations ? { annotations: pod.metadata.annotations } : {}) },
        spec: pod.spec,
      },
    },
  };
}

/**
 * The `palisade` arguments that give Palisade's verdict on a folder of manifests: only the rules
 * of the standard pss-<level>, every one counted as enforce, as a JSON report.
 */
export function scanArgs(level: Level, dir: string): string[] {
  return ['scan', '--standard', `pss-${level}`, '--enforce', '--format', 'json', dir];
}
