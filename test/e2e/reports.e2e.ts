/**
 * Stored reports against a real control plane (kube-apiserver, etcd and kube-controller-manager on
 * loopback): the OpenReports CRDs installed only where absent, reports written with server-side
 * apply and owned by real workloads, nothing rewritten when nothing changed, stale reports deleted,
 * garbage collection following a deleted Deployment, and `palisade report` reading them back.
 */
import t from 'tap';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import type { AuditResult } from '../../src/audit/types.js';
import type { CliIO } from '../../src/cli/cli-error.js';
import { reportCommand } from '../../src/cli/report-command.js';
import { loadKubeConfig } from '../../src/kube/kubeconfig.js';
import { ensureReportCrds, REPORT_CRDS_DIR } from '../../src/kube/report-crds.js';
import { kubeReportStore, listStoredReports, readStoredReports } from '../../src/kube/report-store.js';
import { ReportWriter } from '../../src/kube/report-writer.js';
import { buildReports } from '../../src/reports/openreports.js';
import type { RolloutReport } from '../../src/reports/rollout.js';
import { startControlPlane, waitFor, type ControlPlane } from './control-plane/harness.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/report-writer/', import.meta.url));
const NS = 'reports-e2e';
const FIRST_RUN = new Date('2026-03-01T12:00:05.000Z');
const LATER_RUN = new Date('2026-03-02T08:30:00.000Z');

const plane: ControlPlane = await startControlPlane();
const work = mkdtempSync(join(tmpdir(), 'palisade-reports-e2e-'));
t.teardown(async () => {
  await plane.stop();
  rmSync(work, { recursive: true, force: true });
});

