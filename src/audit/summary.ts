/**
 * The audit as a person reads it at a terminal: how long it took, what was read, findings by rule
 * (with what each would do: deny, warn, dry-run, excepted), the owners with most to fix, and what
 * could not be audited. The last line is the one to grep in a CI log. `--format json` prints the
 * AuditResult itself instead.
 *
 * Names, labels and messages come from the cluster, which is untrusted: control characters and bidi
 * overrides are shown escaped, as the scan table does.
 */
import { palette, type Palette } from '../report/colors.js';
import { compareFindings, compareText, count, OUTCOMES, OUTCOME_LABELS, outcomeOf, severityRank, type Outcome } from '../report/view.js';
import type { Severity } from '../rules/types.js';
import type { AuditEntry, AuditResult } from './types.js';

export interface SummaryOptions {
  color: boolean;
  /** How many owners to list (default 10). */
  topOwners?: number;
}

const INDENT = '  ';
/** Width of the outcome columns: the longest label, EXCEPTED. */
const CELL = 'EXCEPTED'.length;
/** Rule ids shown after an owner; the rest are counted. */
const OWNER_RULES = 3;
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

function safe(text: string): string {
  return text.replace(/\s+/g, ' ').trim().replace(UNSAFE, (ch) => `\\u{${ch.codePointAt(0)?.toString(16) ?? ''}}`);
}

export interface AuditTotals {
  owners: number;
  /** Owners with at least one finding that is not excepted. */
  ownersWithFindings: number;
  objects: number;
  findings: number;
  byOutcome: Record<Outcome, number>;
  bySeverity: Partial<Record<Severity, number>>;
}

/** Counts over the de-duplicated findings of every entry. */
export function auditTotals(result: AuditResult): AuditTotals {
  const byOutcome: Record<Outcome, number> = { deny: 0, warn: 0, 'dry-run': 0, excepted: 0 };
  const bySeverity: Partial<Record<Severity, number>> = {};
  let findings = 0;
  let ownersWithFindings = 0;
  for (const entry of result.entries) {
    if (entry.findings.some((f) => !f.exceptedBy)) ownersWithFindings++;
    for (const finding of entry.findings) {
      findings++;
      byOutcome[outcomeOf(finding)]++;
      bySeverity[finding.severity] = (bySeverity[finding.severity] ?? 0) + 1;
    }
  }
  return {
    owners: result.entries.length,
    ownersWithFindings,
    objects: result.entries.reduce((sum, e) => sum + e.objects, 0),
    findings,
    byOutcome,
    bySeverity,
  };
}

export function renderAuditSummary(result: AuditResult, options: SummaryOptions): string {
  const p = palette(options.color);
  const totals = auditTotals(result);
  const seconds = (result.finishedAt.getTime() - result.startedAt.getTime()) / 1000;
  const read = Object.values(result.objectsByKind).reduce((a, b) => a + b, 0);
  const scope = result.namespace !== undefined ? `namespace ${safe(result.namespace)}` : 'the whole cluster';
  const blocks: string[][] = [[
    `${p.bold('Palisade audit')} of ${scope}: ${count(read, 'object')} read, ${totals.objects} evaluated under ${count(totals.owners, 'owner')}, in ${seconds.toFixed(1)} s`,
  ]];

  const listed = Object.entries(result.objectsByKind).sort(([a], [b]) => compareText(a, b));
  const kinds = listed.filter(([, n]) => n > 0);
  const empty = listed.length - kinds.length;
  if (listed.length > 0) {
    const width = Math.max(0, ...kinds.map(([k]) => safe(k).length));
    blocks.push([
      p.bold('Objects read, by kind:'),
      ...kinds.map(([kind, n]) => `${INDENT}${safe(kind).padEnd(width)}  ${String(n).padStart(6)}`),
      ...(empty > 0 ? [p.dim(`${INDENT}(and ${count(empty, 'kind')} with no objects)`)] : []),
    ]);
  }

  blocks.push(ruleBlock(p, result.entries));
  const owners = ownerBlock(p, result.entries, options.topOwners ?? 10);
  if (owners) blocks.push(owners);

  if (result.skippedKinds.length > 0) {
    const width = Math.max(...result.skippedKinds.map((s) => safe(s.kind).length));
    blocks.push([
      p.bold(p.yellow('Not audited:')),
      ...result.skippedKinds.map((s) => `${INDENT}${safe(s.kind).padEnd(width)}  ${safe(s.reason)}`),
    ]);
  }
  const skipped = result.notEvaluated;
  if (skipped && skipped.excludedNamespaces + skipped.deleting > 0) {
    const parts = [];
    if (skipped.excludedNamespaces > 0) parts.push(`${count(skipped.excludedNamespaces, 'object')} in excluded namespaces (namespaces.excluded; --include-excluded-namespaces evaluates them)`);
    if (skipped.deleting > 0) parts.push(`${count(skipped.deleting, 'object')} being deleted`);
    blocks.push([`${p.dim('Not evaluated:')} ${parts.join('; ')}`]);
  }

  const o = totals.byOutcome;
  const denied = `${o.deny} would be denied`;
  const severities = (Object.entries(totals.bySeverity) as [Severity, number][])
    .sort(([a], [b]) => severityRank(a) - severityRank(b))
    .map(([s, n]) => `${n} ${s}`);
  blocks.push([
    `${count(totals.owners, 'owner')}, ${count(totals.findings, 'finding')}: ${o.deny > 0 ? p.bold(p.red(denied)) : denied}, ${count(o.warn, 'warning')}, ${o['dry-run']} dry-run, ${o.excepted} excepted${severities.length > 0 ? ` (${severities.join(', ')})` : ''}`,
  ]);
  return `${blocks.map((lines) => lines.join('\n')).join('\n\n')}\n`;
}

