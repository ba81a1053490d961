import t from 'tap';
import type { AuditEntry, AuditResult } from '../../src/audit/types.js';
import type { DecidedFinding } from '../../src/policy/types.js';
import { isDnsSubdomain, isLabelValue, reportBaseName } from '../../src/reports/names.js';
import {
  buildReports,
  byteLength,
  carryTimestamps,
  DEFAULT_MAX_REPORT_BYTES,
  LIMITS,
  sameReport,
} from '../../src/reports/openreports.js';
import { readReport } from '../../src/reports/read-report.js';
import type { Report } from '../../src/reports/types.js';
import { loadAuditResult, loadRules, matchGolden, roundTrip } from './helpers.js';

const now = new Date('2026-03-01T12:00:42.000Z');

function find(reports: readonly Report[], namespace: string | undefined, name: string): Report {
  const report = reports.find((r) => r.metadata.namespace === namespace && r.metadata.name === name);
  if (!report) throw new Error(`no report ${namespace ?? ''}/${name} in ${reports.map((r) => `${r.metadata.namespace ?? ''}/${r.metadata.name}`).join(', ')}`);
  return report;
}

t.test('one report per owner with results, in the owner namespace, owned by the owner', async (t) => {
  const audit = await loadAuditResult();
  const reports = buildReports(audit, { now, ownerLabels: ['team'] });
  t.same(
    reports.map((r) => `${r.kind} ${r.metadata.namespace ?? '-'}/${r.metadata.name}`),
    [
      'ClusterReport -/palisade-clusterrolebinding-ci-admin',
      'ClusterReport -/palisade-namespace-shop',
      'Report dev/palisade-pod-debug',
      'Report monitoring/palisade-daemonset-node-exporter',
      'Report payments/palisade-deployment-api',
      'Report sandbox/palisade-deployment-toy',
      'Report shop/palisade-cronjob-report-gen',
      'Report shop/palisade-deployment-web',
    ],
    'tools/cli had no findings: no report; cluster-scoped owners get ClusterReports',
  );

  const web = find(reports, 'shop', 'palisade-deployment-web');
  t.same(web.metadata.ownerReferences, [
    { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: '3f6c1f0e-0000-4000-8000-000000000001' },
  ]);
  t.same(web.metadata.labels, {
    'app.kubernetes.io/managed-by': 'palisade',
    'palisade.dev/owner-kind': 'Deployment',
    'palisade.dev/owner-name': 'web',
    'palisade.dev/owner-uid': '3f6c1f0e-0000-4000-8000-000000000001',
    team: 'storefront',
  });
  t.same(web.scope, { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'shop', name: 'web', uid: '3f6c1f0e-0000-4000-8000-000000000001' });
  t.equal(web.source, 'palisade');
  t.same(web.summary, { pass: 0, fail: 2, warn: 0, error: 1, skip: 0 });
  t.same(web.configuration, { limits: { statusFilter: ['fail', 'error', 'skip'] } });
  t.same(
    web.results.map((r) => `${r.result} ${r.rule}`),
    ['error require-pinned-images', 'fail require-run-as-non-root', 'fail require-resource-requests-limits'],
    'errors first, then by severity',
  );
  t.same(web.results[1], {
    policy: 'require-run-as-non-root',
    rule: 'require-run-as-non-root',
    category: 'pod-security',
    severity: 'high',
    timestamp: { seconds: 1772366442, nanos: 0 },
    result: 'fail',
    scored: true,
    message: 'containers web, nginx-exporter may run as root',
    properties: {
      code: 'require-run-as-non-root',
      mode: 'audit',
      modeSource: 'config',
      objects: '3',
      occurrences: '5',
      paths: 'spec.template.spec.containers[0].securityContext.runAsNonRoot, spec.template.spec.containers[1].securityContext.runAsNonRoot',
      containers: 'web, nginx-exporter',
    },
  });
  t.equal(web.results[2]?.properties?.['mode'], 'dry-run', 'the mode is a property; the result stays fail');

  const binding = find(reports, undefined, 'palisade-clusterrolebinding-ci-admin');
  t.same(binding.metadata.ownerReferences?.[0]?.kind, 'ClusterRoleBinding', 'a cluster-scoped owner owns its ClusterReport');
  t.notOk('namespace' in binding.metadata);

  const debug = find(reports, 'dev', 'palisade-pod-debug');
  t.notOk(debug.metadata.ownerReferences, 'no uid: nothing for garbage collection to follow');
  t.notOk(debug.metadata.labels?.['palisade.dev/owner-uid']);
});

