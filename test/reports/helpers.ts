/**
 * Shared by the audit-report tests: the fixture audit run, rule metadata, policy configuration and
 * standard, and golden-file comparison. Not a *.test.ts file, so tap does not run it on its own.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Test } from 'tap';
import type { AuditResult } from '../../src/audit/types.js';
import type { PolicyConfig } from '../../src/policy/types.js';
import type { RuleMeta } from '../../src/rules/types.js';
import { parseStandard } from '../../src/standards/loader.js';
import type { Standard } from '../../src/standards/types.js';

const here = dirname(fileURLToPath(import.meta.url));
export const ROOT = join(here, '..', '..');
export const FIXTURES = join(ROOT, 'test', 'fixtures', 'reports');
export const GOLDEN = join(FIXTURES, 'golden');

export type FixtureRule = Pick<RuleMeta, 'id' | 'title' | 'severity' | 'category' | 'ruleClass' | 'remediation' | 'docs' | 'standards'> &
  Partial<Pick<RuleMeta, 'mode' | 'onError'>>;

async function readJson(name: string): Promise<unknown> {
  return JSON.parse(await readFile(join(FIXTURES, name), 'utf8')) as unknown;
}

/** The fixture run: dates are ISO strings in the file. */
export async function loadAuditResult(): Promise<AuditResult> {
  const raw = (await readJson('audit-result.json')) as Omit<AuditResult, 'startedAt' | 'finishedAt'> & { startedAt: string; finishedAt: string };
  return { ...raw, startedAt: new Date(raw.startedAt), finishedAt: new Date(raw.finishedAt) };
}

export async function loadRules(): Promise<FixtureRule[]> {
  return (await readJson('rules.json')) as FixtureRule[];
}

export async function loadPolicyConfig(): Promise<PolicyConfig> {
  return (await readJson('policy-config.json')) as PolicyConfig;
}

export async function loadStandard(): Promise<Standard[]> {
  const load = parseStandard(await readFile(join(FIXTURES, 'standard.yaml'), 'utf8'), 'standard.yaml');
  if (load.problems.length > 0) throw new Error(`standard.yaml: ${JSON.stringify(load.problems)}`);
  return load.standards;
}

/** A value as it comes back from the API server: plain JSON, keys in another order. */
export function roundTrip(value: unknown): unknown {
  const sortKeys = (_key: string, v: unknown): unknown =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? 1 : a > b ? -1 : 0)))
      : v;
  return JSON.parse(JSON.stringify(value, sortKeys)) as unknown;
}

/** Compares output with a golden file; only UPDATE_FIXTURES=1 rewrites it. */
export async function matchGolden(t: Test, name: string, actual: string): Promise<void> {
  const file = join(GOLDEN, name);
  const shown = relative(ROOT, file);
  if (process.env['UPDATE_FIXTURES'] === '1') {
    await writeFile(file, actual);
    t.pass(`updated ${shown}`);
    return;
  }
  let expected: string;
  try {
    expected = await readFile(file, 'utf8');
  } catch {
    t.fail(`${shown} is missing; create it with UPDATE_FIXTURES=1 npx tap test/reports/*.test.ts`);
    return;
  }
  t.equal(actual, expected, `${shown} matches (if the change is intended: UPDATE_FIXTURES=1 npx tap test/reports/*.test.ts, then review git diff)`);
}
