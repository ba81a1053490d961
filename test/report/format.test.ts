import t from 'tap';
import { isReportFormat, REPORT_FORMATS, renderReport } from '../../src/report/format.js';
import { renderJson } from '../../src/report/json.js';
import { renderJunit } from '../../src/report/junit.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { renderSarif } from '../../src/report/sarif.js';
import { renderTable } from '../../src/report/table.js';
import type { DecidedFinding } from '../../src/policy/types.js';
import { outcomeOf } from '../../src/report/view.js';
import { loadReport } from './helpers.js';

t.test('the format list', async (t) => {
  t.same([...REPORT_FORMATS], ['table', 'json', 'sarif', 'junit', 'markdown']);
  t.ok(isReportFormat('sarif'));
  t.notOk(isReportFormat('yaml'));
  t.notOk(isReportFormat('toString'));
});

t.test('renderReport dispatches to each formatter', async (t) => {
  const report = await loadReport('scan-report.json');
  t.equal(renderReport(report, 'table', { color: true }), renderTable(report, { color: true }));
  t.equal(renderReport(report, 'json', { color: false }), renderJson(report));
  t.equal(renderReport(report, 'sarif', { color: false }), renderSarif(report));
  t.equal(renderReport(report, 'junit', { color: false }), renderJunit(report));
  t.equal(renderReport(report, 'markdown', { color: false }), renderMarkdown(report));
});

t.test('only the table is ever coloured; every output ends with a newline', async (t) => {
  const report = await loadReport('scan-report.json');
  for (const format of REPORT_FORMATS) {
    const text = renderReport(report, format, { color: true });
    t.ok(text.endsWith('\n'), `${format} ends with a newline`);
    if (format !== 'table') {
      t.equal(text, renderReport(report, format, { color: false }), `${format} ignores color`);
      t.notMatch(text, '\u001b[', `${format} has no escape codes`);
    }
  }
});

t.test('formatters do not modify the report', async (t) => {
  const report = await loadReport('scan-report.json');
  const before = JSON.stringify(report);
  for (const format of REPORT_FORMATS) renderReport(report, format, { color: true });
  t.equal(JSON.stringify(report), before);
});

t.test('the fixture summary agrees with the outcome rule every format uses', async (t) => {
  const report = await loadReport('scan-report.json');
  const findings: DecidedFinding[] = report.results.flatMap((r) => r.findings);
  const count = (o: string): number => findings.filter((f) => outcomeOf(f) === o).length;
  t.match(report.summary, {
    resources: report.results.length,
    findings: findings.length,
    denied: count('deny'),
    warned: count('warn'),
    recorded: count('dry-run'),
    excepted: count('excepted'),
  });
  const bySeverity: Record<string, number> = {};
  for (const f of findings) bySeverity[f.severity] = (bySeverity[f.severity] ?? 0) + 1;
  t.same(report.summary.bySeverity, bySeverity);
  t.ok(findings.some((f) => f.expiredException && !f.exceptedBy), 'covers an expired exception');
});
