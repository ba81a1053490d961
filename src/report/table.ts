/**
 * Human-readable terminal output: findings grouped by resource, most consequential first, one
 * summary line at the end (the line a CI log reader looks for).
 */
import type { DecidedFinding, ExceptionRef } from '../policy/types.js';
import type { Severity } from '../rules/types.js';
import { escapeUnsafe } from '../text/escape-unsafe.js';
import { palette, type Palette, type Style } from './colors.js';
import type { ResourceResult, ScanReport, ScanSummary, StandardScore } from './types.js';
import {
  canonicalReport,
  count,
  findingLine,
  namespacedName,
  oneLine,
  OUTCOME_LABELS,
  outcomeOf,
  sourceLabel,
  type Outcome,
} from './view.js';

const SEVERITY_WIDTH = 'CRITICAL'.length;
const OUTCOME_WIDTH = 'EXCEPTED'.length;
/** Past this, a long code no longer pushes every message to the right. */
const MAX_CODE_WIDTH = 40;
const INDENT = '  ';
const DETAIL_INDENT = ' '.repeat(INDENT.length + SEVERITY_WIDTH + 2 + OUTCOME_WIDTH + 2);

/** Messages, names and file paths come from the scanned manifests, which are untrusted. */
function safe(text: string): string {
  return escapeUnsafe(oneLine(text));
}

function severityStyle(p: Palette, severity: Severity): Style {
  switch (severity) {
    case 'critical':
      return (s) => p.bold(p.magenta(s));
    case 'high':
      return p.red;
    case 'medium':
      return p.yellow;
    case 'low':
      return p.cyan;
    default:
      return p.dim;
  }
}

function outcomeStyle(p: Palette, outcome: Outcome): Style {
  switch (outcome) {
    case 'deny':
      return (s) => p.bold(p.red(s));
    case 'warn':
      return p.yellow;
    case 'dry-run':
      return p.cyan;
    case 'excepted':
      return p.dim;
  }
}

function exceptionName(ref: ExceptionRef): string {
  return safe(ref.namespace ? `${ref.namespace}/${ref.name}` : ref.name);
}

function exceptionDetails(ref: ExceptionRef, expiryWord: string): string {
  const parts = [`owner ${safe(ref.owner)}`];
  if (ref.expiresAt) parts.push(`${expiryWord} ${safe(ref.expiresAt)}`);
  return parts.join(', ');
}

function findingLines(p: Palette, finding: DecidedFinding, codeWidth: number): string[] {
  const outcome = outcomeOf(finding);
  // Pad before styling: escape codes have no width but would count in padEnd.
  const severity = severityStyle(p, finding.severity)(finding.severity.toUpperCase().padEnd(SEVERITY_WIDTH));
  const label = outcomeStyle(p, outcome)(OUTCOME_LABELS[outcome].padEnd(OUTCOME_WIDTH));
  const code = p.bold(safe(finding.code).padEnd(codeWidth));
  const error = finding.result === 'error' ? p.red('rule error: ') : '';
  const lines = [`${INDENT}${severity}  ${label}  ${code}  ${error}${safe(finding.message)}`];

  const line = findingLine(finding);
  const at =
    finding.paths.length > 0
      ? `  (at ${line === undefined ? '' : `line ${line}: `}${finding.paths.map(safe).join(', ')})`
      : '';
  if (finding.remediation.trim() !== '' || at !== '') {
    lines.push(`${DETAIL_INDENT}${p.dim('fix:')} ${safe(finding.remediation)}${p.dim(at)}`.trimEnd());
  }
  if (finding.exceptedBy) {
    const ref = finding.exceptedBy;
    lines.push(
      `${DETAIL_INDENT}${p.dim('excepted:')} ${safe(ref.reason)} ${p.dim(
        `(exception ${exceptionName(ref)}, ${exceptionDetails(ref, 'expires')})`,
      )}`,
    );
  }
  if (finding.expiredException) {
    const ref = finding.expiredException;
    lines.push(
      `${DETAIL_INDENT}${p.yellow('expired exception:')} ${exceptionName(ref)} no longer applies ${p.dim(
        `(${exceptionDetails(ref, 'expired')})`,
      )}`,
    );
  }
  return lines;
}

function resourceBlock(p: Palette, result: ResourceResult, codeWidth: number): string[] {
  const { resource } = result;
  const where = sourceLabel(resource.file, resource.line);
  const header = `${p.bold(`${safe(resource.kind)} ${safe(namespacedName(resource))}`)}${
    where === undefined ? '' : `  ${p.dim(`(${safe(where)})`)}`
  }`;
  return [header, ...result.findings.flatMap((finding) => findingLines(p, finding, codeWidth))];
}

function standardLine(score: StandardScore, nameWidth: number): string {
  const failed = score.failed.length > 0 ? `  (failed: ${score.failed.map(safe).join(', ')})` : '';
  const percent = `${score.score.toFixed(1)}%`.padStart('100.0%'.length);
  return `${INDENT}${safe(score.standard).padEnd(nameWidth)}  ${percent}  ${score.passed}/${score.controls} controls passed${failed}`;
}

function summaryLine(p: Palette, summary: ScanSummary, problems: number): string {
  const denied = `${summary.denied} would be denied`;
  const parts = [
    summary.denied > 0 ? p.bold(p.red(denied)) : denied,
    count(summary.warned, 'warning'),
    `${summary.recorded} dry-run`,
    `${summary.excepted} excepted`,
  ];
  const head = `${count(summary.resources, 'resource')}, ${count(summary.findings, 'finding')}: ${parts.join(', ')}`;
  return problems > 0 ? `${head}; ${p.yellow(count(problems, 'input problem'))}` : head;
}

export function renderTable(input: ScanReport, options: { color: boolean }): string {
  const p = palette(options.color);
  const report = canonicalReport(input);
  const withFindings = report.results.filter((result) => result.findings.length > 0);
  const codeWidth = Math.min(
    MAX_CODE_WIDTH,
    Math.max(0, ...withFindings.flatMap((result) => result.findings.map((f) => safe(f.code).length))),
  );

  const blocks: string[][] = withFindings.map((result) => resourceBlock(p, result, codeWidth));
  if (withFindings.length === 0) blocks.push([p.green('No findings.')]);

  if (report.problems.length > 0) {
    blocks.push([
      p.bold(p.yellow('Input problems (not scanned):')),
      ...report.problems.map((problem) => {
        const where = sourceLabel(problem.file, problem.line) ?? '';
        return `${INDENT}${safe(where)}  ${safe(problem.message)}`;
      }),
    ]);
  }

  if (report.standards.length > 0) {
    const nameWidth = Math.max(...report.standards.map((s) => safe(s.standard).length));
    blocks.push([p.bold('Standards:'), ...report.standards.map((s) => standardLine(s, nameWidth))]);
  }

  blocks.push([summaryLine(p, report.summary, report.problems.length)]);
  return `${blocks.map((lines) => lines.join('\n')).join('\n\n')}\n`;
}
