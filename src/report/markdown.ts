/**
 * GitHub-flavoured Markdown for a pull-request comment: a summary table first (what a reviewer
 * reads), then one table of findings per resource. Every piece of report text is escaped:
 * messages quote object names from the manifests under review, which the PR author controls.
 */
import type { DecidedFinding, ExceptionRef } from '../policy/types.js';
import { docsUrl } from './links.js';
import { cell, code, escapeMarkdown } from './markdown-text.js';
import type { InputProblem, ResourceResult, ScanReport, StandardScore } from './types.js';
import { canonicalReport, count, findingLine, namespacedName, OUTCOME_LABELS, outcomeOf, sourceLabel } from './view.js';

function row(cells: readonly string[]): string {
  return `| ${cells.map(cell).join(' | ')} |`;
}

/** Parentheses and pipes are encoded so a link stays one Markdown token inside a table cell. */
function linkTarget(docs: string): string | undefined {
  return docsUrl(docs)?.replace(/[()|]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`);
}

function exceptionName(ref: ExceptionRef): string {
  return escapeMarkdown(ref.namespace ? `${ref.namespace}/${ref.name}` : ref.name);
}

function fixCell(finding: DecidedFinding): string {
  const parts: string[] = [];
  if (finding.remediation.trim() !== '') parts.push(escapeMarkdown(finding.remediation));
  const line = findingLine(finding);
  if (finding.paths.length > 0) {
    parts.push(`at ${line === undefined ? '' : `line ${line}: `}${finding.paths.map(code).join(', ')}`);
  }
  if (finding.exceptedBy) {
    const ref = finding.exceptedBy;
    parts.push(`_Excepted by ${exceptionName(ref)}: ${escapeMarkdown(ref.reason)}_`);
  }
  if (finding.expiredException) {
    const ref = finding.expiredException;
    const when = ref.expiresAt ? ` (expired ${escapeMarkdown(ref.expiresAt)})` : '';
    parts.push(`**Expired exception** ${exceptionName(ref)}${when} no longer applies`);
  }
  return parts.join('\n');
}

function findingRow(finding: DecidedFinding): string {
  const outcome = OUTCOME_LABELS[outcomeOf(finding)];
  const url = linkTarget(finding.docs);
  const rule = url === undefined ? code(finding.code) : `[${code(finding.code)}](${url})`;
  const message = `${finding.result === 'error' ? '**rule error:** ' : ''}${escapeMarkdown(finding.message)}`;
  return row([
    escapeMarkdown(finding.severity),
    outcomeOf(finding) === 'deny' ? `**${outcome}**` : outcome,
    rule,
    message,
    fixCell(finding),
  ]);
}

function resourceSection(result: ResourceResult): string {
  const { resource } = result;
  const where = sourceLabel(resource.file, resource.line);
  const heading = `#### ${escapeMarkdown(resource.kind)} ${code(namespacedName(resource))}${
    where === undefined ? '' : ` — ${code(where)}`
  }`;
  return [
    heading,
    '',
    row(['Severity', 'Outcome', 'Rule', 'Message', 'Fix']),
    '| --- | --- | --- | --- | --- |',
    ...result.findings.map(findingRow),
  ].join('\n');
}

function summarySection(report: ScanReport): string {
  const { summary } = report;
  const verdict =
    summary.denied > 0
      ? `**${count(summary.denied, 'finding')} would be denied at admission.**`
      : 'Nothing would be denied at admission.';
  const severities = Object.entries(summary.bySeverity)
    .filter(([, n]) => n > 0)
    .map(([severity, n]) => `${escapeMarkdown(severity)} ${n}`);
  return [
    // A stable marker lets a CI job find and update its previous comment instead of adding one.
    '<!-- palisade:scan-report -->',
    '## Palisade scan',
    '',
    verdict,
    '',
    row(['Resources', 'Findings', 'Would be denied', 'Warnings', 'Dry-run', 'Excepted', 'Input problems']),
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    row([summary.resources, summary.findings, summary.denied, summary.warned, summary.recorded, summary.excepted, report.problems.length].map(String)),
    ...(severities.length > 0 ? ['', `By severity: ${severities.join(' · ')}`] : []),
  ].join('\n');
}

function problemsSection(problems: readonly InputProblem[]): string {
  return [
    '### Input problems',
    '',
    'These documents were not scanned.',
    '',
    row(['Location', 'Problem']),
    '| --- | --- |',
    ...problems.map((p) => row([code(sourceLabel(p.file, p.line) ?? p.file), escapeMarkdown(p.message)])),
  ].join('\n');
}

function standardsSection(standards: readonly StandardScore[]): string {
  return [
    '### Standards',
    '',
    row(['Standard', 'Score', 'Controls passed', 'Failed controls']),
    '| --- | ---: | ---: | --- |',
    ...standards.map((s) =>
      row([
        escapeMarkdown(s.standard),
        `${s.score.toFixed(1)}%`,
        `${s.passed}/${s.controls}`,
        s.failed.length > 0 ? s.failed.map(code).join(', ') : '—',
      ]),
    ),
  ].join('\n');
}

export function renderMarkdown(input: ScanReport): string {
  const report = canonicalReport(input);
  const withFindings = report.results.filter((result) => result.findings.length > 0);
  const clean = report.results.length - withFindings.length;
  const sections = [summarySection(report)];
  if (withFindings.length > 0) {
    const note = clean > 0 ? `\n\n${count(clean, 'other resource')} had no findings.` : '';
    sections.push(`### Findings${note}`, ...withFindings.map(resourceSection));
  }
  if (report.problems.length > 0) sections.push(problemsSection(report.problems));
  if (report.standards.length > 0) sections.push(standardsSection(report.standards));
  sections.push(
    `<sub>palisade ${escapeMarkdown(report.tool.version)} · generated ${escapeMarkdown(report.generatedAt)}</sub>`,
  );
  return `${sections.join('\n\n')}\n`;
}
