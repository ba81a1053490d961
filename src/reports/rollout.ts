/**
 * The audit-mode rollout report: before a rule is switched to enforce, which workloads would it
 * block? Built from the reports stored in the cluster (not from a live audit), so any replica or
 * the CLI renders the same answer. For every rule that is in audit or dry-run somewhere, the owners
 * enforce would block, grouped by rule, namespace and owner, with the message and the fix; then
 * the rules that are safe to enforce now with the exact configuration change, and the namespaces
 * where no rule would block anything with the exact `kubectl label` command.
 *
 * "Would block" follows the admission rules: a `fail` result in audit or dry-run mode, or an
 * `error` result of a rule whose onError is deny. Excepted results (`skip`) never block, and
 * results already in enforce mode are existing violations, not something the switch changes.
 */
import type { PolicyConfig } from '../policy/types.js';
import { MODE_LABEL, parseMode } from '../policy/modes.js';
import { configuredMode } from '../admission/registration.js';
import { matchesAnyGlob } from '../engine/selectors.js';
import { compareText, count, severityRank } from '../report/view.js';
import type { Mode, OnError, RuleMeta, Severity } from '../rules/types.js';
import { isDnsLabel } from './names.js';
import { MANAGED_BY_LABEL, OWNER_KIND_LABEL, OWNER_NAME_LABEL, REPORT_SOURCE } from './openreports.js';
import type { Report, ReportResult } from './types.js';

export const ROLLOUT_REPORT_FORMAT = 'palisade.dev/rollout-report/v1';

export type RolloutRuleMeta = Pick<RuleMeta, 'id' | 'title' | 'severity' | 'category' | 'ruleClass' | 'remediation' | 'docs'> &
  Partial<Pick<RuleMeta, 'mode' | 'onError'>>;

export interface RolloutOptions {
  /** The stored reports, as read back (src/reports/read-report.ts); other tools' reports are ignored. */
  reports: readonly Report[];
  /** The loaded rule set's metadata (after a release pin has moved new rules to dry-run). */
  rules: readonly RolloutRuleMeta[];
  config: PolicyConfig;
  now: Date;
  /** Owner label naming the team (copied onto reports by buildReports' `ownerLabels`). */
  teamLabel?: string;
  /**
   * Every namespace of the cluster. Reports exist only where something failed, so without this list
   * a namespace with no findings at all cannot be offered for enforce.
   */
  namespaces?: readonly string[];
}

export interface RolloutFinding {
  code: string;
  result: 'fail' | 'error';
  message: string;
  paths?: string;
  containers?: string;
}

export interface RolloutOwner {
  apiVersion?: string;
  kind: string;
  name: string;
  team?: string;
  /** Objects the owner stands for (a Deployment's Pods), when the report says. */
  objects?: number;
  /** The rule's effective mode there today: audit or dry-run. */
  mode: Mode;
  modeSource?: string;
  findings: RolloutFinding[];
}

export interface RolloutNamespace {
  /** Absent for cluster-scoped owners. */
  namespace?: string;
  owners: RolloutOwner[];
}

export interface RolloutRule {
  id: string;
  title: string;
  severity: Severity;
  category: string;
  /** The mode before any namespace label. `enforce` here means namespaces relaxed it. */
  configuredMode: Mode;
  remediation: string;
  docs: string;
  /** Owners that would be blocked. */
  workloads: number;
  /** Excepted results: they stay allowed under enforce. */
  excepted: number;
  /** Failures already in enforce mode (existing objects in enforcing namespaces). */
  alreadyEnforced: number;
  namespaces: RolloutNamespace[];
}

export interface SafeRule {
  id: string;
  title: string;
  severity: Severity;
  configuredMode: Mode;
  excepted: number;
}

export interface NamespaceStep {
  namespace: string;
  command: string;
}

export interface PendingNamespace {
  namespace: string;
  workloads: number;
  rules: string[];
}

