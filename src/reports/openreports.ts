/**
 * Audit results → OpenReports objects (docs/reports.md). One Report per audited owner — the
 * Deployment, not its Pods — in the owner's namespace (a ClusterReport for a cluster-scoped owner),
 * owned by it through `metadata.ownerReferences`, so deleting the workload deletes its report.
 *
 * Results are failures, errors and excepted findings (`skip`) by default; passes only when asked.
 * Every string is cut to a fixed length and a report never exceeds a byte budget (512 KiB, far
 * below etcd's 1.5 MiB request limit): an owner with more results gets numbered parts
 * (`name`, `name-2`, …). Pure: the clock is an option, nothing is read or written.
 */
import { setKey } from '../json/set-key.js';
import type { AuditEntry, AuditFinding, AuditResult, ObjectRef } from '../audit/types.js';
import type { DecidedFinding, ExceptionRef } from '../policy/types.js';
import { compareText, severityRank } from '../report/view.js';
import type { RuleMeta } from '../rules/types.js';
import { cut, hashedName, labelValue, MAX_NAME_LENGTH, partName, reportBaseName } from './names.js';
import {
  OPENREPORTS_API_VERSION,
  type ObjectReference,
  type Report,
  type ReportMetadata,
  type ReportResult,
  type ReportSummary,
  type ResultStatus,
  type Timestamp,
} from './types.js';

export const REPORT_SOURCE = 'palisade';
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const OWNER_KIND_LABEL = 'palisade.dev/owner-kind';
export const OWNER_NAME_LABEL = 'palisade.dev/owner-name';
export const OWNER_UID_LABEL = 'palisade.dev/owner-uid';
/** `k/n`: this report is part k of the owner's n. */
export const PART_ANNOTATION = 'palisade.dev/part';

/** Default byte budget of one stored report (its JSON, as etcd stores custom resources). */
export const DEFAULT_MAX_REPORT_BYTES = 512 * 1024;
/**
 * The smallest budget accepted: a single result at its longest (every string at its limit, every
 * character escaped in JSON) must fit in an otherwise empty report.
 */
export const MIN_MAX_REPORT_BYTES = 64 * 1024;

/** Longest stored string, in UTF-16 units, per field. */
export const LIMITS = {
  message: 1024,
  paths: 1024,
  containers: 256,
  code: 253,
  policy: 253,
  category: 63,
  exception: 256,
  exceptionReason: 512,
  exceptionOwner: 128,
  expiresAt: 40,
} as const;

export interface BuildReportsOptions {
  source?: typeof REPORT_SOURCE;
  /** Also write a `pass` result for every rule evaluated without a finding. Default false. */
  includePasses?: boolean;
  /** At most this many results per report; more go to further parts. Default: only the byte budget. */
  maxResultsPerReport?: number;
  /** Byte budget of one report's JSON. Default 512 KiB, at least 64 KiB. */
  maxReportBytes?: number;
  /**
   * Owner label keys copied onto the owner's reports (e.g. `team`), so reports can be selected by
   * them (`kubectl get reports -l team=payments`) and the rollout report can attribute workloads.
   */
  ownerLabels?: readonly string[];
  /** Rule metadata, for the category and severity of pass results (findings carry their own). */
  rules?: readonly Pick<RuleMeta, 'id' | 'category' | 'severity'>[];
  now: Date;
}

interface Settings {
  source: string;
  includePasses: boolean;
  maxResults: number;
  maxBytes: number;
  ownerLabels: readonly string[];
  rules: Map<string, Pick<RuleMeta, 'id' | 'category' | 'severity'>>;
  timestamp: Timestamp;
}