t.test('an excepted finding is a skip result carrying the exception', async (t) => {
  const reports = buildReports(await loadAuditResult(), { now });
  const exporter = find(reports, 'monitoring', 'palisade-daemonset-node-exporter');
  t.same(exporter.summary, { pass: 0, fail: 0, warn: 0, error: 0, skip: 1 });
  const [result] = exporter.results;
  t.equal(result?.result, 'skip');
  t.notOk(result && 'scored' in result, 'a skipped result is not scored');
  t.match(result?.properties, {
    exceptedBy: 'monitoring/node-exporter-seccomp',
    exceptionReason: 'Reads host metrics that the default profile blocks',
    exceptionOwner: 'observability@example.com',
    exceptionExpiresAt: '2027-01-01T00:00:00.000Z',
    objects: '5',
  });
});

t.test('pass results only when asked', async (t) => {
  const audit = await loadAuditResult();
  const failures = buildReports(audit, { now });
  t.notOk(failures.some((r) => r.results.some((x) => x.result === 'pass')), 'failures only by default');

  const rules = await loadRules();
  const all = buildReports(audit, { now, includePasses: true, rules });
  const cli = find(all, 'tools', 'palisade-deployment-cli');
  t.equal(cli.summary.pass, 7, 'every evaluated rule passed');
  t.equal(cli.results[0]?.severity, 'critical', 'severity from the rule metadata');
  t.same(cli.configuration?.limits.statusFilter, ['pass', 'fail', 'error', 'skip']);
  const web = find(all, 'shop', 'palisade-deployment-web');
  t.same(web.summary, { pass: 4, fail: 2, warn: 0, error: 1, skip: 0 });
  t.same(web.results.slice(-4).map((r) => r.result), ['pass', 'pass', 'pass', 'pass'], 'passes last');
});

function finding(i: number, message: string): DecidedFinding {
  return {
    ruleId: `rule-${String(i % 40).padStart(2, '0')}`,
    code: `rule-${String(i % 40).padStart(2, '0')}`,
    title: 'A rule',
    severity: (['critical', 'high', 'medium', 'low', 'info'] as const)[i % 5] ?? 'info',
    category: 'workloads',
    message: `${i}: ${message}`,
    remediation: 'Fix it.',
    reason: 'Forbidden',
    paths: [`spec.template.spec.containers[${i}].image`],
    containers: [`c${i}`],
    images: [],
    standards: {},
    ruleClass: 'object',
    result: 'fail',
    docs: '',
    mode: 'audit',
    modeSource: 'default',
    denies: false,
  };
}

function hugeAudit(findings: number, message: string): AuditResult {
  const entry: AuditEntry = {
    owner: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'big', name: 'monolith', uid: 'uid-monolith' },
    objects: 400,
    labels: {},
    evaluated: [],
    findings: Array.from({ length: findings }, (_, i) => finding(i, message)),
  };
  return { startedAt: now, finishedAt: now, objectsByKind: {}, entries: [entry], skippedKinds: [] };
}

t.test('a huge owner is split into numbered reports, each under the byte budget', async (t) => {
  const audit = hugeAudit(5000, 'x'.repeat(3000));
  const reports = buildReports(audit, { now });
  t.ok(reports.length > 1, `${reports.length} parts`);
  t.same(
    reports.map((r) => r.metadata.name),
    reports.map((_, i) => (i === 0 ? 'palisade-deployment-monolith' : `palisade-deployment-monolith-${i + 1}`)),
  );
  for (const [i, report] of reports.entries()) {
    const bytes = byteLength(report);
    t.ok(bytes <= DEFAULT_MAX_REPORT_BYTES, `part ${i + 1}: ${bytes} bytes <= ${DEFAULT_MAX_REPORT_BYTES}`);
    t.equal(report.metadata.annotations?.['palisade.dev/part'], `${i + 1}/${reports.length}`);
    t.equal(report.summary.fail, report.results.length, 'the summary counts the results of its own part');
    t.same(report.metadata.ownerReferences?.[0]?.uid, 'uid-monolith', 'every part is owned by the workload');
  }
  t.equal(reports.reduce((n, r) => n + r.results.length, 0), 5000, 'no result lost or repeated');
  const first = reports[0]?.results[0];
  t.equal(first?.message?.length, LIMITS.message, 'messages are cut');
  t.ok(first?.message?.endsWith('…'));

  const capped = buildReports(hugeAudit(250, 'short'), { now, maxResultsPerReport: 100 });
  t.same(capped.map((r) => r.results.length), [100, 100, 50]);
  t.equal(capped[0]?.configuration?.limits.maxResults, 100);

  const small = buildReports(hugeAudit(2000, 'y'.repeat(500)), { now, maxReportBytes: 64 * 1024 });
  for (const report of small) t.ok(byteLength(report) <= 64 * 1024, `${report.metadata.name}: ${byteLength(report)} bytes`);

  t.throws(() => buildReports(audit, { now, maxReportBytes: 1000 }), /maxReportBytes must be an integer of at least 65536/);
  t.throws(() => buildReports(audit, { now, maxResultsPerReport: 0 }), /maxResultsPerReport must be a positive integer/);
});

