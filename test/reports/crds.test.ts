/**
 * The OpenReports CRDs Palisade ships (crds/openreports/) accept every report Palisade builds, and
 * say what the upstream CRDs say about names and scope (the API server would refuse to replace
 * one with a different group, kind or scope, and other tools install the same CRDs).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import t from 'tap';
import { parse } from 'yaml';
import { buildReports } from '../../src/reports/openreports.js';
import { loadAuditResult, loadRules, ROOT } from './helpers.js';

interface Crd {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
  spec: {
    group: string;
    scope: string;
    names: { kind: string; listKind: string; plural: string; singular: string; shortNames: string[] };
    versions: { name: string; served: boolean; storage: boolean; schema: { openAPIV3Schema: object } }[];
  };
}

async function loadCrd(file: string): Promise<Crd> {
  return parse(await readFile(join(ROOT, 'crds', 'openreports', file), 'utf8')) as Crd;
}

/** Kubernetes' structural-schema extensions are not JSON Schema keywords; ajv only has to know them. */
function validatorFor(crd: Crd): (value: unknown) => string[] {
  const ajv = new Ajv({ allErrors: true, strict: false });
  ajv.addKeyword('x-kubernetes-map-type');
  ajv.addKeyword('x-kubernetes-list-type');
  ajv.addFormat('int32', { type: 'number', validate: (n: number) => Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31 });
  ajv.addFormat('int64', { type: 'number', validate: (n: number) => Number.isSafeInteger(n) });
  const [version] = crd.spec.versions;
  if (!version) throw new Error('no version');
  const validate = ajv.compile(version.schema.openAPIV3Schema);
  return (value) => (validate(value) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ''}`));
}

t.test('the CRDs are the upstream ones by name, group, version and scope', async (t) => {
  const report = await loadCrd('reports.openreports.io.yaml');
  const cluster = await loadCrd('clusterreports.openreports.io.yaml');
  t.match(report, {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'reports.openreports.io' },
    spec: { group: 'openreports.io', scope: 'Namespaced', names: { kind: 'Report', listKind: 'ReportList', plural: 'reports', singular: 'report', shortNames: ['reps'] } },
  });
  t.match(cluster, {
    metadata: { name: 'clusterreports.openreports.io' },
    spec: { group: 'openreports.io', scope: 'Cluster', names: { kind: 'ClusterReport', plural: 'clusterreports', shortNames: ['creps'] } },
  });
  for (const crd of [report, cluster]) {
    t.same(crd.spec.versions.map((v) => [v.name, v.served, v.storage]), [['v1alpha1', true, true]]);
  }
});

t.test('every report Palisade builds validates against its CRD', async (t) => {
  const validators = {
    Report: validatorFor(await loadCrd('reports.openreports.io.yaml')),
    ClusterReport: validatorFor(await loadCrd('clusterreports.openreports.io.yaml')),
  };
  const audit = await loadAuditResult();
  const reports = [
    ...buildReports(audit, { now: new Date(0), ownerLabels: ['team'] }),
    ...buildReports(audit, { now: new Date(0), includePasses: true, rules: await loadRules(), maxResultsPerReport: 2 }),
  ];
  for (const report of reports) t.same(validators[report.kind](report), [], `${report.kind} ${report.metadata.name}`);
  t.notSame(validators.Report({ ...reports[0], results: [{ policy: 'p', result: 'maybe' }] }), [], 'and the schema does check');
});
