/**
 * Shared by the report tests: fixture loading, golden-file comparison and schema validators.
 * Not a *.test.ts file, so tap does not run it on its own.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ValidateFunction } from 'ajv';
import ajvDraft04 from 'ajv-draft-04';
import ajvFormats from 'ajv-formats';
import type { Test } from 'tap';
import type { ScanReport } from '../../src/report/types.js';

const here = dirname(fileURLToPath(import.meta.url));
export const ROOT = join(here, '..', '..');
export const FIXTURES = join(ROOT, 'test', 'fixtures', 'report');
export const GOLDEN = join(FIXTURES, 'golden');

/** The fixtures are ScanReports written by hand; json.test.ts validates them against the schema. */
export async function loadReport(name: string): Promise<ScanReport> {
  return JSON.parse(await readFile(join(FIXTURES, name), 'utf8')) as ScanReport;
}

export async function readJson(path: string): Promise<unknown> {
  return JSON.parse(await readFile(path, 'utf8')) as unknown;
}

/**
 * Compares output with a golden file. Only UPDATE_FIXTURES=1 rewrites it: a test run that
 * silently blessed its own output would never catch a regression.
 */
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
    t.fail(`${shown} is missing; create it with UPDATE_FIXTURES=1 npx tap test/report/golden.test.ts`);
    return;
  }
  t.equal(
    actual,
    expected,
    `${shown} matches (if the change is intended: UPDATE_FIXTURES=1 npx tap test/report/golden.test.ts, then review git diff)`,
  );
}

// Both packages are CommonJS whose module.exports is also its own `.default`; under nodenext the
// default import is typed as module.exports, so `.default` is the one spelling right for both.
const addFormats = ajvFormats.default;

/** Validator for docs/scan-report.schema.json (draft-07, ajv's default dialect), formats checked. */
export async function scanReportValidator(): Promise<ValidateFunction> {
  const ajv = new Ajv({ allErrors: true, strict: true });
  addFormats(ajv);
  return ajv.compile((await readJson(join(ROOT, 'docs', 'scan-report.schema.json'))) as object);
}

/**
 * The official SARIF 2.1.0 schema (rtm.5, the published 2.1.0 schema, as JSON Schema draft-04),
 * shipped by Microsoft's @microsoft/jest-sarif. Draft-04 needs ajv-draft-04; `strict: false`
 * because the schema was not written for ajv's strict mode (for example `default` next to `$ref`).
 */
export async function sarifValidator(): Promise<ValidateFunction> {
  const require = createRequire(import.meta.url);
  const schemaPath = join(dirname(require.resolve('@microsoft/jest-sarif/package.json')), 'lib', 'schemas', 'sarif-2.1.0-rtm.5.json');
  const Ajv04 = ajvDraft04.default;
  // unicodeRegExp: false because the schema's `language` pattern (`...[a-zA-Z]{2}]?$`) has a stray
  // `]` that is legal in a plain RegExp but a syntax error with the `u` flag ajv uses by default.
  const ajv = new Ajv04({ allErrors: true, strict: false, unicodeRegExp: false });
  addFormats(ajv);
  return ajv.compile((await readJson(schemaPath)) as object);
}

export function errorsText(validate: ValidateFunction): string {
  return (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? e.keyword}`).join('\n');
}
