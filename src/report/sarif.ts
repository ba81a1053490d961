/**
 * SARIF 2.1.0 for code-scanning dashboards (GitHub code scanning, Azure DevOps, GitLab). Choices
 * follow what GitHub reads: `security-severity` on rules, relative artifact URIs, and
 * partialFingerprints so an alert survives lines moving above it.
 */
import { createHash } from 'node:crypto';
import type { DecidedFinding, ExceptionRef } from '../policy/types.js';
import type { Mode, Severity } from '../rules/types.js';
import type {
  PropertyBag,
  SarifLevel,
  SarifLocation,
  SarifLog,
  SarifLogicalLocation,
  SarifNotification,
  SarifReportingDescriptor,
  SarifResult,
} from './sarif-log.js';
import type { InputProblem, ResourceRef, ScanReport } from './types.js';
import { docsUrl, PALISADE_HOME } from './links.js';
import { escapeMarkdown } from './markdown-text.js';
import { canonicalReport, compareText, findingLine, outcomeOf, qualifiedName, type Outcome } from './view.js';

export const SARIF_SCHEMA_URI = 'https://json.schemastore.org/sarif-2.1.0.json';

/** GitHub code scanning maps these scores onto its critical/high/medium/low bands. */
const SECURITY_SEVERITY: Record<Severity, string> = {
  critical: '9.5',
  high: '8.0',
  medium: '5.5',
  low: '3.0',
  info: '1.0',
};

const LEVEL_BY_OUTCOME: Record<Outcome, SarifLevel> = {
  deny: 'error',
  warn: 'warning',
  'dry-run': 'note',
  excepted: 'note',
};

const LEVEL_BY_MODE: Record<Mode, SarifLevel> = {
  enforce: 'error',
  audit: 'warning',
  'dry-run': 'note',
};

const SEMVER = /^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/;

/**
 * A relative, forward-slash URI reference for a manifest path, as code scanning resolves it
 * against the repository root. stdin (`-`) has no artifact. Absolute paths become file: URIs so
 * the output stays a valid URI reference, although dashboards will not map them to the repo.
 */
