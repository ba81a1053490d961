import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { renderJson, SCAN_REPORT_FORMAT } from '../../src/report/json.js';
import type { ScanReport } from '../../src/report/types.js';
import { errorsText, loadReport, readJson, ROOT, scanReportValidator } from './helpers.js';

t.test('the fixtures are valid scan reports (keeps them realistic)', async (t) => {
  const validate = await scanReportValidator();
  for (const name of ['scan-report.json', 'clean-report.json']) {
    const report = await loadReport(name);
    t.ok(validate({ format: SCAN_REPORT_FORMAT, ...report }), `${name}\n${errorsText(validate)}`);
  }
});

t.test('output validates against docs/scan-report.schema.json', async (t) => {
  const validate = await scanReportValidator();
  for (const name of ['scan-report.json', 'clean-report.json']) {
    const output: unknown = JSON.parse(renderJson(await loadReport(name)));
    t.ok(validate(output), `${name}\n${errorsText(validate)}`);
  }
});

t.test('the schema rejects what it should', async (t) => {
  const validate = await scanReportValidator();
  const good = JSON.parse(renderJson(await loadReport('scan-report.json'))) as Record<string, unknown>;
  t.notOk(validate({ ...good, format: 'palisade.dev/scan-report/v2' }), 'other version');
  t.notOk(validate({ ...good, generatedAt: 'yesterday' }), 'date-time format is checked');
  t.notOk(validate({ ...good, surprise: true }), 'undocumented top-level field');
});

t.test('the ScanReport itself, with the format marker first, pretty-printed', async (t) => {
  const report = await loadReport('scan-report.json');
  const text = renderJson(report);
  t.ok(text.startsWith(`{\n  "format": "${SCAN_REPORT_FORMAT}",\n  "tool": {`));
  t.ok(text.endsWith('}\n'));
  const { format, ...rest } = JSON.parse(text) as { format: string } & ScanReport;
  t.equal(format, SCAN_REPORT_FORMAT);
  t.same(rest.summary, report.summary);
  t.equal(rest.results.length, report.results.length);
  t.same(
    rest.results.flatMap((r) => r.findings.map((f) => f.code)).sort(),
    report.results.flatMap((r) => r.findings.map((f) => f.code)).sort(),
    'same findings, canonical order',
  );
});

t.test('BigInt-safe', async (t) => {
  const report = await loadReport('clean-report.json');
  // Not in ScanReport's types; smuggled in to prove a stray BigInt cannot crash the formatter.
  const withBigints = { ...report, summary: { ...report.summary, resources: 2n as unknown as number } };
  (withBigints.standards as unknown[]).push({ huge: 2n ** 64n });
  const parsed = JSON.parse(renderJson(withBigints)) as { summary: { resources: unknown }; standards: { huge: unknown }[] };
  t.equal(parsed.summary.resources, 2, 'a safe integer stays a number');
  t.equal(parsed.standards[0]?.huge, '18446744073709551616', 'a large one becomes a decimal string');
});

t.test('the input report is not modified (canonical order is applied to a copy)', async (t) => {
  const report = await loadReport('scan-report.json');
  const before = JSON.stringify(report);
  renderJson(report);
  t.equal(JSON.stringify(report), before);
});

/** Every property name the schema declares, with where it was declared, for the docs check. */
function schemaProperties(node: unknown, at: string, out: Map<string, string>): void {
  if (typeof node !== 'object' || node === null) return;
  const record = node as Record<string, unknown>;
  const properties = record['properties'];
  if (typeof properties === 'object' && properties !== null) {
    for (const name of Object.keys(properties)) out.set(`${at}.${name}`, name);
  }
  for (const [key, value] of Object.entries(record)) schemaProperties(value, `${at}/${key}`, out);
}

t.test('docs/scan-json.md documents every field of the schema', async (t) => {
  const schema = await readJson(join(ROOT, 'docs', 'scan-report.schema.json'));
  const docs = await readFile(join(ROOT, 'docs', 'scan-json.md'), 'utf8');
  const fields = new Map<string, string>();
  schemaProperties(schema, '#', fields);
  t.ok(fields.size > 40, 'the walk found the schema fields');
  for (const [where, name] of fields) {
    t.ok(docs.includes(`| \`${name}\` |`) || docs.includes(`| \`tool.${name}\` |`), `${name} (${where}) has a row in the docs`);
  }
});
