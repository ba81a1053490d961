/**
 * The compliance summary from stored reports: with pass results stored it is exactly the live
 * audit's; with failures only, the failed controls are the same and the in-scope estimate comes
 * from the rule set (see src/kube/stored-audit.ts).
 */
import t from 'tap';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { AuditResult, ObjectRef } from '../../src/audit/types.js';
import { loadRuleSet } from '../../src/engine/rule-set.js';
import { auditResultFromReports, evaluatedByKind, type StoredAuditRule } from '../../src/kube/stored-audit.js';
import { BUILTIN_RULES_DIR } from '../../src/paths.js';
import { complianceSummary } from '../../src/reports/compliance.js';
import { buildReports } from '../../src/reports/openreports.js';
import { readReport } from '../../src/reports/read-report.js';
import type { Report } from '../../src/reports/types.js';
import { parseStandard } from '../../src/standards/loader.js';
import type { Standard } from '../../src/standards/types.js';

const fixture = (name: string): string => fileURLToPath(new URL(`../fixtures/report-writer/${name}`, import.meta.url));

async function loadAudit(): Promise<AuditResult> {
  const raw = JSON.parse(await readFile(fixture('audit-result.json'), 'utf8')) as Omit<AuditResult, 'startedAt' | 'finishedAt'> & { startedAt: string; finishedAt: string };
  return { ...raw, startedAt: new Date(raw.startedAt), finishedAt: new Date(raw.finishedAt) };
}

async function loadFixtures(): Promise<{ audit: AuditResult; rules: StoredAuditRule[]; standards: Standard[] }> {
  const rules = JSON.parse(await readFile(fixture('rules.json'), 'utf8')) as StoredAuditRule[];
  const load = parseStandard(await readFile(fixture('standard.yaml'), 'utf8'), 'standard.yaml');
  if (load.problems.length > 0) throw new Error(JSON.stringify(load.problems));
  return { audit: await loadAudit(), rules, standards: load.standards };
}

/** As read back from the cluster. */
const stored = (reports: Report[]): Report[] => reports.map((r) => readReport(JSON.parse(JSON.stringify(r))) as Report);

t.test('with pass results stored, the summary is the live audit summary', async (t) => {
  const { audit, rules, standards } = await loadFixtures();
  const reports = stored(buildReports(audit, { now: audit.finishedAt, includePasses: true }));
  const rebuilt = auditResultFromReports(reports, { rules, now: audit.finishedAt, evaluatedFor: () => ['never-used'] });
  t.same(complianceSummary(rebuilt, standards, rules), complianceSummary(audit, standards, rules));
  const web = rebuilt.entries.find((e) => e.owner.name === 'web');
  t.same(web?.owner, audit.entries[0]?.owner, 'the owner, uid included, from the report scope');
  t.equal(web?.objects, 3);
  t.same(web?.labels, {}, 'only the labels copied onto the report, none of Palisade\'s own');
  const nightly = rebuilt.entries.find((e) => e.owner.name === 'nightly');
  t.match(nightly?.findings[0]?.exceptedBy, { namespace: 'palisade-system', name: 'legacy-backup', owner: 'storefront@example.com' }, 'an excepted result stays excepted');
});

t.test('failures only: the same failed controls; the scope is estimated from the rule set', async (t) => {
  const { audit, rules, standards } = await loadFixtures();
  const reports = stored(buildReports(audit, { now: audit.finishedAt }));
  const byKind: Record<string, string[]> = {
    Deployment: ['require-run-as-non-root', 'disallow-privileged', 'require-resource-requests-limits', 'disallow-host-namespaces'],
    CronJob: ['require-run-as-non-root', 'disallow-privileged', 'disallow-host-namespaces'],
    ClusterRoleBinding: ['restrict-cluster-admin-binding'],
  };
  const rebuilt = auditResultFromReports(reports, { rules, now: audit.finishedAt, evaluatedFor: (owner: ObjectRef) => byKind[owner.kind] ?? [] });
  t.notOk(rebuilt.entries.some((e) => e.owner.name === 'clean'), 'a clean owner has no report, so no entry');
  const live = complianceSummary(audit, standards, rules);
  const fromReports = complianceSummary(rebuilt, standards, rules);
  t.same(fromReports.standards.map((s) => s.failed), live.standards.map((s) => s.failed), 'failed controls agree');
  t.match(fromReports.standards[0], { standard: 'demo', controls: 5, passed: 2, score: 40 }, 'C1 (excepted only) and C5 pass; C3 is admission-only, never in scope');
  t.same(fromReports.namespaces.map((n) => n.namespace), ['payments', 'shop']);
});

t.test('other tools\' reports and other namespaces are left out', async (t) => {
  const { audit, rules } = await loadFixtures();
  const reports = stored(buildReports(audit, { now: audit.finishedAt }));
  const foreign = { ...reports[0], metadata: { name: 'x', namespace: 'shop', labels: { 'app.kubernetes.io/managed-by': 'kyverno' } }, source: 'kyverno' } as Report;
  const rebuilt = auditResultFromReports([...reports, foreign], { rules, now: audit.finishedAt, namespace: 'shop' });
  t.same(rebuilt.entries.map((e) => e.owner.name).sort(), ['nightly', 'web']);
  t.equal(rebuilt.namespace, 'shop');
});

t.test('evaluatedByKind: a workload counts its Pods\' rules; RBAC objects their own; admission rules never', async (t) => {
  const load = await loadRuleSet([BUILTIN_RULES_DIR]);
  if (!load.ruleSet) throw new Error(JSON.stringify(load.problems));
  const evaluated = evaluatedByKind(load.ruleSet);
  const deployment = evaluated({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'shop', name: 'web' });
  t.ok(deployment.includes('disallow-privileged'), 'a pod rule');
  t.notOk(deployment.includes('restrict-cluster-admin-binding'));
  const binding = evaluated({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', name: 'ci' });
  t.ok(binding.includes('restrict-cluster-admin-binding'));
  t.notOk(binding.includes('disallow-privileged'));
  const admissionOnly = load.ruleSet.rules.filter((r) => r.meta.ruleClass === 'admission').map((r) => r.meta.id);
  t.notOk([...deployment, ...binding].some((id) => admissionOnly.includes(id)), 'no admission-only rule');
});
