/**
 * The chart's copied and generated files match their sources (see chart-files.ts), and the chart's
 * version is the package's. Needs no helm, so it runs with `npm test`: changing a CRD or a rule's
 * mode without regenerating the chart fails here, where the change is made.
 */
import t, { type Test } from 'tap';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { builtinRules, builtinRulesFile, CHART, crdCopies, REGENERATE, ROOT, webhookRulesFile } from './chart-files.js';
import { valuesSchemaFile } from './values-schema.js';

const update = process.env['UPDATE_FIXTURES'] === '1';
const rules = await builtinRules();

function check(t: Test, path: string, expected: string): void {
  const file = join(CHART, path);
  if (update) writeFileSync(file, expected);
  let actual: string | undefined;
  try {
    actual = readFileSync(file, 'utf8');
  } catch {
    t.fail(`charts/palisade/${path} is missing; write it with ${REGENERATE}`);
    return;
  }
  t.equal(actual, expected, `charts/palisade/${path} is up to date (after an intended change: ${REGENERATE}, then review git diff)`);
}

t.test('the chart ships exactly the CRDs in crds/, byte for byte', async (t) => {
  const copies = crdCopies();
  t.same([...copies.keys()].sort(), ['crds/clusterreports.openreports.io.yaml', 'crds/exceptions.palisade.dev.yaml', 'crds/reports.openreports.io.yaml', 'crds/rules.palisade.dev.yaml']);
  for (const [path, source] of copies) check(t, path, readFileSync(source, 'utf8'));
  const shipped = readdirSync(join(CHART, 'crds')).map((name) => `crds/${name}`).sort();
  t.same(shipped, [...copies.keys()].sort(), 'no CRD in the chart that crds/ does not have');
});

t.test("files/builtin-rules.yaml lists every built-in rule with the mode it ships in", async (t) => {
  const expected = builtinRulesFile(rules);
  check(t, 'files/builtin-rules.yaml', expected);
  const listed = (parse(expected) as { rules: Record<string, { mode: string; since: string; everyKind?: boolean }> }).rules;
  t.equal(Object.keys(listed).length, 51);
  t.equal(listed['disallow-privileged']?.mode, 'enforce');
  t.equal(listed['require-signed-images']?.mode, 'dry-run');
  t.same(Object.keys(listed).filter((id) => listed[id]?.everyKind), ['no-secrets-in-annotations'], 'the rules over every kind are marked');
});

t.test('files/webhook-rules.yaml is what palisade webhook-config renders in each mode', async (t) => {
  const expected = await webhookRulesFile(rules);
  check(t, 'files/webhook-rules.yaml', expected);
  const data = parse(expected) as { modes: Record<string, { enforce: { resources: string[] }[]; audit: { resources: string[] }[] }> };
  const resources = (list: { resources: string[] }[]) => list.flatMap((r) => r.resources);
  t.ok(resources(data.modes['shipped']!.enforce).includes('pods'), 'shipped: the baseline rules enforce Pods');
  t.same(resources(data.modes['dry-run']!.enforce), ['namespaces'], 'dry-run: only the namespace-label guard fails closed');
  t.same(resources(data.modes['audit']!.enforce), ['namespaces'], 'audit: only the namespace-label guard fails closed');
  const enforced = resources(data.modes['enforce']!.enforce);
  t.ok(enforced.includes('clusterroles') && enforced.includes('services'), 'enforce: RBAC kinds and Services fail closed too');
  t.notOk(enforced.includes('*') || enforced.includes('nodes') || enforced.includes('endpoints'), 'enforce: not every kind (EndpointSlices, Nodes, CRDs stay out of the Fail registration)');
});

t.test("values.schema.json is the generated one, with Palisade's own configuration schema for `config`", async (t) => {
  check(t, 'values.schema.json', valuesSchemaFile());
});

t.test('the chart version and appVersion are the package version', async (t) => {
  const chart = parse(readFileSync(join(CHART, 'Chart.yaml'), 'utf8')) as { version: string; appVersion: string };
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
  t.equal(chart.version, pkg.version);
  t.equal(chart.appVersion, pkg.version);
});
