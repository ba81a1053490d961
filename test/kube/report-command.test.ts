/**
 * `palisade report` without a cluster: `convert --to policyreport` on files and stdin, and the
 * usage errors every subcommand reports before it reads anything (exit 2). Reading stored reports
 * from a cluster is covered end to end in test/e2e/reports.e2e.ts.
 */
import t from 'tap';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { CliError, type CliIO } from '../../src/cli/cli-error.js';
import { reportCommand, REPORT_USAGE } from '../../src/cli/report-command.js';

const REPORTS = fileURLToPath(new URL('../fixtures/report-writer/reports.yaml', import.meta.url));
const FOREIGN = fileURLToPath(new URL('../fixtures/report-writer/foreign-report.yaml', import.meta.url));
const AUDIT = fileURLToPath(new URL('../fixtures/report-writer/audit-result.json', import.meta.url));

function fakeIO(stdin = ''): CliIO & { out: string; err: string } {
  const io = {
    out: '',
    err: '',
    stdout: (text: string) => void (io.out += text),
    stderr: (text: string) => void (io.err += text),
    readStdin: async () => stdin,
    isTTY: false,
    env: {},
    now: () => new Date('2026-03-02T00:00:00Z'),
  };
  return io;
}

t.test('convert: Reports and ClusterReports become PolicyReports, as YAML documents', async (t) => {
  const io = fakeIO();
  t.equal(await reportCommand(['convert', '--to', 'policyreport', REPORTS], io), 0);
  const docs = parseAllDocuments(io.out).map((d) => d.toJSON() as Record<string, unknown>);
  t.same(docs.map((d) => [d['apiVersion'], d['kind']]), [
    ['wgpolicyk8s.io/v1alpha2', 'PolicyReport'],
    ['wgpolicyk8s.io/v1alpha2', 'ClusterPolicyReport'],
  ]);
  const [web] = docs;
  t.match(web, {
    metadata: { name: 'palisade-deployment-web', namespace: 'shop', ownerReferences: [{ kind: 'Deployment', name: 'web' }] },
    results: [{ source: 'palisade', policy: 'require-run-as-non-root', resources: [{ kind: 'Deployment', name: 'web', namespace: 'shop' }] }],
  });
  t.notOk('uid' in ((web?.['metadata'] ?? {}) as object), 'server fields are not copied');
  t.notOk('source' in (web ?? {}), 'v1alpha2 has no report-level source');
});

t.test('convert: stdin by default; JSON prints one object for one report', async (t) => {
  const io = fakeIO(await readFile(FOREIGN, 'utf8'));
  t.equal(await reportCommand(['convert', '--to', 'policyreport', '--format', 'json'], io), 0);
  const report = JSON.parse(io.out) as Record<string, unknown>;
  t.equal(report['kind'], 'PolicyReport');
  t.match(report['results'], [{ source: 'other-engine', policy: 'other-policy' }]);
  const many = fakeIO();
  await reportCommand(['convert', '--to', 'policyreport', '--format', 'json', REPORTS], many);
  t.match(JSON.parse(many.out), { apiVersion: 'v1', kind: 'List', items: [{ kind: 'PolicyReport' }, { kind: 'ClusterPolicyReport' }] });
});

t.test('convert: what is not a Report is refused with its file and line', async (t) => {
  await t.rejects(reportCommand(['convert', '--to', 'policyreport', AUDIT], fakeIO()), CliError);
  const notReport = fakeIO('apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n');
  await t.rejects(reportCommand(['convert', '--to', 'policyreport', '-'], notReport), /-:1: not an openreports.io\/v1alpha1 Report or ClusterReport \(ConfigMap\)/);
  await t.rejects(reportCommand(['convert', '--to', 'policyreport', '-'], fakeIO('')), /no reports in the input/);
  await t.rejects(reportCommand(['convert', '--to', 'policyreport', '/no/such/file.yaml'], fakeIO()), /no\/such\/file.yaml: cannot read/);
});

t.test('usage errors are reported before anything is read', async (t) => {
  const cases: [string[], RegExp][] = [
    [[], /missing subcommand/],
    [['render'], /unknown subcommand "render"/],
    [['convert', REPORTS], /--to policyreport is required/],
    [['convert', '--to', 'sarif', REPORTS], /"sarif" is not a known target/],
    [['convert', '--to', 'policyreport', '--kubeconfig', 'k', REPORTS], /--kubeconfig does not apply/],
    [['convert', '--to', 'policyreport', '--format', 'html', REPORTS], /unknown --format "html"; use one of: yaml, json/],
    [['rollout', '--format', 'sarif'], /unknown --format "sarif"; use one of: markdown, html, json/],
    [['compliance', '--format', 'html'], /use one of: markdown, json/],
    [['compliance', '--team-label', 'team'], /--team-label applies to report rollout only/],
    [['rollout', '--team-label', 'not a label'], /not a label key/],
    [['rollout', '--namespace', 'Not_A_Namespace'], /not a namespace name/],
    [['rollout', 'extra'], /unexpected argument "extra"/],
    [['rollout', '--to', 'policyreport'], /--to applies to convert only/],
    [['rollout', '--no-builtin'], /--no-builtin needs at least one --rules DIR/],
    [['rollout', '--kubeconfig', '/no/such/kubeconfig'], /cannot load the kubeconfig/],
  ];
  for (const [args, message] of cases) {
    await t.rejects(reportCommand(args, fakeIO()), message, args.join(' ') || '(none)');
  }
  t.match(REPORT_USAGE, /palisade report <rollout\|compliance\|convert>/);
});
