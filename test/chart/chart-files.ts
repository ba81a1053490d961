/**
 * The files of charts/palisade that are copies or renderings of something else in the repository,
 * as they must be. chart-files.test.ts compares them with the committed files (and writes them with
 * UPDATE_FIXTURES=1), so they cannot drift from their source:
 *
 * - crds/: byte-for-byte copies of crds/*.yaml and crds/openreports/*.yaml (Helm installs a chart's
 *   crds/ folder before its templates, and only from inside the chart);
 * - files/builtin-rules.yaml: each built-in rule's shipped mode and first release, for `mode` pins
 *   and NOTES.txt;
 * - files/webhook-rules.yaml: the `rules` of each webhook as `palisade webhook-config` renders them
 *   for the built-in rules, for every `mode` the chart offers;
 * - values.schema.json (values-schema.ts), whose `config` is Palisade's configuration schema.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments, stringify } from 'yaml';
import type { CliIO } from '../../src/cli/cli-error.js';
import { webhookConfigCommand } from '../../src/cli/webhook-config-command.js';
import { BUILTIN_RULES_DIR } from '../../src/paths.js';
import { findRuleFiles } from '../../src/rules/loader.js';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const CHART = join(ROOT, 'charts/palisade');
export const BIN = join(ROOT, 'dist/cli/bin.js');
export const REGENERATE = 'UPDATE_FIXTURES=1 npx tap test/chart/chart-files.test.ts';

/** The chart's `mode` values; `shipped` leaves every rule in its own mode. */
export const CHART_MODES = ['shipped', 'dry-run', 'audit', 'enforce'] as const;
export type ChartMode = (typeof CHART_MODES)[number];

export interface BuiltinRule {
  id: string;
  mode: string;
  since: string;
  /** Matches every kind (`kinds: ['*']`): `mode: enforce` leaves it in its own mode (see modeConfig). */
  everyKind: boolean;
  mutates: boolean;
  /** `group/Kind` of what a context rule reads besides the objects it judges (core: `/Kind`). */
  contextKinds: string[];
}

interface WebhookRule {
  apiGroups: string[];
  apiVersions: string[];
  operations: string[];
  resources: string[];
  scope: string;
}

interface Webhook {
  name: string;
  rules: WebhookRule[];
}