function ruleBlock(p: Palette, entries: readonly AuditEntry[]): string[] {
  interface Row { id: string; severity: Severity; outcomes: Record<Outcome, number>; owners: number; objects: number }
  const rows = new Map<string, Row>();
  for (const entry of entries) {
    const counted = new Set<string>();
    for (const finding of entry.findings) {
      let row = rows.get(finding.ruleId);
      if (!row) {
        row = { id: finding.ruleId, severity: finding.severity, outcomes: { deny: 0, warn: 0, 'dry-run': 0, excepted: 0 }, owners: 0, objects: 0 };
        rows.set(finding.ruleId, row);
      }
      row.outcomes[outcomeOf(finding)]++;
      row.objects += finding.occurrences ?? 1;
      if (!counted.has(finding.ruleId)) {
        counted.add(finding.ruleId);
        row.owners++;
      }
    }
  }
  if (rows.size === 0) return [p.green('No findings.')];
  const worst = (row: Row): number => OUTCOMES.findIndex((o) => row.outcomes[o] > 0);
  const sorted = [...rows.values()].sort((a, b) => worst(a) - worst(b) || severityRank(a.severity) - severityRank(b.severity) || compareText(a.id, b.id));
  const idWidth = Math.max('RULE'.length, ...sorted.map((r) => safe(r.id).length));
  const columns = OUTCOMES.map((o) => OUTCOME_LABELS[o]);
  const header = `${INDENT}${'SEVERITY'.padEnd(8)}  ${'RULE'.padEnd(idWidth)}  ${columns.map((c) => c.padStart(CELL)).join('  ')}  ${'OWNERS'.padStart(6)}  ${'OBJECTS'.padStart(7)}`;
  const lines = sorted.map((row) => {
    const cells = OUTCOMES.map((o) => {
      const cell = String(row.outcomes[o]).padStart(CELL);
      return row.outcomes[o] > 0 && o === 'deny' ? p.bold(p.red(cell)) : row.outcomes[o] > 0 ? cell : p.dim(cell);
    }).join('  ');
    return `${INDENT}${row.severity.toUpperCase().padEnd(8)}  ${safe(row.id).padEnd(idWidth)}  ${cells}  ${String(row.owners).padStart(6)}  ${String(row.objects).padStart(7)}`;
  });
  return [p.bold('Findings, by rule:'), p.dim(header), ...lines];
}

function ownerBlock(p: Palette, entries: readonly AuditEntry[], top: number): string[] | undefined {
  const scored = entries
    .map((entry) => ({ entry, live: entry.findings.filter((f) => !f.exceptedBy) }))
    .filter((s) => s.live.length > 0)
    .sort((a, b) =>
      b.live.filter((f) => f.denies).length - a.live.filter((f) => f.denies).length ||
      b.live.length - a.live.length ||
      compareText(ownerName(a.entry), ownerName(b.entry)));
  if (scored.length === 0 || top <= 0) return undefined;
  const shown = scored.slice(0, top);
  const width = Math.max(...shown.map((s) => ownerName(s.entry).length));
  const lines = shown.map(({ entry, live }) => {
    const parts = OUTCOMES.filter((o) => o !== 'excepted')
      .map((o) => [o, live.filter((f) => outcomeOf(f) === o).length] as const)
      .filter(([, n]) => n > 0)
      .map(([o, n]) => `${n} ${o === 'deny' ? p.red('deny') : o}`);
    const ids = [...new Set([...live].sort(compareFindings).map((f) => f.ruleId))].map(safe);
    const rules = ids.length > OWNER_RULES ? `${ids.slice(0, OWNER_RULES).join(', ')} and ${ids.length - OWNER_RULES} more` : ids.join(', ');
    return `${INDENT}${ownerName(entry).padEnd(width)}  ${p.dim(`${count(entry.objects, 'object')}`)}  ${parts.join(', ')}  ${p.dim(rules)}`;
  });
  const more = scored.length > shown.length ? [p.dim(`${INDENT}… and ${count(scored.length - shown.length, 'more owner')}`)] : [];
  return [p.bold('Owners with most findings:'), ...lines, ...more];
}

/** `apps/Deployment team-a/web`, `rbac.authorization.k8s.io/ClusterRoleBinding ci-admin`. */
export function ownerName(entry: AuditEntry): string {
  const { owner } = entry;
  const slash = owner.apiVersion.indexOf('/');
  const group = slash === -1 ? '' : owner.apiVersion.slice(0, slash);
  const kind = group ? `${group}/${owner.kind}` : owner.kind;
  return safe(`${kind} ${owner.namespace ? `${owner.namespace}/` : ''}${owner.name}`);
}
