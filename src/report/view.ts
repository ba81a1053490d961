/**
 * What every formatter needs to agree on: the outcome of a finding, how a resource is named and
 * located, and one canonical order. Sharing it keeps `table`, `sarif`, `junit` and `markdown`
 * telling the same story about the same report.
 */
import type { DecidedFinding } from '../policy/types.js';
import { SEVERITIES, type Severity } from '../rules/types.js';
import type { InputProblem, ResourceRef, ResourceResult, ScanReport, StandardScore } from './types.js';

/** What happens to a finding, in the words a user reads: the effective mode after exceptions. */
export type Outcome = 'deny' | 'warn' | 'dry-run' | 'excepted';

/** Most consequential first; also the display order within a resource. */
export const OUTCOMES: readonly Outcome[] = ['deny', 'warn', 'dry-run', 'excepted'];

export const OUTCOME_LABELS: Record<Outcome, string> = {
  deny: 'DENY',
  warn: 'WARN',
  'dry-run': 'DRY-RUN',
  excepted: 'EXCEPTED',
};

/**
 * An exception wins over everything. `denies` is decided by policy (an enforce-mode rule that
 * errored with onError=allow does not deny), so a non-denying enforce finding is reported as a
 * warning rather than pretending it would block.
 */
export function outcomeOf(finding: DecidedFinding): Outcome {
  if (finding.exceptedBy) return 'excepted';
  if (finding.denies) return 'deny';
  if (finding.mode === 'dry-run') return 'dry-run';
  return 'warn';
}

/** The most consequential outcome of a group of findings (`excepted` when the list is empty). */
export function worstOutcome(findings: readonly DecidedFinding[]): Outcome {
  let best = OUTCOMES.length - 1;
  for (const finding of findings) best = Math.min(best, OUTCOMES.indexOf(outcomeOf(finding)));
  return OUTCOMES[best] ?? 'excepted';
}

/** The line of the offending field when the engine could pin it, else undefined (use the resource's). */
export function findingLine(finding: DecidedFinding): number | undefined {
  const { line } = finding;
  return line !== undefined && Number.isInteger(line) && line > 0 ? line : undefined;
}

/** `default/web`, or `web` for cluster-scoped objects. */
export function namespacedName(resource: ResourceRef): string {
  return resource.namespace ? `${resource.namespace}/${resource.name}` : resource.name;
}

/** `Deployment/default/web`, or `ClusterRole/admin`: the logical name used by SARIF and JUnit. */
export function qualifiedName(resource: ResourceRef): string {
  return `${resource.kind}/${namespacedName(resource)}`;
}

/** `manifests/web.yaml:12`, `manifests/web.yaml`, or undefined when the origin is unknown. */
export function sourceLabel(file: string | undefined, line: number | undefined): string | undefined {
  if (file === undefined || file === '') return undefined;
  const shown = file === '-' ? '<stdin>' : file;
  return line === undefined ? shown : `${shown}:${line}`;
}

/** Singular or plural noun with its count: `1 finding`, `2 findings`. */
export function count(n: number, singular: string, plural = `${singular}s`): string {
  return `${n} ${n === 1 ? singular : plural}`;
}

/** Code-point comparison: `localeCompare` would make the order depend on the machine's locale. */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareOptionalText(a: string | undefined, b: string | undefined): number {
  if (a === b) return 0;
  if (a === undefined) return 1;
  if (b === undefined) return -1;
  return compareText(a, b);
}

function compareOptionalNumber(a: number | undefined, b: number | undefined): number {
  if (a === b) return 0;
  if (a === undefined) return 1;
  if (b === undefined) return -1;
  return a - b;
}

export function severityRank(severity: Severity): number {
  const rank = SEVERITIES.indexOf(severity);
  return rank === -1 ? SEVERITIES.length : rank;
}

/** Resources in file order (where they are in the manifests), then by identity. */
function compareResources(a: ResourceRef, b: ResourceRef): number {
  return (
    compareOptionalText(a.file, b.file) ||
    compareOptionalNumber(a.line, b.line) ||
    compareText(a.kind, b.kind) ||
    compareOptionalText(a.namespace, b.namespace) ||
    compareText(a.name, b.name) ||
    compareText(a.apiVersion, b.apiVersion)
  );
}

/** What the user must act on first: outcome, then severity, then a stable tie-break. */
export function compareFindings(a: DecidedFinding, b: DecidedFinding): number {
  return (
    OUTCOMES.indexOf(outcomeOf(a)) - OUTCOMES.indexOf(outcomeOf(b)) ||
    severityRank(a.severity) - severityRank(b.severity) ||
    compareText(a.code, b.code) ||
    compareText(a.paths.join('\n'), b.paths.join('\n')) ||
    compareText(a.message, b.message)
  );
}

function compareProblems(a: InputProblem, b: InputProblem): number {
  return (
    compareText(a.file, b.file) ||
    compareOptionalNumber(a.line, b.line) ||
    compareText(a.message, b.message)
  );
}

function orderedBySeverity(bySeverity: Record<string, number>): Record<string, number> {
  const keys = Object.keys(bySeverity).sort((a, b) => {
    const ra = severityRank(a as Severity);
    const rb = severityRank(b as Severity);
    return ra - rb || compareText(a, b);
  });
  const out: Record<string, number> = {};
  for (const key of keys) out[key] = bySeverity[key] ?? 0;
  return out;
}

/**
 * A copy of the report in canonical order, so output does not depend on the order files were
 * walked or rules ran in (golden files, diffs between two CI runs). The input is not modified.
 */
export function canonicalReport(report: ScanReport): ScanReport {
  const results: ResourceResult[] = report.results
    .map((result) => ({ ...result, findings: [...result.findings].sort(compareFindings) }))
    .sort((a, b) => compareResources(a.resource, b.resource));
  const standards: StandardScore[] = [...report.standards].sort((a, b) => compareText(a.standard, b.standard));
  return {
    ...report,
    results,
    problems: [...report.problems].sort(compareProblems),
    summary: { ...report.summary, bySeverity: orderedBySeverity(report.summary.bySeverity) },
    standards,
  };
}

/** Collapses newlines and runs of blanks, for formats that show a message on one line. */
export function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}