const log = pino({ level: process.env['PALISADE_E2E_LOG'] ?? 'silent' });
const kc = loadKubeConfig({ kubeconfig: plane.kubeconfig });
const kubectl = (args: string[], input?: string) => plane.kubectl(args, input);
function must(args: string[], input?: string): string {
  const out = kubectl(args, input);
  if (out.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${out.stderr}`);
  return out.stdout;
}
const getJson = <T>(args: string[]): T => JSON.parse(must(['get', ...args, '-o', 'json'])) as T;
const exists = (args: string[]): boolean => kubectl(['get', ...args, '-o', 'name']).code === 0;

interface Meta {
  metadata: { uid: string; resourceVersion: string; labels?: Record<string, string>; ownerReferences?: unknown[]; managedFields?: { manager: string; operation: string }[] };
}
interface Crd extends Meta {
  spec: { versions: { schema: { openAPIV3Schema: { description?: string; properties?: Record<string, Record<string, unknown>> } }; additionalPrinterColumns?: unknown[] }[] };
  status: { conditions?: { type: string; status: string }[] };
}
interface StoredReportJson extends Meta {
  results: { policy: string; timestamp: { seconds: number } }[];
}

/** The fixture audit run, naming the real owners by their uids. */
function auditOf(uids: Record<string, string>): AuditResult {
  const text = Object.entries(uids).reduce((s, [key, uid]) => s.replaceAll(`\${${key}}`, uid), readFileSync(join(FIXTURES, 'e2e-audit-result.json'), 'utf8'));
  const raw = JSON.parse(text) as Omit<AuditResult, 'startedAt' | 'finishedAt'> & { startedAt: string; finishedAt: string };
  return { ...raw, startedAt: new Date(raw.startedAt), finishedAt: new Date(raw.finishedAt) };
}

const reportsOf = (audit: AuditResult, now: Date) => buildReports(audit, { now, ownerLabels: ['team'] });
const counts = (r: { applied: number; unchanged: number; deleted: number; failed: number }) => ({ applied: r.applied, unchanged: r.unchanged, deleted: r.deleted, failed: r.failed });

// Awaited: everything below needs the CRDs.
await t.test('CRDs: installed where absent, left exactly as they are where present', async (t) => {
  must(['create', '-f', join(FIXTURES, 'foreign-clusterreports-crd.yaml')]);
  must(['wait', '--for=condition=Established', 'crd/clusterreports.openreports.io', '--timeout=60s']);
  const before = getJson<Crd>(['crd', 'clusterreports.openreports.io']);

  const outcomes = await ensureReportCrds(kc, log);
  t.same(outcomes, [
    { name: 'clusterreports.openreports.io', action: 'present', servesVersion: true },
    { name: 'reports.openreports.io', action: 'created', servesVersion: true },
  ]);

  const foreign = getJson<Crd>(['crd', 'clusterreports.openreports.io']);
  t.equal(foreign.metadata.resourceVersion, before.metadata.resourceVersion, "the other tool's CRD was not written at all");
  t.equal(foreign.spec.versions[0]?.schema.openAPIV3Schema.description, 'Installed by other-tool, not by Palisade.');
  t.equal(foreign.metadata.labels?.['app.kubernetes.io/managed-by'], 'other-tool');

  const ours = getJson<Crd>(['crd', 'reports.openreports.io']);
  t.ok(ours.status.conditions?.some((c) => c.type === 'Established' && c.status === 'True'), 'Established when ensureReportCrds returns');
  t.equal(ours.spec.versions[0]?.schema.openAPIV3Schema.properties?.['scope']?.['x-kubernetes-map-type'], 'atomic', 'created as shipped, x-kubernetes-* keys included');
  const shipped = readFileSync(join(REPORT_CRDS_DIR, 'reports.openreports.io.yaml'), 'utf8');
  t.match(shipped, /jsonPath: \.summary\.fail/);
  t.equal(ours.spec.versions[0]?.additionalPrinterColumns?.length, 8, 'printer columns as shipped');

  const again = await ensureReportCrds(kc, log);
  t.same(again.map((o) => o.action), ['present', 'present'], 'a second call changes nothing');
  t.equal(getJson<Crd>(['crd', 'reports.openreports.io']).metadata.resourceVersion, ours.metadata.resourceVersion);
});

must(['apply', '-f', join(FIXTURES, 'cluster.yaml')]);
must(['apply', '-f', join(FIXTURES, 'foreign-report.yaml')]);
const uids = {
  'web-uid': getJson<Meta>(['deployment', 'web', '-n', NS]).metadata.uid,
  'worker-uid': getJson<Meta>(['deployment', 'worker', '-n', NS]).metadata.uid,
  'admin-uid': getJson<Meta>(['clusterrolebinding', 'reports-e2e-admin']).metadata.uid,
};
const writer = new ReportWriter({ kc, log });

t.test('sync writes one report per owner, owned by it, with server-side apply', async (t) => {
  const result = await writer.sync(reportsOf(auditOf(uids), FIRST_RUN));
  t.same(counts(result), { applied: 3, unchanged: 0, deleted: 0, failed: 0 }, JSON.stringify(result.failures));
  const web = getJson<StoredReportJson>(['report', 'palisade-deployment-web', '-n', NS, '--show-managed-fields']);
  t.same(web.metadata.ownerReferences, [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: uids['web-uid'] }]);
  t.ok(web.metadata.managedFields?.some((f) => f.manager === 'palisade' && f.operation === 'Apply'), 'applied by field manager palisade');
  t.equal(web.metadata.labels?.['team'], 'storefront');
  t.same(web.results.map((r) => r.timestamp.seconds), [FIRST_RUN.getTime() / 1000, FIRST_RUN.getTime() / 1000]);
  const binding = getJson<Meta>(['clusterreport', 'palisade-clusterrolebinding-reports-e2e-admin']);
  t.same(binding.metadata.ownerReferences, [{ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', name: 'reports-e2e-admin', uid: uids['admin-uid'] }]);
  t.match(must(['get', 'reps', '-n', NS]), /palisade-deployment-web\s+0\s+2\s+0\s+0\s+0/, 'kubectl shows the summary columns');
});

t.test('a second identical sync writes nothing; results keep the time they were first found', async (t) => {
  const list = () => getJson<{ items: StoredReportJson[] }>(['reports,clusterreports', '-A', '-l', 'app.kubernetes.io/managed-by=palisade']).items;
  const before = list().map((r) => r.metadata.resourceVersion).sort();
  const result = await writer.sync(reportsOf(auditOf(uids), LATER_RUN));
  t.same(counts(result), { applied: 0, unchanged: 3, deleted: 0, failed: 0 });
  t.same(list().map((r) => r.metadata.resourceVersion).sort(), before, 'no stored object got a new resourceVersion');
  t.ok(list().every((r) => r.results.every((x) => x.timestamp.seconds === FIRST_RUN.getTime() / 1000)));
});

t.test('stored reports read back page by page (limit + continue)', async (t) => {
  const paged = await listStoredReports(kubeReportStore(kc), { pageSize: 1 });
  t.same(paged.map((s) => s.report.metadata.name).sort(), [
    'palisade-clusterrolebinding-reports-e2e-admin',
    'palisade-deployment-web',
    'palisade-deployment-worker',
  ], "every report of Palisade's, each once; the other engine's is not among them");
  t.equal((await readStoredReports(kc, { namespace: NS })).length, 2, 'one namespace: its Reports, no ClusterReport');
});

function fakeIO(): CliIO & { out: string; err: string } {
  const io = {
    out: '',
    err: '',
    stdout: (text: string) => void (io.out += text),
    stderr: (text: string) => void (io.err += text),
    readStdin: async () => '',
    isTTY: false,
    env: {},
    now: () => LATER_RUN,
  };
  return io;
}

t.test('palisade report rollout reads the stored reports back and lists the workloads', async (t) => {
  const io = fakeIO();
  t.equal(await reportCommand(['rollout', '--kubeconfig', plane.kubeconfig, '--format', 'json', '--team-label', 'team'], io), 0, io.err);
  const report = JSON.parse(io.out) as RolloutReport;
  const nonRoot = report.rules.find((r) => r.id === 'require-run-as-non-root');
  t.same(nonRoot?.namespaces.map((n) => [n.namespace, n.owners.map((o) => `${o.kind}/${o.name} ${o.team ?? ''} ${o.mode}`)]), [
    [NS, ['Deployment/web storefront audit', 'Deployment/worker storefront audit']],
  ]);
  t.ok(report.rules.some((r) => r.id === 'restrict-cluster-admin-binding' && r.namespaces.some((n) => n.namespace === undefined)), 'the cluster-scoped owner too');
  t.ok(report.namespaces.clean.some((n) => n.namespace === 'reports-e2e-clean'), 'a namespace without reports is offered for enforce (from the namespace list)');
  t.same(report.namespaces.pending.map((p) => p.namespace), [NS]);
  t.same(report.unknownRules, []);

  const html = fakeIO();
  t.equal(await reportCommand(['rollout', '--kubeconfig', plane.kubeconfig, '--format', 'html', '--namespace', NS], html), 0, html.err);
  t.match(html.out, /<!DOCTYPE html>/i);
  const compliance = fakeIO();
  t.equal(await reportCommand(['compliance', '--kubeconfig', plane.kubeconfig, '--format', 'json'], compliance), 0, compliance.err);
  t.match(JSON.parse(compliance.out), { format: 'palisade.dev/compliance/v1', namespaces: [{ namespace: NS }] });
});

t.test('an owner without findings any more: its report is deleted; nothing else is', async (t) => {
  const audit = auditOf(uids);
  audit.entries = audit.entries.filter((e) => e.owner.name !== 'worker');
  const result = await writer.sync(reportsOf(audit, LATER_RUN));
  t.same(counts(result), { applied: 0, unchanged: 2, deleted: 1, failed: 0 });
  t.notOk(exists(['report', 'palisade-deployment-worker', '-n', NS]));
  t.ok(exists(['report', 'other-engine-web', '-n', NS]), "another engine's report is left alone");
  const scoped = await writer.sync([], { namespace: 'reports-e2e-clean' });
  t.same(counts(scoped), { applied: 0, unchanged: 0, deleted: 0, failed: 0 }, 'a sync of another namespace deletes nothing here');
  t.ok(exists(['report', 'palisade-deployment-web', '-n', NS]));
});

t.test('deleting the Deployment deletes its report through garbage collection', async (t) => {
  must(['delete', 'deployment', 'web', '-n', NS, '--wait=false']);
  await waitFor(() => !exists(['report', 'palisade-deployment-web', '-n', NS]), 180_000, 'garbage collection of the report of the deleted Deployment');
  t.pass('the report went with its owner');
  t.ok(exists(['clusterreport', 'palisade-clusterrolebinding-reports-e2e-admin']), 'other owners keep theirs');
  const audit = auditOf(uids);
  audit.entries = audit.entries.filter((e) => e.owner.kind === 'ClusterRoleBinding');
  t.same(counts(await writer.sync(reportsOf(audit, LATER_RUN))), { applied: 0, unchanged: 1, deleted: 0, failed: 0 }, 'nothing left for the writer to clean up');
});