/** Options are checked once: a wrong budget is a programming error, not something to work around. */
function settingsOf(options: BuildReportsOptions): Settings {
  const maxBytes = options.maxReportBytes ?? DEFAULT_MAX_REPORT_BYTES;
  if (!Number.isInteger(maxBytes) || maxBytes < MIN_MAX_REPORT_BYTES) {
    throw new RangeError(`maxReportBytes must be an integer of at least ${MIN_MAX_REPORT_BYTES}, got ${maxBytes}`);
  }
  const maxResults = options.maxResultsPerReport ?? Number.POSITIVE_INFINITY;
  if (maxResults !== Number.POSITIVE_INFINITY && (!Number.isInteger(maxResults) || maxResults < 1)) {
    throw new RangeError(`maxResultsPerReport must be a positive integer, got ${maxResults}`);
  }
  const millis = options.now.getTime();
  if (Number.isNaN(millis)) throw new RangeError('now must be a valid date');
  return {
    source: options.source ?? REPORT_SOURCE,
    includePasses: options.includePasses ?? false,
    maxResults,
    maxBytes,
    ownerLabels: options.ownerLabels ?? [],
    rules: new Map((options.rules ?? []).map((r) => [r.id, r])),
    timestamp: { seconds: Math.floor(millis / 1000), nanos: 0 },
  };
}

function exceptionName(ref: ExceptionRef): string {
  return ref.namespace ? `${ref.namespace}/${ref.name}` : ref.name;
}

function statusOf(finding: DecidedFinding): ResultStatus {
  return finding.exceptedBy ? 'skip' : finding.result;
}

function findingResult(finding: AuditFinding, entry: AuditEntry, settings: Settings): ReportResult {
  const status = statusOf(finding);
  const properties: Record<string, string> = {
    code: cut(finding.code, LIMITS.code),
    mode: finding.mode,
    modeSource: finding.modeSource,
    objects: String(entry.objects),
  };
  if (finding.occurrences !== undefined) properties['occurrences'] = String(finding.occurrences);
  if (finding.paths.length > 0) properties['paths'] = cut(finding.paths.join(', '), LIMITS.paths);
  if (finding.containers.length > 0) properties['containers'] = cut(finding.containers.join(', '), LIMITS.containers);
  const excepted = finding.exceptedBy;
  if (excepted) {
    properties['exceptedBy'] = cut(exceptionName(excepted), LIMITS.exception);
    properties['exceptionReason'] = cut(excepted.reason, LIMITS.exceptionReason);
    properties['exceptionOwner'] = cut(excepted.owner, LIMITS.exceptionOwner);
    if (excepted.expiresAt) properties['exceptionExpiresAt'] = cut(excepted.expiresAt, LIMITS.expiresAt);
  }
  if (finding.expiredException) properties['expiredException'] = cut(exceptionName(finding.expiredException), LIMITS.exception);
  return {
    policy: cut(finding.ruleId, LIMITS.policy),
    rule: cut(finding.code, LIMITS.code),
    category: cut(finding.category, LIMITS.category),
    severity: finding.severity,
    timestamp: settings.timestamp,
    result: status,
    ...(status === 'skip' ? {} : { scored: true }),
    message: cut(finding.message, LIMITS.message),
    properties,
  };
}

function passResult(ruleId: string, entry: AuditEntry, settings: Settings): ReportResult {
  const meta = settings.rules.get(ruleId);
  return {
    policy: cut(ruleId, LIMITS.policy),
    rule: cut(ruleId, LIMITS.code),
    ...(meta ? { category: cut(meta.category, LIMITS.category), severity: meta.severity } : {}),
    timestamp: settings.timestamp,
    result: 'pass',
    scored: true,
    properties: { objects: String(entry.objects) },
  };
}

const STATUS_ORDER: readonly ResultStatus[] = ['error', 'fail', 'warn', 'skip', 'pass'];

/** Worst first, then a stable order, so a report's bytes (and its split into parts) do not depend on rule order. */
export function compareResults(a: ReportResult, b: ReportResult): number {
  return (
    STATUS_ORDER.indexOf(a.result ?? 'pass') - STATUS_ORDER.indexOf(b.result ?? 'pass') ||
    (a.severity ? severityRank(a.severity) : 99) - (b.severity ? severityRank(b.severity) : 99) ||
    compareText(a.policy, b.policy) ||
    compareText(a.rule ?? '', b.rule ?? '') ||
    compareText(a.message ?? '', b.message ?? '') ||
    compareText(a.properties?.['paths'] ?? '', b.properties?.['paths'] ?? '') ||
    compareText(a.properties?.['containers'] ?? '', b.properties?.['containers'] ?? '')
  );
}

