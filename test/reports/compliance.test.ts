import t from 'tap';
import {
  auditFindingMetrics,
  complianceScoreMetrics,
  complianceSummary,
  renderComplianceJson,
} from '../../src/reports/compliance.js';
import { loadAuditResult, loadRules, loadStandard, matchGolden } from './helpers.js';

t.test('percent of in-scope controls passed, overall and per namespace', async (t) => {
  const summary = complianceSummary(await loadAuditResult(), await loadStandard(), await loadRules());
  t.equal(summary.generatedAt, '2026-03-01T12:00:42.000Z', 'as of the end of the audit');
  t.same(summary.standards, [
    {
      standard: 'demo',
      controls: 7,
      passed: 1,
      // C3 passes: its only finding is excepted. C6 is out of scope and not counted.
      failed: ['C1', 'C2', 'C4', 'C5', 'C7', 'C8'],
      score: 14.3,
      title: 'Demo standard',
      version: '1.0',
    },
  ]);
  const byNamespace = Object.fromEntries(summary.namespaces.map((n) => [n.namespace, n.standards.map((s) => [s.score, s.passed, s.controls, s.failed])]));
  t.same(byNamespace, {
    dev: [[80, 4, 5, ['C4']]],
    monitoring: [[100, 5, 5, []]],
    payments: [[80, 4, 5, ['C2']]],
    sandbox: [[60, 3, 5, ['C1', 'C5']]],
    // The Namespace's own context finding (no NetworkPolicy) counts for shop, so C7 is in scope there.
    shop: [[50, 3, 6, ['C2', 'C4', 'C7']]],
    tools: [[100, 5, 5, []]],
  }, 'a namespace is scored on the rules evaluated in it; the cluster-scoped binding only counts overall');
  await matchGolden(t, 'compliance.json', renderComplianceJson(summary));
});

t.test('admission-only rules and rules evaluated nowhere are out of scope', async (t) => {
  const audit = await loadAuditResult();
  const rules = [
    { id: 'never-run', standards: { demo: ['C1'] } },
    { id: 'admission-only', ruleClass: 'admission' as const, standards: { demo: ['C3'] } },
    { id: 'restrict-seccomp', ruleClass: 'object' as const, standards: { demo: ['C3'] } },
  ];
  audit.entries[0]?.evaluated.push('admission-only');
  const [demo] = complianceSummary(audit, await loadStandard(), rules).standards;
  t.same([demo?.controls, demo?.passed], [1, 1], 'only C3, through restrict-seccomp');
});

t.test('metric values', async (t) => {
  const audit = await loadAuditResult();
  const rules = await loadRules();
  t.same(complianceScoreMetrics(complianceSummary(audit, await loadStandard(), rules)), [{ labels: { standard: 'demo' }, value: 14.3 }]);
  t.same(
    auditFindingMetrics(audit, rules).map((m) => `${m.labels['rule']}{${m.labels['severity']}} ${m.value}`),
    [
      'disallow-capabilities{high} 0',
      'disallow-host-namespaces{high} 1',
      'disallow-privileged{critical} 1',
      'require-network-policy{medium} 1',
      'require-pinned-images{medium} 1',
      'require-resource-requests-limits{medium} 2',
      'require-run-as-non-root{high} 3',
      'restrict-cluster-admin-binding{high} 1',
      'restrict-seccomp{medium} 0',
    ],
    'non-excepted findings per rule; evaluated clean rules at 0',
  );
  t.same(auditFindingMetrics(audit).length, 7, 'without metadata, clean rules have no severity and are left out');
});
