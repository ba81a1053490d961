/**
 * Compliance of the cluster with each standard, from one audit run: the share of in-scope controls
 * passed, overall and per namespace, with the same rule as `palisade scan` (src/standards/score.ts):
 * a control passes when no rule mapped to it has a failing, non-excepted finding in scope.
 *
 * "In scope" is what the audit evaluated there: a rule counts for a namespace only when it was
 * evaluated against some owner in it, so a namespace holding only a CronJob is not credited with
 * RBAC controls nothing checked. Admission-only rules never run in the audit and are left out.
 * Also the numbers for the `palisade_compliance_score{standard}` and
 * `palisade_audit_findings{rule,severity}` gauges (the registry lives with the server).
 */
import type { AuditEntry, AuditResult } from '../audit/types.js';
import type { ResourceResult, StandardScore } from '../report/types.js';
import { compareText, severityRank } from '../report/view.js';
import type { RuleMeta, Severity } from '../rules/types.js';
import { scoreStandards } from '../standards/score.js';
import type { Standard } from '../standards/types.js';

export const COMPLIANCE_FORMAT = 'palisade.dev/compliance/v1';
export const COMPLIANCE_SCORE_METRIC = 'palisade_compliance_score';
export const AUDIT_FINDINGS_METRIC = 'palisade_audit_findings';

export type ComplianceRule = Pick<RuleMeta, 'id' | 'standards'> & Partial<Pick<RuleMeta, 'ruleClass' | 'severity'>>;

export interface StandardCompliance extends StandardScore {
  title: string;
  version: string;
}

export interface NamespaceCompliance {
  namespace: string;
  standards: StandardScore[];
}

export interface ComplianceSummary {
  format: typeof COMPLIANCE_FORMAT;
  /** When the audit the summary is computed from finished. */
  generatedAt: string;
  standards: StandardCompliance[];
  namespaces: NamespaceCompliance[];
}

/** The namespace an entry counts for: its own, or the one it is (a Namespace owner's context findings). */
function namespaceOf(entry: AuditEntry): string | undefined {
  if (entry.owner.namespace) return entry.owner.namespace;
  return entry.owner.kind === 'Namespace' && entry.owner.apiVersion === 'v1' ? entry.owner.name : undefined;
}

function resourceResult(entry: AuditEntry): ResourceResult {
  const { apiVersion, kind, namespace, name } = entry.owner;
  return { resource: { apiVersion, kind, ...(namespace ? { namespace } : {}), name }, findings: entry.findings };
}

function scoresFor(entries: readonly AuditEntry[], standards: readonly Standard[], rules: readonly ComplianceRule[]): StandardScore[] {
  const evaluated = new Set(entries.flatMap((e) => e.evaluated));
  const inScope = rules.filter((r) => r.ruleClass !== 'admission' && evaluated.has(r.id));
  return scoreStandards(standards, inScope, entries.map(resourceResult));
}

export function complianceSummary(
  result: AuditResult,
  standards: readonly Standard[],
  rules: readonly ComplianceRule[],
): ComplianceSummary {
  const byId = new Map(standards.map((s) => [s.id, s]));
  const overall = scoresFor(result.entries, standards, rules)
    .map((score): StandardCompliance => ({ ...score, title: byId.get(score.standard)?.title ?? score.standard, version: byId.get(score.standard)?.version ?? '' }))
    .sort((a, b) => compareText(a.standard, b.standard));

  const byNamespace = new Map<string, AuditEntry[]>();
  for (const entry of result.entries) {
    const namespace = namespaceOf(entry);
    if (namespace === undefined) continue;
    const list = byNamespace.get(namespace);
    if (list) list.push(entry);
    else byNamespace.set(namespace, [entry]);
  }
  const namespaces = [...byNamespace.entries()]
    .sort(([a], [b]) => compareText(a, b))
    .map(([namespace, entries]) => ({
      namespace,
      standards: scoresFor(entries, standards, rules).sort((a, b) => compareText(a.standard, b.standard)),
    }));

  return { format: COMPLIANCE_FORMAT, generatedAt: result.finishedAt.toISOString(), standards: overall, namespaces };
}

export function renderComplianceJson(summary: ComplianceSummary): string {
  return `${JSON.stringify(summary, null, 2)}\n`;
}

export interface MetricSample {
  labels: Record<string, string>;
  value: number;
}

/** `palisade_compliance_score{standard}`: percent of in-scope controls passed, 0–100, as `palisade scan` prints it. */
export function complianceScoreMetrics(summary: ComplianceSummary): MetricSample[] {
  return summary.standards.map((s) => ({ labels: { standard: s.standard }, value: s.score }));
}

/**
 * `palisade_audit_findings{rule,severity}`: failing (fail or error), non-excepted findings per rule.
 * Every evaluated rule gets a sample, 0 when clean, so a fixed rule's gauge drops to 0 instead of
 * keeping its last value; pass the rule metadata so clean rules have their severity.
 */
export function auditFindingMetrics(result: AuditResult, rules: readonly Pick<RuleMeta, 'id' | 'severity'>[] = []): MetricSample[] {
  const severityOf = new Map<string, Severity>(rules.map((r) => [r.id, r.severity]));
  const counts = new Map<string, { rule: string; severity: Severity; value: number }>();
  const bump = (rule: string, severity: Severity, by: number): void => {
    const key = `${rule}\u0000${severity}`;
    const current = counts.get(key);
    if (current) current.value += by;
    else counts.set(key, { rule, severity, value: by });
  };
  for (const entry of result.entries) {
    for (const finding of entry.findings) {
      if (!finding.exceptedBy) bump(finding.ruleId, finding.severity, 1);
    }
  }
  const seen = new Set([...counts.values()].map((c) => c.rule));
  for (const entry of result.entries) {
    for (const id of entry.evaluated) {
      const severity = severityOf.get(id);
      if (!seen.has(id) && severity !== undefined) {
        seen.add(id);
        bump(id, severity, 0);
      }
    }
  }
  return [...counts.values()]
    .sort((a, b) => compareText(a.rule, b.rule) || severityRank(a.severity) - severityRank(b.severity))
    .map((c) => ({ labels: { rule: c.rule, severity: c.severity }, value: c.value }));
}