export interface NotJudgedRule {
  id: string;
  title: string;
  reason: string;
}

export interface RolloutReport {
  format: typeof ROLLOUT_REPORT_FORMAT;
  generatedAt: string;
  teamLabel?: string;
  summary: {
    /** Rules that would block at least one owner. */
    rules: number;
    /** Distinct owners at least one rule would block. */
    workloads: number;
    safeRules: number;
    cleanNamespaces: number;
    pendingNamespaces: number;
  };
  rules: RolloutRule[];
  safeRules: SafeRule[];
  /** Merge into palisade.yaml to enforce every safe rule; '' when there is none. */
  configSnippet: string;
  namespaces: {
    /** No rule would block anything here: enforce every rule with the command. */
    clean: NamespaceStep[];
    pending: PendingNamespace[];
    /** Already enforcing (namespace label or `namespaces.modes`): nothing to change. */
    enforcing: string[];
  };
  notJudged: NotJudgedRule[];
  /** Rule ids found in reports but not in the loaded rule set (stale reports). */
  unknownRules: string[];
}

interface OwnerAcc extends RolloutOwner {
  namespace: string | undefined;
  keys: Set<string>;
}

interface RuleAcc {
  owners: Map<string, OwnerAcc>;
  excepted: number;
  alreadyEnforced: number;
}

function isPalisadeReport(report: Report): boolean {
  return report.source === REPORT_SOURCE || report.metadata.labels?.[MANAGED_BY_LABEL] === REPORT_SOURCE;
}

function namespaceOf(report: Report): string | undefined {
  return report.kind === 'Report' ? (report.metadata.namespace ?? report.scope?.namespace) : undefined;
}

function ownerOf(report: Report): { apiVersion?: string; kind: string; name: string; uid: string } {
  const scope = report.scope ?? {};
  const labels = report.metadata.labels ?? {};
  return {
    ...(scope.apiVersion ? { apiVersion: scope.apiVersion } : {}),
    kind: scope.kind ?? labels[OWNER_KIND_LABEL] ?? 'Unknown',
    name: scope.name ?? labels[OWNER_NAME_LABEL] ?? report.metadata.name,
    uid: scope.uid ?? '',
  };
}

function objectsOf(result: ReportResult): number | undefined {
  const raw = result.properties?.['objects'];
  const n = raw === undefined ? Number.NaN : Number(raw);
  return Number.isInteger(n) && n >= 0 ? n : undefined;
}

function compareNamespaces(a: string | undefined, b: string | undefined): number {
  if (a === b) return 0;
  if (a === undefined) return 1;
  if (b === undefined) return -1;
  return compareText(a, b);
}

function compareOwners(a: RolloutOwner, b: RolloutOwner): number {
  return compareText(a.kind, b.kind) || compareText(a.name, b.name) || compareText(a.apiVersion ?? '', b.apiVersion ?? '');
}

const SIMPLE_KEY = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

/** `rules: {<id>: {mode: enforce}}` as block YAML, ready to merge into palisade.yaml. */
export function enforceSnippet(ruleIds: readonly string[]): string {
  if (ruleIds.length === 0) return '';
  const lines = ['rules:'];
  for (const id of ruleIds) lines.push(`  ${SIMPLE_KEY.test(id) ? id : JSON.stringify(id)}:`, '    mode: enforce');
  return `${lines.join('\n')}\n`;
}

export function labelCommand(namespace: string): string {
  // --overwrite: during a rollout the namespace usually already carries palisade.dev/mode=audit.
  return `kubectl label namespace ${namespace} ${MODE_LABEL}=enforce --overwrite`;
}