function resultsOf(entry: AuditEntry, settings: Settings): ReportResult[] {
  const results = entry.findings.map((f) => findingResult(f, entry, settings));
  if (settings.includePasses) {
    const found = new Set(entry.findings.map((f) => f.ruleId));
    for (const ruleId of new Set(entry.evaluated)) if (!found.has(ruleId)) results.push(passResult(ruleId, entry, settings));
  }
  return results.sort(compareResults);
}

export function summarize(results: readonly ReportResult[]): ReportSummary {
  const summary: ReportSummary = { pass: 0, fail: 0, warn: 0, error: 0, skip: 0 };
  for (const result of results) if (result.result) summary[result.result] += 1;
  return summary;
}

function scopeOf(owner: ObjectRef): ObjectReference {
  return {
    apiVersion: owner.apiVersion,
    kind: owner.kind,
    ...(owner.namespace ? { namespace: owner.namespace } : {}),
    name: owner.name,
    ...(owner.uid ? { uid: owner.uid } : {}),
  };
}

const RESERVED_LABEL = /^(palisade\.dev\/|app\.kubernetes\.io\/managed-by$)/;

function labelsOf(entry: AuditEntry, settings: Settings): Record<string, string> {
  const { owner } = entry;
  const labels: Record<string, string> = {
    [MANAGED_BY_LABEL]: REPORT_SOURCE,
    [OWNER_KIND_LABEL]: labelValue(owner.kind),
    [OWNER_NAME_LABEL]: labelValue(owner.name),
  };
  if (owner.uid) labels[OWNER_UID_LABEL] = labelValue(owner.uid);
  for (const key of settings.ownerLabels) {
    const value = entry.labels[key];
    if (value !== undefined && !RESERVED_LABEL.test(key)) labels[key] = labelValue(value);
  }
  return labels;
}

function metadataOf(entry: AuditEntry, name: string, part: string, settings: Settings): ReportMetadata {
  const { owner } = entry;
  return {
    name,
    ...(owner.namespace ? { namespace: owner.namespace } : {}),
    labels: labelsOf(entry, settings),
    annotations: { [PART_ANNOTATION]: part },
    // Without a uid there is nothing for garbage collection to follow; the writer prunes instead.
    ...(owner.uid ? { ownerReferences: [{ apiVersion: owner.apiVersion, kind: owner.kind, name: owner.name, uid: owner.uid }] } : {}),
  };
}

function reportOf(entry: AuditEntry, name: string, part: string, results: ReportResult[], settings: Settings): Report {
  const statusFilter: ResultStatus[] = settings.includePasses ? ['pass', 'fail', 'error', 'skip'] : ['fail', 'error', 'skip'];
  return {
    apiVersion: OPENREPORTS_API_VERSION,
    kind: entry.owner.namespace ? 'Report' : 'ClusterReport',
    metadata: metadataOf(entry, name, part, settings),
    source: settings.source,
    scope: scopeOf(entry.owner),
    configuration: {
      limits: {
        ...(Number.isFinite(settings.maxResults) ? { maxResults: settings.maxResults } : {}),
        statusFilter,
      },
    },
    summary: summarize(results),
    results,
  };
}

export function byteLength(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value), 'utf8');
}

/**
 * Packs sorted results into parts, greedily, in order. The fixed part of a report is measured with
 * the widest summary and part numbers it could have, so the finished report is never larger than
 * what was measured.
 */
function pack(entry: AuditEntry, results: ReportResult[], settings: Settings): ReportResult[][] {
  const widest = 'x'.repeat(String(results.length).length);
  const empty = reportOf(entry, '', `${widest}/${widest}`, [], settings);
  const fixed =
    // The longest name a part can get, even if a collision later gives the owner a hashed one.
    byteLength({ ...empty, metadata: { ...empty.metadata, name: 'x'.repeat(MAX_NAME_LENGTH) } }) +
    5 * String(results.length).length; // summary counts grow from one digit to at most this many
  const parts: ReportResult[][] = [];
  let current: ReportResult[] = [];
  let bytes = fixed;
  for (const result of results) {
    const size = byteLength(result) + 1; // and a comma
    if (current.length > 0 && (bytes + size > settings.maxBytes || current.length >= settings.maxResults)) {
      parts.push(current);
      current = [];
      bytes = fixed;
    }
    current.push(result);
    bytes += size;
  }
  parts.push(current);
  return parts;
}