export function artifactUri(file: string | undefined): string | undefined {
  if (file === undefined || file === '' || file === '-') return undefined;
  let path = file.replace(/\\/g, '/');
  if (/^[A-Za-z]:\//.test(path)) path = `/${path}`;
  // encodeURI keeps `?` and `#`, which would end the path part of the URI.
  const encode = (p: string): string => encodeURI(p).replace(/\?/g, '%3F').replace(/#/g, '%23');
  if (path.startsWith('/')) return `file://${encode(path)}`;
  path = path.replace(/^(?:\.\/)+/, '');
  // A colon in the first segment would read as a URI scheme.
  const first = path.split('/')[0] ?? '';
  return first.includes(':') ? `./${encode(path)}` : encode(path);
}

/** `pod-security/run-as-root` → `PodSecurityRunAsRoot`: SARIF wants an identifier-like name. */
function pascalCase(code: string): string {
  return code
    .split(/[^A-Za-z0-9]+/)
    .filter((part) => part !== '')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}

function standardTags(finding: DecidedFinding): string[] {
  return Object.entries(finding.standards)
    .flatMap(([standard, controls]) => (controls.length === 0 ? [standard] : controls.map((c) => `${standard}:${c}`)))
    .sort(compareText);
}

function descriptor(finding: DecidedFinding): SarifReportingDescriptor {
  const remediation = finding.remediation.trim() === '' ? finding.title : finding.remediation;
  const docs = docsUrl(finding.docs);
  // The finding does not carry the rule's description; title, category and severity are what it has.
  const full = `${finding.title}. Category: ${finding.category}; severity: ${finding.severity}.`;
  return {
    id: finding.code,
    name: pascalCase(finding.code),
    shortDescription: { text: finding.title },
    fullDescription: { text: full },
    ...(docs === undefined ? {} : { helpUri: docs }),
    help: {
      text: remediation,
      markdown: `${escapeMarkdown(remediation)}${docs === undefined ? '' : `\n\n[Rule documentation](<${docs}>)`}`,
    },
    // A rule without its own mode follows the configured default, which the report does not carry.
    ...(finding.ruleMode === undefined ? {} : { defaultConfiguration: { level: LEVEL_BY_MODE[finding.ruleMode] } }),
    properties: {
      'security-severity': SECURITY_SEVERITY[finding.severity],
      // A Set: the schema requires unique tags and a category may equal a fixed tag.
      tags: [...new Set(['security', 'kubernetes', finding.category, ...standardTags(finding)])],
      severity: finding.severity,
      category: finding.category,
      ruleId: finding.ruleId,
    },
  };
}

function fieldLocations(resource: ResourceRef, paths: readonly string[]): SarifLogicalLocation[] {
  const fqn = qualifiedName(resource);
  const self: SarifLogicalLocation = { name: resource.name, fullyQualifiedName: fqn, kind: 'resource' };
  return [self, ...paths.map((path) => ({ name: path, fullyQualifiedName: `${fqn}/${path}`, kind: 'property' }))];
}

function location(resource: ResourceRef, finding: DecidedFinding): SarifLocation {
  const uri = artifactUri(resource.file);
  const line = findingLine(finding) ?? resource.line;
  return {
    ...(uri === undefined
      ? {}
      : {
          physicalLocation: {
            artifactLocation: { uri },
            ...(line === undefined ? {} : { region: { startLine: line } }),
          },
        }),
    logicalLocations: fieldLocations(resource, finding.paths),
  };
}

/** Stable across line moves and message rewording: what was found, on which object, where. */
function fingerprint(resource: ResourceRef, finding: DecidedFinding): string {
  const key = [finding.code, resource.apiVersion, qualifiedName(resource), ...finding.paths].join('\u0000');
  return createHash('sha256').update(key).digest('hex').slice(0, 32);
}

function exceptionProperties(ref: ExceptionRef): PropertyBag {
  return { ...ref };
}

function result(resource: ResourceRef, finding: DecidedFinding, ruleIndex: number): SarifResult {
  const outcome = outcomeOf(finding);
  const properties: PropertyBag = {
    outcome,
    mode: finding.mode,
    modeSource: finding.modeSource,
    severity: finding.severity,
    result: finding.result,
    paths: finding.paths,
    containers: finding.containers,
    images: finding.images,
  };
  if (finding.expiredException) properties['expiredException'] = exceptionProperties(finding.expiredException);
  return {
    ruleId: finding.code,
    ruleIndex,
    kind: 'fail',
    level: LEVEL_BY_OUTCOME[outcome],
    message: { text: finding.message },
    locations: [location(resource, finding)],
    partialFingerprints: { 'palisadeFinding/v1': fingerprint(resource, finding) },
    ...(finding.exceptedBy
      ? {
          suppressions: [
            {
              kind: 'external',
              status: 'accepted',
              justification: finding.exceptedBy.reason,
              properties: exceptionProperties(finding.exceptedBy),
            },
          ],
        }
      : {}),
    properties,
  };
}

function notification(problem: InputProblem): SarifNotification {
  const uri = artifactUri(problem.file);
  return {
    level: 'error',
    message: { text: problem.file === '-' ? `<stdin>: ${problem.message}` : problem.message },
    ...(uri === undefined
      ? {}
      : {
          locations: [
            {
              physicalLocation: {
                artifactLocation: { uri },
                ...(problem.line === undefined ? {} : { region: { startLine: problem.line } }),
              },
            },
          ],
        }),
    descriptor: { id: 'input-problem' },
  };
}

export function toSarif(input: ScanReport): SarifLog {
  const report = canonicalReport(input);
  const findings = report.results.flatMap((r) => r.findings.map((finding) => ({ resource: r.resource, finding })));

  // One descriptor per code that appears, in code order; the first finding supplies the metadata.
  const rules = new Map<string, SarifReportingDescriptor>();
  for (const { finding } of [...findings].sort((a, b) => compareText(a.finding.code, b.finding.code))) {
    if (!rules.has(finding.code)) rules.set(finding.code, descriptor(finding));
  }
  const ruleIndex = new Map([...rules.keys()].map((code, index) => [code, index]));
  const { version } = report.tool;

  return {
    $schema: SARIF_SCHEMA_URI,
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'palisade',
            version,
            ...(SEMVER.test(version) ? { semanticVersion: version } : {}),
            informationUri: PALISADE_HOME,
            rules: [...rules.values()],
          },
        },
        // The run completed even when some inputs could not be read: per SARIF appendix I,
        // executionSuccessful=false means the tool itself failed. Error-level notifications are
        // the standard way to say the result set is incomplete.
        invocations: [
          {
            executionSuccessful: true,
            endTimeUtc: report.generatedAt,
            toolExecutionNotifications: report.problems.map(notification),
          },
        ],
        results: findings.map(({ resource, finding }) => result(resource, finding, ruleIndex.get(finding.code) ?? 0)),
        properties: { summary: report.summary, standards: report.standards },
      },
    ],
  };
}

export function renderSarif(report: ScanReport): string {
  return `${JSON.stringify(toSarif(report), null, 2)}\n`;
}
