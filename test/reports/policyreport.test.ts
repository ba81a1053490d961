import t from 'tap';
import { buildReports } from '../../src/reports/openreports.js';
import { toPolicyReport } from '../../src/reports/policyreport.js';
import { readReport } from '../../src/reports/read-report.js';
import { loadAuditResult, matchGolden, roundTrip } from './helpers.js';

const now = new Date('2026-03-01T12:00:42.000Z');

t.test('a Report becomes a wgpolicyk8s.io/v1alpha2 PolicyReport', async (t) => {
  const reports = buildReports(await loadAuditResult(), { now, ownerLabels: ['team'] });
  const web = reports.find((r) => r.metadata.name === 'palisade-deployment-web');
  if (!web) throw new Error('no web report');
  const policyReport = toPolicyReport(web);
  t.equal(policyReport.apiVersion, 'wgpolicyk8s.io/v1alpha2');
  t.equal(policyReport.kind, 'PolicyReport');
  t.same(policyReport.metadata, web.metadata, 'same name, namespace, labels and owner');
  t.same(policyReport.scope, web.scope);
  t.same(policyReport.summary, web.summary);
  t.notOk('source' in policyReport, 'v1alpha2 has no report-level source');
  t.notOk('configuration' in policyReport, 'nor a configuration');
  t.equal(policyReport.results.length, web.results.length);
  for (const [i, result] of policyReport.results.entries()) {
    t.equal(result.source, 'palisade', 'the source moves into every result');
    t.same(result.resources, [web.scope], 'older consumers read the subject from the result');
    t.same({ ...result, source: undefined, resources: undefined }, { ...web.results[i], source: undefined, resources: undefined });
  }
  t.notOk(toPolicyReport(web, { resultResources: false }).results.some((r) => 'resources' in r));

  const binding = reports.find((r) => r.kind === 'ClusterReport');
  t.equal(binding && toPolicyReport(binding).kind, 'ClusterPolicyReport');
});

t.test('a report read back from the cluster converts without server-set fields', async (t) => {
  const [first] = buildReports(await loadAuditResult(), { now });
  const stored = readReport(
    roundTrip({
      ...first,
      metadata: { ...first?.metadata, uid: 'u', resourceVersion: '7', creationTimestamp: '2026-03-01T12:00:43Z', managedFields: [{}] },
      status: { unknown: true },
    }),
  );
  if (!stored) throw new Error('not read back');
  const converted = toPolicyReport(stored);
  t.same(Object.keys(converted.metadata).sort(), ['annotations', 'labels', 'name', 'ownerReferences']);
  t.notOk('status' in converted);
  await matchGolden(t, 'policyreport.json', `${JSON.stringify(converted, null, 2)}\n`);
});

t.test('readReport refuses what is not an OpenReports report', async (t) => {
  t.equal(readReport(null), undefined);
  t.equal(readReport({ apiVersion: 'wgpolicyk8s.io/v1alpha2', kind: 'PolicyReport', metadata: { name: 'x' } }), undefined);
  t.equal(readReport({ apiVersion: 'openreports.io/v1alpha1', kind: 'Report', metadata: {} }), undefined);
  const lenient = readReport({
    apiVersion: 'openreports.io/v1alpha1',
    kind: 'Report',
    metadata: { name: 'x', labels: { a: 'b', n: 1 } },
    summary: { fail: -1, pass: 'x' },
    results: [{ policy: 'p', result: 'maybe', severity: 'urgent', properties: { k: 'v', bad: {} } }, { rule: 'no policy' }, 'junk'],
  });
  t.same(lenient, {
    apiVersion: 'openreports.io/v1alpha1',
    kind: 'Report',
    metadata: { name: 'x', labels: { a: 'b' } },
    summary: { pass: 0, fail: 0, warn: 0, error: 0, skip: 0 },
    results: [{ policy: 'p', properties: { k: 'v' } }],
  });
});