function compareOwners(a: AuditEntry, b: AuditEntry): number {
  return (
    compareText(a.owner.namespace ?? '', b.owner.namespace ?? '') ||
    compareText(a.owner.kind, b.owner.kind) ||
    compareText(a.owner.name, b.owner.name) ||
    compareText(a.owner.apiVersion, b.owner.apiVersion) ||
    compareText(a.owner.uid ?? '', b.owner.uid ?? '')
  );
}

/**
 * The reports for one audit run, in a stable order. Owners without results (clean, and passes not
 * asked for) get no report: the writer deletes the reports it manages that are not in this list.
 */
export function buildReports(result: AuditResult, options: BuildReportsOptions): Report[] {
  const settings = settingsOf(options);
  const taken = new Set<string>();
  const reports: Report[] = [];
  for (const entry of [...result.entries].sort(compareOwners)) {
    const results = resultsOf(entry, settings);
    if (results.length === 0) continue;
    const scope = entry.owner.namespace ?? '';
    let base = reportBaseName(entry.owner);
    // Owner `web-2` and part 2 of owner `web` would share a name; the later owner (in the stable
    // order) gets a hashed name instead, so the outcome is the same on every run.
    const parts = pack(entry, results, settings);
    const names = (b: string): string[] => parts.map((_, i) => partName(b, i));
    if (names(base).some((n) => taken.has(`${scope}/${n}`))) {
      base = hashedName(base, `${entry.owner.apiVersion}/${entry.owner.kind}/${entry.owner.name}/${entry.owner.uid ?? ''}`);
    }
    parts.forEach((partResults, i) => {
      const name = partName(base, i);
      taken.add(`${scope}/${name}`);
      reports.push(reportOf(entry, name, `${i + 1}/${parts.length}`, partResults, settings));
    });
  }
  return reports;
}

/** JSON with object keys sorted: the API server does not keep the order keys were written in. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
    const sorted: Record<string, unknown> = {};
    for (const key of Object.keys(v).sort()) setKey(sorted, key, (v as Record<string, unknown>)[key]);
    return sorted;
  });
}

/** A result's identity across runs: everything but its timestamp and the object counts (replicas scale). */
function resultKey(result: ReportResult): string {
  const { timestamp: _timestamp, properties, ...rest } = result;
  const { objects: _objects, occurrences: _occurrences, ...stable } = properties ?? {};
  return canonicalJson({ ...rest, properties: stable });
}

/**
 * Keeps the timestamp of every result that was already in the owner's previous reports, so a result
 * says when it was first found and an unchanged report is byte-for-byte unchanged (no etcd write).
 */
export function carryTimestamps(next: Report, previous: readonly Report[]): Report {
  const seen = new Map<string, Timestamp>();
  for (const report of previous) {
    for (const result of report.results) if (result.timestamp) seen.set(resultKey(result), result.timestamp);
  }
  if (seen.size === 0) return next;
  return {
    ...next,
    results: next.results.map((result) => {
      const timestamp = seen.get(resultKey(result));
      return timestamp ? { ...result, timestamp } : result;
    }),
  };
}

/** What Palisade writes, without what the API server adds (uid, resourceVersion, managedFields, …). */
function content(report: Report): unknown {
  const { name, namespace, labels, annotations, ownerReferences } = report.metadata;
  return {
    apiVersion: report.apiVersion,
    kind: report.kind,
    metadata: { name, namespace, labels, annotations, ownerReferences },
    source: report.source,
    scope: report.scope,
    configuration: report.configuration,
    summary: report.summary,
    results: report.results,
  };
}

/** True when writing `next` over `stored` would change nothing Palisade manages. */
export function sameReport(next: Report, stored: Report): boolean {
  return canonicalJson(content(next)) === canonicalJson(content(stored));
}