t.test('non-ASCII and escaped characters count in bytes, not characters', async (t) => {
  const reports = buildReports(hugeAudit(3000, '\u0001é😀"'.repeat(400)), { now, maxReportBytes: 64 * 1024 });
  t.ok(reports.length > 1);
  for (const report of reports) t.ok(byteLength(report) <= 64 * 1024, `${report.metadata.name}: ${byteLength(report)} bytes`);
  const message = reports[0]?.results[0]?.message ?? '';
  t.notOk(/[\uD800-\uDBFF]$/.test(message.slice(0, -1)), 'a surrogate pair is never split');
});

t.test('names are deterministic, valid and unique', async (t) => {
  t.equal(reportBaseName({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }), 'palisade-deployment-web');
  t.equal(reportBaseName({ apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', name: 'web' }), 'palisade-rollout.argoproj.io-web');
  const rbac = reportBaseName({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', name: 'system:controller:Foo' });
  t.match(rbac, /^palisade-clusterrole-system-controller-foo-[0-9a-f]{10}$/, 'changed names get a hash');
  t.not(rbac, reportBaseName({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', name: 'system:controller:foo' }));
  const long = reportBaseName({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'a'.repeat(253) });
  t.ok(long.length <= 247 && isDnsSubdomain(long), `${long.length} characters, room for a part suffix`);
  t.not(long, reportBaseName({ apiVersion: 'apps/v1', kind: 'Deployment', name: `${'a'.repeat(252)}b` }));

  // Owner web-2 would collide with part 2 of owner web.
  const audit = hugeAudit(250, 'short');
  const web = audit.entries[0] as AuditEntry;
  const entries: AuditEntry[] = [
    { ...web, owner: { ...web.owner, name: 'web', uid: 'a' } },
    { ...web, owner: { ...web.owner, name: 'web-2', uid: 'b' }, findings: web.findings.slice(0, 1) },
  ];
  const reports = buildReports({ ...audit, entries }, { now, maxResultsPerReport: 200 });
  const names = reports.map((r) => r.metadata.name);
  t.equal(new Set(names).size, names.length, `unique: ${names.join(', ')}`);
  t.same(buildReports({ ...audit, entries: [...entries].reverse() }, { now, maxResultsPerReport: 200 }).map((r) => r.metadata.name), names, 'the same names whatever the input order');

  const longLabel = buildReports({ ...audit, entries: [{ ...web, owner: { ...web.owner, name: 'n'.repeat(200) }, findings: web.findings.slice(0, 1) }] }, { now });
  const value = longLabel[0]?.metadata.labels?.['palisade.dev/owner-name'] ?? '';
  t.ok(isLabelValue(value), `label value ${value}`);
});

t.test('the same audit in any order gives the same bytes', async (t) => {
  const audit = await loadAuditResult();
  const shuffled: AuditResult = {
    ...audit,
    entries: [...audit.entries].reverse().map((e) => ({ ...e, findings: [...e.findings].reverse() })),
  };
  t.equal(JSON.stringify(buildReports(shuffled, { now })), JSON.stringify(buildReports(audit, { now })));
});

t.test('timestamps carried over from stored reports make an unchanged report equal', async (t) => {
  const audit = await loadAuditResult();
  const first = buildReports(audit, { now });
  const later = buildReports(audit, { now: new Date(now.getTime() + 3_600_000) });
  const stored = first.map((r) => {
    const read = readReport(roundTrip({ ...r, metadata: { ...r.metadata, uid: 'x', resourceVersion: '12' } }));
    if (!read) throw new Error('not read back');
    return read;
  });
  for (const [i, next] of later.entries()) {
    const previous = stored[i] as Report;
    t.notOk(sameReport(next, previous), 'new timestamps: a change');
    t.ok(sameReport(carryTimestamps(next, [previous]), previous), `${next.metadata.name}: unchanged once timestamps are carried`);
  }

  const scaled = buildReports({ ...audit, entries: audit.entries.map((e) => ({ ...e, objects: e.objects + 1 })) }, { now: new Date(now.getTime() + 7_200_000) });
  const web = scaled.find((r) => r.metadata.name === 'palisade-deployment-web') as Report;
  const carried = carryTimestamps(web, stored);
  t.same(carried.results.map((r) => r.timestamp?.seconds), web.results.map(() => 1772366442), 'scaling the owner keeps when its results were found');
  t.notOk(sameReport(carried, stored.find((r) => r.metadata.name === web.metadata.name) as Report), 'but the object count is new content');
});

t.test('reports of the fixture audit (golden)', async (t) => {
  const reports = buildReports(await loadAuditResult(), { now, ownerLabels: ['team'] });
  await matchGolden(t, 'reports.json', `${JSON.stringify(reports, null, 2)}\n`);
});
