/**
 * The real helm (and kube-score, when it built), from test/tools/build-go-tools.sh: pinned
 * versions built from Go modules into a cache outside the clone. Renders the chart and reads the
 * result back as objects.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { CHART, ROOT } from './chart-files.js';

const BUILD_SCRIPT = join(ROOT, 'test/tools/build-go-tools.sh');
export const VALUES_DIR = join(ROOT, 'test/chart/values');

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Builds what is missing (cached by version) and returns the folder of binaries. */
export function goToolsBin(): string {
  const run = spawnSync('bash', [BUILD_SCRIPT], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (run.status !== 0) throw new Error(`test/tools/build-go-tools.sh failed (exit ${run.status})`);
  return run.stdout.trim().split('\n').at(-1) ?? '';
}

export function tool(bin: string, name: string, args: string[], input?: string, env: Record<string, string> = {}): Run {
  const run = spawnSync(join(bin, name), args, { cwd: ROOT, encoding: 'utf8', input, env: { ...process.env, ...env }, maxBuffer: 64 * 1024 * 1024 });
  if (run.error) throw run.error;
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

/** A Kubernetes object as rendered: only what the checks read is typed. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: unknown;
}

export interface Release {
  name: string;
  namespace: string;
}

export const RELEASE: Release = { name: 'palisade', namespace: 'palisade-system' };

export function helmTemplateArgs(release: Release, valuesFile?: string): string[] {
  return ['template', release.name, CHART, '--namespace', release.namespace, ...(valuesFile ? ['--values', valuesFile] : [])];
}

/** `helm template` as YAML text; throws with helm's message when it refuses. */
export function renderText(bin: string, release: Release, valuesFile?: string): string {
  const run = tool(bin, 'helm', helmTemplateArgs(release, valuesFile));
  if (run.code !== 0) throw new Error(`helm template failed: ${run.stderr}`);
  return run.stdout;
}

export function parseObjects(text: string): KubeObject[] {
  return parseAllDocuments(text)
    .map((document) => {
      if (document.errors.length > 0) throw new Error(document.errors.map((e) => e.message).join('\n'));
      return document.toJS() as KubeObject | null;
    })
    .filter((object): object is KubeObject => object !== null);
}

export class Rendered {
  constructor(readonly objects: KubeObject[]) {}

  all(kind: string): KubeObject[] {
    return this.objects.filter((o) => o.kind === kind);
  }

  find(kind: string, name: string): KubeObject | undefined {
    return this.objects.find((o) => o.kind === kind && o.metadata.name === name);
  }

  get(kind: string, name: string): KubeObject {
    const found = this.find(kind, name);
    if (!found) throw new Error(`no ${kind} ${name} in the rendering (${this.objects.map((o) => `${o.kind}/${o.metadata.name}`).join(', ')})`);
    return found;
  }
}

export function render(bin: string, release: Release, valuesFile?: string): Rendered {
  return new Rendered(parseObjects(renderText(bin, release, valuesFile)));
}

/**
 * NOTES.txt as `helm install` prints it. `helm template` leaves notes out and `helm install
 * --dry-run` still wants a cluster, so a copy of the chart renders the notes through `tpl` into a
 * ConfigMap (same values, same named templates).
 */
export function renderNotes(bin: string, release: Release, valuesFile?: string): string {
  const copy = mkdtempSync(join(tmpdir(), 'palisade-notes-'));
  try {
    const chart = join(copy, 'palisade');
    cpSync(CHART, chart, { recursive: true });
    cpSync(join(chart, 'templates/NOTES.txt'), join(chart, 'files/notes.txt'));
    rmSync(join(chart, 'templates/NOTES.txt'));
    writeFileSync(join(chart, 'templates/notes.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: notes}\ndata:\n  notes: {{ tpl (.Files.Get "files/notes.txt") . | toJson }}\n');
    const run = tool(bin, 'helm', ['template', release.name, chart, '--namespace', release.namespace, '--show-only', 'templates/notes.yaml', ...(valuesFile ? ['--values', valuesFile] : [])]);
    if (run.code !== 0) throw new Error(`rendering NOTES.txt failed: ${run.stderr}`);
    const [notes] = parseObjects(run.stdout);
    return String((notes?.['data'] as { notes?: string } | undefined)?.notes ?? '');
  } finally {
    rmSync(copy, { recursive: true, force: true });
  }
}
