/**
 * Golden files: the exact bytes each format renders for the fixture reports. A change shows up as
 * a reviewable diff; UPDATE_FIXTURES=1 rewrites them after an intended change.
 */
import t from 'tap';
import { REPORT_FORMATS, renderReport, type ReportFormat } from '../../src/report/format.js';
import { loadReport, matchGolden } from './helpers.js';

const EXTENSIONS: Record<ReportFormat, string> = {
  table: 'txt',
  json: 'json',
  sarif: 'sarif',
  junit: 'xml',
  markdown: 'md',
};

for (const fixture of ['scan-report', 'clean-report']) {
  for (const format of REPORT_FORMATS) {
    t.test(`${fixture} as ${format}`, async (t) => {
      const report = await loadReport(`${fixture}.json`);
      await matchGolden(t, `${fixture}.${format}.${EXTENSIONS[format]}`, renderReport(report, format, { color: false }));
    });
  }
}

t.test('scan-report as coloured table', async (t) => {
  const report = await loadReport('scan-report.json');
  await matchGolden(t, 'scan-report.table-color.txt', renderReport(report, 'table', { color: true }));
});
