import t from 'tap';
import { renderMarkdown } from '../../src/report/markdown.js';
import { cell, code, escapeMarkdown } from '../../src/report/markdown-text.js';
import { loadReport } from './helpers.js';

/** Splits a GFM table row into cells the way GitHub does: on `|` not preceded by a backslash. */
function cells(row: string): string[] {
  return row.replace(/^\| /, '').replace(/ \|$/, '').split(/(?<!\\)\|/).map((c) => c.trim());
}

function tableRows(markdown: string): string[] {
  return markdown.split('\n').filter((line) => line.startsWith('| ') && !line.startsWith('| ---'));
}

t.test('a summary table first, then per-resource sections', async (t) => {
  const md = renderMarkdown(await loadReport('scan-report.json'));
  t.ok(md.startsWith('<!-- palisade:scan-report -->\n## Palisade scan\n'));
  t.match(md, '**3 findings would be denied at admission.**');
  t.match(md, '| 8 | 11 | 3 | 4 | 3 | 1 | 2 |');
  t.match(md, /^#### Pod `default\/debug-shell` — `manifests\/web\.yaml:40`$/m);
  t.match(md, /^#### ClusterRole `ops-admin` — `manifests\/rbac\.yaml:1`$/m);
  t.match(md, '### Input problems');
  t.match(md, '| `manifests/broken.yaml:7` | YAML parse error: bad indentation of a mapping entry (7:3) |');
  t.match(md, '### Standards');
  t.ok(md.indexOf('## Palisade scan') < md.indexOf('### Findings'));
});

t.test('pipes are escaped: every row keeps its column count', async (t) => {
  const report = await loadReport('scan-report.json');
  const [first] = report.results;
  const finding = first?.findings[0];
  if (!first || !finding) throw new Error('fixture changed');
  finding.message = 'a | b || c';
  finding.paths = ['metadata.annotations["x|y"]'];
  report.problems.push({ file: 'odd|name.yaml', message: 'pipe | inside' });
  const md = renderMarkdown(report);
  t.match(md, 'a \\| b \\|\\| c');
  t.match(md, '`metadata.annotations["x\\|y"]`');
  for (const row of tableRows(md)) {
    const n = cells(row).length;
    t.ok([2, 4, 5, 7].includes(n), `${n} cells: ${row.slice(0, 60)}`);
  }
  const findingRows = tableRows(md).filter((row) => row.includes('a \\| b'));
  t.equal(findingRows.length, 1);
  t.equal(cells(findingRows[0] ?? '').length, 5);
});

t.test('markdown and HTML from manifests is neutralised', async (t) => {
  t.equal(escapeMarkdown('*bold* _it_ [link](x) <img src=x> `c` ~s~ & \\'), '\\*bold\\* \\_it\\_ \\[link\\](x) &lt;img src=x&gt; \\`c\\` \\~s\\~ &amp; \\\\');
  t.equal(escapeMarkdown('ping @security-team, image@sha256:abc'), 'ping \\@security-team, image@sha256:abc');
  const md = renderMarkdown(await loadReport('scan-report.json'));
  t.match(md, 'mounts "/var/log/\\`pods\\`\\|&lt;all&gt;" from the node');
  t.notMatch(md, '<all>');
});

t.test('code spans survive backticks; cells survive newlines', async (t) => {
  t.equal(code('plain'), '`plain`');
  t.equal(code('a`b'), '``a`b``');
  t.equal(code('`edge`'), '`` `edge` ``');
  t.equal(cell('one\ntwo | three'), 'one<br>two \\| three');
});

t.test('outcomes are shown; excepted and expired exceptions explained', async (t) => {
  const md = renderMarkdown(await loadReport('scan-report.json'));
  for (const label of ['**DENY**', 'WARN', 'DRY-RUN', 'EXCEPTED']) t.match(md, `| ${label} |`);
  t.match(md, '_Excepted by payments/legacy-host-network: Payment terminal bridge needs the host network until PAY-1432 ships_');
  t.match(md, '**Expired exception** payments/allow-latest-during-migration (expired 2026-10-01T00:00:00.000Z) no longer applies');
  t.match(md, '[`disallow-privileged`](https://palisade.dev/docs/rules.md#disallow-privileged)');
});

t.test('a clean report', async (t) => {
  const md = renderMarkdown(await loadReport('clean-report.json'));
  t.match(md, 'Nothing would be denied at admission.');
  t.notMatch(md, '### Findings');
});