export function buildRolloutReport(options: RolloutOptions): RolloutReport {
  const { config } = options;
  const metas = new Map(options.rules.map((r) => [r.id, r]));
  const active = (r: RolloutRuleMeta): boolean =>
    config.rules[r.id]?.disabled !== true && !config.disabledCategories.includes(r.category);
  const onErrorOf = (r: RolloutRuleMeta): OnError => config.rules[r.id]?.onError ?? r.onError ?? config.onError;
  const modeOf = (r: RolloutRuleMeta): Mode => configuredMode(r.id, r.mode, config);

  const byRule = new Map<string, RuleAcc>();
  const accFor = (id: string): RuleAcc => {
    let acc = byRule.get(id);
    if (!acc) byRule.set(id, (acc = { owners: new Map(), excepted: 0, alreadyEnforced: 0 }));
    return acc;
  };
  const unknown = new Set<string>();
  const knownNamespaces = new Set<string>(options.namespaces ?? []);
  const enforcingNamespaces = new Set<string>();

  for (const report of options.reports) {
    if (!isPalisadeReport(report)) continue;
    const namespace = namespaceOf(report);
    if (namespace !== undefined) knownNamespaces.add(namespace);
    const owner = ownerOf(report);
    const team = options.teamLabel ? report.metadata.labels?.[options.teamLabel] : undefined;
    for (const result of report.results) {
      const meta = metas.get(result.policy);
      if (!meta) {
        unknown.add(result.policy);
        continue;
      }
      if (!active(meta) || meta.ruleClass === 'context') continue;
      const mode = parseMode(result.properties?.['mode']) ?? modeOf(meta);
      const modeSource = result.properties?.['modeSource'];
      if (namespace !== undefined && mode === 'enforce' && modeSource === 'namespace') enforcingNamespaces.add(namespace);
      const acc = accFor(meta.id);
      if (result.result === 'skip') {
        acc.excepted += 1;
        continue;
      }
      if (result.result !== 'fail' && result.result !== 'error') continue;
      if (mode === 'enforce') {
        acc.alreadyEnforced += 1;
        continue;
      }
      if (result.result === 'error' && onErrorOf(meta) === 'allow') continue;

      const key = `${namespace ?? ''}\u0000${owner.apiVersion ?? ''}\u0000${owner.kind}\u0000${owner.name}\u0000${owner.uid}`;
      let entry = acc.owners.get(key);
      if (!entry) {
        entry = {
          namespace,
          ...(owner.apiVersion ? { apiVersion: owner.apiVersion } : {}),
          kind: owner.kind,
          name: owner.name,
          ...(team !== undefined ? { team } : {}),
          mode,
          ...(modeSource !== undefined ? { modeSource } : {}),
          findings: [],
          keys: new Set(),
        };
        acc.owners.set(key, entry);
      }
      const objects = objectsOf(result);
      if (objects !== undefined) entry.objects = Math.max(entry.objects ?? 0, objects);
      const finding: RolloutFinding = {
        code: result.rule ?? result.policy,
        result: result.result,
        message: result.message ?? '',
        ...(result.properties?.['paths'] ? { paths: result.properties['paths'] } : {}),
        ...(result.properties?.['containers'] ? { containers: result.properties['containers'] } : {}),
      };
      const findingKey = JSON.stringify(finding);
      if (!entry.keys.has(findingKey)) {
        entry.keys.add(findingKey);
        entry.findings.push(finding);
      }
    }
  }

  const rules: RolloutRule[] = [];
  const safeRules: SafeRule[] = [];
  const notJudged: NotJudgedRule[] = [];
  const blockedOwners = new Set<string>();
  const pending = new Map<string, { owners: Set<string>; rules: Set<string> }>();

  const ordered = [...metas.values()].filter(active).sort((a, b) => severityRank(a.severity) - severityRank(b.severity) || compareText(a.id, b.id));
  for (const meta of ordered) {
    const configured = modeOf(meta);
    if (meta.ruleClass === 'context') {
      notJudged.push({ id: meta.id, title: meta.title, reason: 'context rule: checked by the audit only, never enforced at admission' });
      continue;
    }
    const acc = byRule.get(meta.id) ?? { owners: new Map<string, OwnerAcc>(), excepted: 0, alreadyEnforced: 0 };
    if (acc.owners.size === 0) {
      if (configured === 'enforce') continue;
      if (meta.ruleClass === 'admission') {
        notJudged.push({ id: meta.id, title: meta.title, reason: `admission rule in ${configured}: it reads the request, which the audit cannot see` });
        continue;
      }
      safeRules.push({ id: meta.id, title: meta.title, severity: meta.severity, configuredMode: configured, excepted: acc.excepted });
      continue;
    }
    const groups = new Map<string | undefined, RolloutOwner[]>();
    for (const [key, owner] of acc.owners) {
      blockedOwners.add(key);
      const { namespace, keys: _keys, ...shown } = owner;
      shown.findings.sort((a, b) => compareText(a.code, b.code) || compareText(a.message, b.message) || compareText(a.paths ?? '', b.paths ?? ''));
      const list = groups.get(namespace);
      if (list) list.push(shown);
      else groups.set(namespace, [shown]);
      if (namespace !== undefined) {
        let p = pending.get(namespace);
        if (!p) pending.set(namespace, (p = { owners: new Set(), rules: new Set() }));
        p.owners.add(key);
        p.rules.add(meta.id);
      }
    }
    rules.push({
      id: meta.id,
      title: meta.title,
      severity: meta.severity,
      category: meta.category,
      configuredMode: configured,
      remediation: meta.remediation,
      docs: meta.docs,
      workloads: acc.owners.size,
      excepted: acc.excepted,
      alreadyEnforced: acc.alreadyEnforced,
      namespaces: [...groups.entries()]
        .sort(([a], [b]) => compareNamespaces(a, b))
        .map(([namespace, owners]) => ({ ...(namespace !== undefined ? { namespace } : {}), owners: owners.sort(compareOwners) })),
    });
  }

  const clean: NamespaceStep[] = [];
  const enforcing: string[] = [];
  for (const namespace of [...knownNamespaces].sort(compareText)) {
    if (!isDnsLabel(namespace) || matchesAnyGlob(config.excludedNamespaces, namespace) || pending.has(namespace)) continue;
    if (enforcingNamespaces.has(namespace) || config.namespaceModes[namespace] === 'enforce') enforcing.push(namespace);
    else clean.push({ namespace, command: labelCommand(namespace) });
  }

  return {
    format: ROLLOUT_REPORT_FORMAT,
    generatedAt: options.now.toISOString(),
    ...(options.teamLabel ? { teamLabel: options.teamLabel } : {}),
    summary: {
      rules: rules.length,
      workloads: blockedOwners.size,
      safeRules: safeRules.length,
      cleanNamespaces: clean.length,
      pendingNamespaces: pending.size,
    },
    rules,
    safeRules,
    configSnippet: enforceSnippet(safeRules.map((r) => r.id)),
    namespaces: {
      clean,
      pending: [...pending.entries()]
        .sort(([a], [b]) => compareText(a, b))
        .map(([namespace, p]) => ({ namespace, workloads: p.owners.size, rules: [...p.rules].sort(compareText) })),
      enforcing,
    },
    notJudged,
    unknownRules: [...unknown].sort(compareText),
  };
}

/** `2 workloads would be blocked (1 namespace, cluster-scoped)`, the same words in every rendering. */
export function blockedText(rule: RolloutRule): string {
  const namespaces = rule.namespaces.filter((n) => n.namespace !== undefined).length;
  const where = [
    ...(namespaces > 0 ? [count(namespaces, 'namespace')] : []),
    ...(namespaces < rule.namespaces.length ? ['cluster-scoped'] : []),
  ];
  return `${count(rule.workloads, 'workload')} would be blocked (${where.join(', ')})`;
}

export function renderRolloutJson(report: RolloutReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}
