import t from 'tap';
import type { DecidedFinding } from '../../src/policy/types.js';
import { renderTable } from '../../src/report/table.js';
import type { ScanReport } from '../../src/report/types.js';
import { loadReport } from './helpers.js';

const ESCAPE = /\u001b\[/;

function firstFinding(report: ScanReport): DecidedFinding {
  const finding = report.results.find((r) => r.findings.length > 0)?.findings[0];
  if (!finding) throw new Error('fixture has no finding');
  return finding;
}

t.test('no colour: no escape codes at all', async (t) => {
  const text = renderTable(await loadReport('scan-report.json'), { color: false });
  t.notMatch(text, ESCAPE);
});

t.test('colour: severities and outcomes are styled', async (t) => {
  const text = renderTable(await loadReport('scan-report.json'), { color: true });
  t.match(text, ESCAPE);
  t.match(text, '\u001b[31mHIGH', 'high is red');
  t.match(text, '\u001b[1m\u001b[31mDENY', 'deny is bold red');
  // Stripping the codes must give exactly the plain rendering: colour never changes layout.
  const stripped = text.replace(/\u001b\[\d+m/g, '');
  t.equal(stripped, renderTable(await loadReport('scan-report.json'), { color: false }));
});

t.test('grouped by resource with a file:line header, one line per finding and a fix line', async (t) => {
  const text = renderTable(await loadReport('scan-report.json'), { color: false });
  t.match(text, /^Deployment default\/web {2}\(manifests\/web\.yaml:1\)$/m);
  t.match(text, /^ClusterRole ops-admin {2}\(manifests\/rbac\.yaml:1\)$/m, 'cluster-scoped: no namespace');
  t.match(text, /^Namespace payments {2}\(<stdin>:1\)$/m, 'stdin shown as <stdin>');
  t.match(text, /^ {2}CRITICAL {2}DENY {6}disallow-privileged +privileged \(container "shell"/m);
  t.match(text, /^ +fix: Remove securityContext\.privileged .*\(at line 52: spec\.containers\[0\]\.securityContext\.privileged\)$/m);
  for (const label of ['DENY', 'WARN', 'DRY-RUN', 'EXCEPTED']) t.match(text, new RegExp(`  ${label} `), label);
  t.match(text, /excepted: Payment terminal bridge .*exception payments\/legacy-host-network/);
  t.match(text, /expired exception: payments\/allow-latest-during-migration no longer applies/);
  t.match(text, /rule error: signature status/);
  t.notMatch(text, /Service default\/web/, 'resources without findings are not listed');
});

t.test('input problems with file:line, and the summary line last', async (t) => {
  const text = renderTable(await loadReport('scan-report.json'), { color: false });
  t.match(text, /^ {2}manifests\/broken\.yaml:7 {2}YAML parse error/m);
  t.match(text, /^ {2}manifests\/notes\.yaml {2}not a Kubernetes object/m);
  const lines = text.trimEnd().split('\n');
  t.equal(
    lines.at(-1),
    '8 resources, 11 findings: 3 would be denied, 4 warnings, 3 dry-run, 1 excepted; 2 input problems',
  );
});

t.test('singular wording', async (t) => {
  const report = await loadReport('clean-report.json');
  report.results = report.results.slice(0, 1);
  report.summary = { ...report.summary, resources: 1, warned: 1 };
  t.match(renderTable(report, { color: false }), /^1 resource, 0 findings: 0 would be denied, 1 warning,/m);
});

t.test('stable: input order does not change the output', async (t) => {
  const report = await loadReport('scan-report.json');
  const shuffled: ScanReport = {
    ...report,
    results: [...report.results].reverse().map((r) => ({ ...r, findings: [...r.findings].reverse() })),
    problems: [...report.problems].reverse(),
    standards: [...report.standards].reverse(),
  };
  t.equal(renderTable(shuffled, { color: false }), renderTable(report, { color: false }));
});

t.test('findings ordered by outcome, then severity', async (t) => {
  const text = renderTable(await loadReport('scan-report.json'), { color: false });
  const pod = text.slice(text.indexOf('Pod default/debug-shell'));
  t.ok(pod.indexOf('CRITICAL  DENY') < pod.indexOf('HIGH      DENY'));
  t.ok(pod.indexOf('HIGH      DENY') < pod.indexOf('HIGH      DRY-RUN'));
});

t.test('terminal control sequences from manifests are neutralised', async (t) => {
  const report = await loadReport('scan-report.json');
  const finding = firstFinding(report);
  finding.message = 'name "\u001b]0;pwned\u0007\u001b[2J" and \u202eevil';
  const text = renderTable(report, { color: false });
  t.notMatch(text, ESCAPE);
  t.notMatch(text, /[\u0007\u202e]/);
  t.match(text, 'name "\\u{1b}]0;pwned\\u{7}\\u{1b}[2J" and \\u{202e}evil');
});

t.test('multi-line messages stay on one line', async (t) => {
  const report = await loadReport('scan-report.json');
  firstFinding(report).message = 'first line\n  second line';
  t.match(renderTable(report, { color: false }), /first line second line/);
});

t.test('a report without findings says so', async (t) => {
  const text = renderTable(await loadReport('clean-report.json'), { color: false });
  t.match(text, /^No findings\.$/m);
  t.match(text, /^2 resources, 0 findings:/m);
});
