/**
 * An AuditResult rebuilt from stored reports, so the compliance summary (which scores an audit
 * run) can be rendered by any replica or the CLI without auditing again.
 *
 * Reports hold each owner's failing, erroring and excepted results, which is all the score needs
 * to fail a control. What they do not hold, unless passes were written (`includePasses`, visible
 * as `pass` in `configuration.limits.statusFilter`), is which rules were *evaluated* against an
 * owner: that decides which controls are in scope. Without passes it is estimated from the rule
 * set: the rules that match the owner's kind, its Pods' when it has a pod template, and its
 * ReplicaSets' or Jobs'. Two consequences, both on the safe side of the live audit's figure:
 * owners without findings have no report, so rules evaluated only against clean objects leave
 * their controls out of the count instead of passing them; and a rule's namespace or label
 * selectors are not applied, so a namespace may be counted for a rule that skips it there.
 */
import type { AuditEntry, AuditFinding, AuditResult, ObjectRef } from '../audit/types.js';
import { kindKey } from '../engine/pod-spec.js';
import type { RuleSet } from '../engine/rule-set.js';
import { parseMode } from '../policy/modes.js';
import type { DecidedFinding, ExceptionRef } from '../policy/types.js';
import { apiGroupOf } from '../reports/names.js';
import { MANAGED_BY_LABEL, OWNER_KIND_LABEL, OWNER_NAME_LABEL, OWNER_UID_LABEL } from '../reports/openreports.js';
import type { Report, ReportResult } from '../reports/types.js';
import type { RuleMeta } from '../rules/types.js';
import { ownerKeyOf } from './report-writer.js';

/** Rule ids the audit evaluated against an owner's objects. */
export type EvaluatedFor = (owner: ObjectRef) => readonly string[];

export type StoredAuditRule = Pick<RuleMeta, 'id' | 'title' | 'ruleClass' | 'standards' | 'remediation' | 'docs'>;

export interface StoredAuditOptions {
  /** The loaded rule set's metadata: titles, standards and classes of the findings. */
  rules: readonly StoredAuditRule[];
  /** For reports without pass results: which rules were evaluated against the owner. */
  evaluatedFor?: EvaluatedFor;
  /** When the summary is made (reports do not say when their audit finished). */
  now: Date;
  namespace?: string;
}

/** Controllers whose own children the audit evaluates under them (besides their Pods). */
const CHILD_KINDS: Record<string, readonly [string, string][]> = {
  'apps/Deployment': [['apps', 'ReplicaSet']],
  'batch/CronJob': [['batch', 'Job']],
};

/** The estimate described above, from the loaded rule set; admission-only rules never run in the audit. */
export function evaluatedByKind(ruleSet: Pick<RuleSet, 'rulesFor' | 'podTemplates'>): EvaluatedFor {
  return (owner) => {
    const group = apiGroupOf(owner.apiVersion);
    const key = kindKey(group, owner.kind);
    const kinds: [string, string][] = [[group, owner.kind], ...(CHILD_KINDS[key] ?? [])];
    if (ruleSet.podTemplates.has(key)) kinds.push(['', 'Pod']);
    const ids = new Set<string>();
    for (const [g, k] of kinds) for (const rule of ruleSet.rulesFor(g, k)) if (rule.meta.ruleClass !== 'admission') ids.add(rule.meta.id);
    return [...ids];
  };
}

const RESERVED_LABEL = /^(palisade\.dev\/|app\.kubernetes\.io\/managed-by$)/;

function ownerOf(report: Report): ObjectRef {
  const scope = report.scope ?? {};
  const labels = report.metadata.labels ?? {};
  const namespace = scope.namespace ?? (report.kind === 'Report' ? report.metadata.namespace : undefined);
  const uid = scope.uid ?? labels[OWNER_UID_LABEL];
  return {
    apiVersion: scope.apiVersion ?? '',
    kind: scope.kind ?? labels[OWNER_KIND_LABEL] ?? 'Unknown',
    ...(namespace ? { namespace } : {}),
    name: scope.name ?? labels[OWNER_NAME_LABEL] ?? report.metadata.name,
    ...(uid ? { uid } : {}),
  };
}

