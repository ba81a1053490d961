/**
 * JUnit XML for CI test-report views (GitLab, Jenkins, Azure DevOps, GitHub test-report actions).
 *
 * One testsuite per resource, not per rule: CI views list suites with their failure counts and
 * the fix for a resource is one edit in one file, so "Deployment default/web: 2 failures" is the
 * line a developer can act on, and the suite carries the file path those views link to. Within
 * it, one testcase per rule code (several findings of one code, e.g. per container, share it).
 * deny and warn fail the case, excepted skips it, dry-run passes with the detail in system-out.
 */
import type { DecidedFinding } from '../policy/types.js';
import { docsUrl } from './links.js';
import type { InputProblem, ResourceResult, ScanReport } from './types.js';
import {
  canonicalReport,
  findingLine,
  namespacedName,
  OUTCOME_LABELS,
  outcomeOf,
  qualifiedName,
  sourceLabel,
  worstOutcome,
} from './view.js';
import { attrs, xmlText } from './xml.js';

/** The `file` attribute links to the source in CI views; stdin (`-`) has none. */
function fileAttr(file: string | undefined): string | undefined {
  return file === '-' || file === '' ? undefined : file;
}

interface Case {
  xml: string;
  failed: boolean;
  skipped: boolean;
  errored: boolean;
}

function exceptionLabel(ref: { name: string; namespace?: string }): string {
  return ref.namespace ? `${ref.namespace}/${ref.name}` : ref.name;
}

function findingText(finding: DecidedFinding): string {
  const lines = [`[${OUTCOME_LABELS[outcomeOf(finding)]}] ${finding.severity}: ${finding.message}`];
  if (finding.result === 'error') lines.push('the rule could not be evaluated (rule error)');
  if (finding.remediation.trim() !== '') lines.push(`fix: ${finding.remediation}`);
  const line = findingLine(finding);
  for (const path of finding.paths) lines.push(`at: ${path}`);
  if (line !== undefined) lines.push(`line: ${line}`);
  if (finding.exceptedBy) {
    lines.push(`excepted by ${exceptionLabel(finding.exceptedBy)}: ${finding.exceptedBy.reason}`);
  }
  if (finding.expiredException) {
    const ref = finding.expiredException;
    lines.push(`expired exception ${exceptionLabel(ref)} (expired ${ref.expiresAt ?? 'unknown'}) no longer applies`);
  }
  const docs = docsUrl(finding.docs);
  if (docs !== undefined) lines.push(`docs: ${docs}`);
  return lines.join('\n');
}

function groupByCode(findings: readonly DecidedFinding[]): DecidedFinding[][] {
  const groups = new Map<string, DecidedFinding[]>();
  for (const finding of findings) {
    const group = groups.get(finding.code);
    if (group) group.push(finding);
    else groups.set(finding.code, [finding]);
  }
  return [...groups.values()];
}

function findingCase(result: ResourceResult, findings: DecidedFinding[]): Case {
  const first = findings[0];
  if (first === undefined) throw new Error('a testcase needs at least one finding');
  const { resource } = result;
  const outcome = worstOutcome(findings);
  const more = findings.length > 1 ? ` (and ${findings.length - 1} more)` : '';
  const body = xmlText(findings.map(findingText).join('\n\n'));
  const open = `    <testcase${attrs({
    name: first.code,
    classname: qualifiedName(resource),
    file: fileAttr(resource.file),
    line: findingLine(first) ?? resource.line,
    time: '0',
  })}>`;
  let inner: string;
  if (outcome === 'deny' || outcome === 'warn') {
    inner = `      <failure${attrs({ message: `${first.message}${more}`, type: outcome })}>${body}</failure>`;
  } else if (outcome === 'excepted') {
    const ref = first.exceptedBy;
    const why = ref ? `excepted by ${exceptionLabel(ref)}: ${ref.reason}` : 'excepted';
    inner = `      <skipped${attrs({ message: why })}/>\n      <system-out>${body}</system-out>`;
  } else {
    inner = `      <system-out>${body}</system-out>`;
  }
  return {
    xml: `${open}\n${inner}\n    </testcase>`,
    failed: outcome === 'deny' || outcome === 'warn',
    skipped: outcome === 'excepted',
    errored: false,
  };
}

/** A clean resource still shows as a passing test, so the suite count matches what was scanned. */
function cleanCase(result: ResourceResult): Case {
  const { resource } = result;
  const xml = `    <testcase${attrs({
    name: 'no findings',
    classname: qualifiedName(resource),
    file: fileAttr(resource.file),
    line: resource.line,
    time: '0',
  })}/>`;
  return { xml, failed: false, skipped: false, errored: false };
}

function problemCase(problem: InputProblem): Case {
  const where = sourceLabel(problem.file, problem.line) ?? problem.file;
  const xml = `    <testcase${attrs({ name: where, classname: 'palisade.input', file: fileAttr(problem.file), line: problem.line, time: '0' })}>
      <error${attrs({ message: problem.message, type: 'InputProblem' })}>${xmlText(
        `${where}: ${problem.message}\nThis document was not scanned.`,
      )}</error>
    </testcase>`;
  return { xml, failed: false, skipped: false, errored: true };
}

interface Suite {
  name: string;
  file?: string;
  cases: Case[];
}

function tally(cases: readonly Case[]): { tests: number; failures: number; errors: number; skipped: number } {
  return {
    tests: cases.length,
    failures: cases.filter((c) => c.failed).length,
    errors: cases.filter((c) => c.errored).length,
    skipped: cases.filter((c) => c.skipped).length,
  };
}

function suiteXml(suite: Suite, timestamp: string): string {
  const head = `  <testsuite${attrs({ name: suite.name, ...tally(suite.cases), time: '0', timestamp, file: suite.file })}>`;
  return [head, ...suite.cases.map((c) => c.xml), '  </testsuite>'].join('\n');
}

export function renderJunit(input: ScanReport): string {
  const report = canonicalReport(input);
  const suites: Suite[] = report.results.map((result) => {
    const where = sourceLabel(result.resource.file, result.resource.line);
    const name = `${result.resource.kind} ${namespacedName(result.resource)}${where ? ` (${where})` : ''}`;
    const cases =
      result.findings.length === 0
        ? [cleanCase(result)]
        : groupByCode(result.findings).map((findings) => findingCase(result, findings));
    return { name, file: fileAttr(result.resource.file), cases };
  });
  if (report.problems.length > 0) {
    suites.push({ name: 'input problems', cases: report.problems.map(problemCase) });
  }

  const all = suites.flatMap((suite) => suite.cases);
  const root = `<testsuites${attrs({ name: `palisade ${report.tool.version}`, ...tally(all), time: '0', timestamp: report.generatedAt })}>`;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    root,
    ...suites.map((suite) => suiteXml(suite, report.generatedAt)),
    '</testsuites>',
    '',
  ].join('\n');
}