/** Runs the built CLI (`npm test` and `npm run test:chart` build it first). */
export function palisade(args: string[], input?: string): { code: number | null; stdout: string; stderr: string } {
  const run = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8', input, maxBuffer: 64 * 1024 * 1024 });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

interface RuleDocument {
  metadata: { name: string };
  spec: { mode?: string; since?: string; match?: { resources?: unknown[] }; mutations?: unknown[]; contextKinds?: string[] };
}

/** The built-in rules, read from their files (rules/<category>/<id>/<id>.yaml). */
export async function builtinRules(): Promise<BuiltinRule[]> {
  const rules: BuiltinRule[] = [];
  for (const file of await findRuleFiles(BUILTIN_RULES_DIR)) {
    for (const document of parseAllDocuments(readFileSync(file, 'utf8'))) {
      const { metadata, spec } = document.toJS() as RuleDocument;
      const everyKind = (spec.match?.resources ?? []).some((r) => typeof r === 'object' && r !== null && ((r as { kinds?: string[] }).kinds ?? []).includes('*'));
      rules.push({ id: metadata.name, mode: spec.mode ?? 'audit', since: spec.since ?? '', everyKind, mutates: (spec.mutations?.length ?? 0) > 0, contextKinds: spec.contextKinds ?? [] });
    }
  }
  return rules.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/**
 * The configuration `mode` makes, as charts/palisade/templates/_config.tpl writes it: defaultMode,
 * and a pin for every rule that does not ship in dry-run, except that `enforce` leaves rules over
 * every kind alone (enforced, they would put every write in the cluster behind failurePolicy Fail).
 */
export function modeConfig(mode: ChartMode, rules: readonly BuiltinRule[]): Record<string, unknown> {
  if (mode === 'shipped') return {};
  const pinned = rules.filter((r) => r.mode !== 'dry-run' && !(mode === 'enforce' && r.everyKind));
  const pins = Object.fromEntries(pinned.map((r) => [r.id, { mode }]));
  return { defaultMode: mode, rules: pins };
}

/**
 * The rendered webhooks of both configurations, by webhook name: `palisade webhook-config` run in
 * this process (the command function, as test/webhook/webhook-config-command.test.ts does), which
 * saves a process start and a rule compilation per mode.
 */
export async function renderWebhooks(config: Record<string, unknown>): Promise<Map<string, Webhook>> {
  const dir = mkdtempSync(join(tmpdir(), 'palisade-chart-'));
  try {
    const file = join(dir, 'palisade.yaml');
    writeFileSync(file, stringify({ apiVersion: 'palisade.dev/v1alpha1', kind: 'Configuration', ...config }));
    let stdout = '';
    let stderr = '';
    const io: CliIO = {
      stdout: (text) => void (stdout += text),
      stderr: (text) => void (stderr += text),
      readStdin: async () => '',
      isTTY: false,
      env: {},
      now: () => new Date(),
    };
    const code = await webhookConfigCommand(['--service', 'palisade', '--namespace', 'palisade-system', '--config', file, '--format', 'json'], io);
    if (code !== 0) throw new Error(`palisade webhook-config failed: ${stderr}`);
    const list = JSON.parse(stdout) as { items: { webhooks: Webhook[] }[] };
    return new Map(list.items.flatMap((item) => item.webhooks).map((w) => [w.name, w]));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function rulesOf(webhooks: Map<string, Webhook>, name: string): WebhookRule[] {
  return webhooks.get(name)?.rules ?? [];
}

const HEADER = (what: string): string =>
  `# Generated by test/chart/chart-files.ts from ${what}; do not edit.\n# After a change there: ${REGENERATE}\n`;

export function builtinRulesFile(rules: readonly BuiltinRule[]): string {
  const body = { rules: Object.fromEntries(rules.map((r) => [r.id, { mode: r.mode, since: r.since, ...(r.everyKind ? { everyKind: true } : {}) }])) };
  return `${HEADER('the built-in rule files (rules/)')}${stringify(body)}`;
}

export async function webhookRulesFile(rules: readonly BuiltinRule[]): Promise<string> {
  const modes: Record<string, { enforce: WebhookRule[]; audit: WebhookRule[] }> = {};
  let shipped = new Map<string, Webhook>();
  for (const mode of CHART_MODES) {
    const webhooks = await renderWebhooks(modeConfig(mode, rules));
    if (mode === 'shipped') shipped = webhooks;
    modes[mode] = { enforce: rulesOf(webhooks, 'enforce.validate.palisade.dev'), audit: rulesOf(webhooks, 'audit.validate.palisade.dev') };
  }
  const mutating = rules.filter((r) => r.mutates).map((r) => r.id);
  const mutation = async (mutatePodsOnly: boolean) =>
    rulesOf(await renderWebhooks({ admission: { mutatePodsOnly, mutation: { rules: mutating, namespaces: ['*'] } } }), 'mutate.palisade.dev');
  const body = {
    modes,
    resources: rulesOf(shipped, 'resources.validate.palisade.dev'),
    stamp: rulesOf(shipped, 'stamp.mutate.palisade.dev'),
    mutate: { podsOnly: await mutation(true), workloads: await mutation(false) },
  };
  return `${HEADER('palisade webhook-config over the built-in rules in each chart mode')}${stringify(body)}`;
}

/** Chart path → the CRD file it copies. */
export function crdCopies(): Map<string, string> {
  const copies = new Map<string, string>();
  for (const dir of ['crds', 'crds/openreports']) {
    for (const name of readdirSync(join(ROOT, dir)).filter((n) => /\.ya?ml$/.test(n)).sort()) {
      copies.set(`crds/${basename(name)}`, join(ROOT, dir, name));
    }
  }
  return copies;
}