function exceptionOf(properties: Record<string, string>): ExceptionRef {
  const full = properties['exceptedBy'] ?? '';
  const slash = full.indexOf('/');
  const expiresAt = properties['exceptionExpiresAt'];
  return {
    ...(slash > 0 ? { namespace: full.slice(0, slash), name: full.slice(slash + 1) } : { name: full }),
    reason: properties['exceptionReason'] ?? '',
    owner: properties['exceptionOwner'] ?? '',
    ...(expiresAt ? { expiresAt } : {}),
  };
}

const MODE_SOURCES: readonly DecidedFinding['modeSource'][] = ['namespace', 'config', 'rule', 'default'];

function findingOf(result: ReportResult, rule: StoredAuditRule | undefined): AuditFinding | undefined {
  if (result.result !== 'fail' && result.result !== 'error' && result.result !== 'warn' && result.result !== 'skip') return undefined;
  const properties = result.properties ?? {};
  const mode = parseMode(properties['mode']) ?? 'audit';
  const source = properties['modeSource'];
  const occurrences = Number(properties['occurrences']);
  const list = (text: string | undefined): string[] => (text ? text.split(', ') : []);
  return {
    ruleId: result.policy,
    code: result.rule ?? result.policy,
    title: rule?.title ?? result.policy,
    severity: result.severity ?? 'medium',
    category: result.category ?? '',
    message: result.message ?? '',
    remediation: rule?.remediation ?? '',
    reason: 'Forbidden',
    paths: list(properties['paths']),
    containers: list(properties['containers']),
    images: [],
    standards: rule?.standards ?? {},
    ruleClass: rule?.ruleClass ?? 'object',
    result: result.result === 'error' ? 'error' : 'fail',
    docs: rule?.docs ?? '',
    mode,
    modeSource: (MODE_SOURCES as readonly string[]).includes(source ?? '') ? (source as DecidedFinding['modeSource']) : 'default',
    ...(result.result === 'skip' ? { exceptedBy: exceptionOf(properties) } : {}),
    denies: mode === 'enforce' && result.result !== 'skip',
    ...(Number.isInteger(occurrences) && occurrences > 0 ? { occurrences } : {}),
  };
}

function passesRecorded(report: Report): boolean {
  return report.configuration?.limits.statusFilter?.includes('pass') ?? false;
}

interface OwnerAcc {
  entry: AuditEntry;
  exact: boolean;
  evaluated: Set<string>;
}

/**
 * One entry per owner (all its parts together), with the findings its reports hold. Reports of
 * other tools are ignored; so are reports outside `namespace` when one is given.
 */
export function auditResultFromReports(reports: readonly Report[], options: StoredAuditOptions): AuditResult {
  const rules = new Map(options.rules.map((r) => [r.id, r]));
  const owners = new Map<string, OwnerAcc>();
  const byKind: Record<string, number> = {};
  for (const report of reports) {
    const labels = report.metadata.labels ?? {};
    if (labels[MANAGED_BY_LABEL] !== 'palisade' && report.source !== 'palisade') continue;
    const owner = ownerOf(report);
    if (options.namespace !== undefined && owner.namespace !== options.namespace) continue;
    const key = ownerKeyOf(report);
    let acc = owners.get(key);
    if (!acc) {
      const ownLabels = Object.fromEntries(Object.entries(labels).filter(([k]) => !RESERVED_LABEL.test(k)));
      acc = { entry: { owner, objects: 1, labels: ownLabels, evaluated: [], findings: [] }, exact: true, evaluated: new Set() };
      owners.set(key, acc);
    }
    acc.exact &&= passesRecorded(report);
    for (const result of report.results) {
      acc.evaluated.add(result.policy);
      const objects = Number(result.properties?.['objects']);
      if (Number.isInteger(objects) && objects > acc.entry.objects) acc.entry.objects = objects;
      const finding = findingOf(result, rules.get(result.policy));
      if (finding) acc.entry.findings.push(finding);
    }
  }
  const entries: AuditEntry[] = [];
  for (const acc of owners.values()) {
    if (!acc.exact && options.evaluatedFor) for (const id of options.evaluatedFor(acc.entry.owner)) acc.evaluated.add(id);
    acc.entry.evaluated = [...acc.evaluated].sort();
    const kind = acc.entry.owner.kind;
    byKind[kind] = (byKind[kind] ?? 0) + acc.entry.objects;
    entries.push(acc.entry);
  }
  return {
    startedAt: options.now,
    finishedAt: options.now,
    objectsByKind: byKind,
    entries,
    skippedKinds: [],
    ...(options.namespace !== undefined ? { namespace: options.namespace } : {}),
  };
}
