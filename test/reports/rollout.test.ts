import t from 'tap';
import type { PolicyConfig } from '../../src/policy/types.js';
import { buildReports } from '../../src/reports/openreports.js';
import { readReport } from '../../src/reports/read-report.js';
import { buildRolloutReport, renderRolloutJson, type RolloutOptions, type RolloutReport } from '../../src/reports/rollout.js';
import { renderRolloutHtml } from '../../src/reports/rollout-html.js';
import { renderRolloutMarkdown } from '../../src/reports/rollout-markdown.js';
import type { Report } from '../../src/reports/types.js';
import { loadAuditResult, loadPolicyConfig, loadRules, matchGolden, roundTrip } from './helpers.js';

const now = new Date('2026-03-01T12:05:00.000Z');
const NAMESPACES = ['default', 'dev', 'kube-system', 'monitoring', 'payments', 'sandbox', 'shop', 'tools'];

/** The stored reports, as the rollout report reads them: written, then read back from "the cluster". */
async function storedReports(): Promise<Report[]> {
  const written = buildReports(await loadAuditResult(), { now: new Date('2026-03-01T12:00:42.000Z'), ownerLabels: ['team'] });
  return written.map((r) => {
    const read = readReport(roundTrip(r));
    if (!read) throw new Error(`${r.metadata.name} not read back`);
    return read;
  });
}

async function options(overrides: Partial<RolloutOptions> = {}): Promise<RolloutOptions> {
  return {
    reports: await storedReports(),
    rules: await loadRules(),
    config: await loadPolicyConfig(),
    now,
    teamLabel: 'team',
    namespaces: NAMESPACES,
    ...overrides,
  };
}

function owners(report: RolloutReport, ruleId: string): string[] {
  const rule = report.rules.find((r) => r.id === ruleId);
  return (rule?.namespaces ?? []).flatMap((n) => n.owners.map((o) => `${n.namespace ?? '(cluster)'}/${o.kind}/${o.name}`));
}

t.test('lists the workloads enforce would block, by rule, namespace and owner', async (t) => {
  const report = buildRolloutReport(await options());
  t.same(
    report.rules.map((r) => `${r.id} (${r.severity}, ${r.configuredMode})`),
    [
      'disallow-host-namespaces (high, enforce)',
      'require-run-as-non-root (high, audit)',
      'restrict-cluster-admin-binding (high, audit)',
      'require-pinned-images (medium, audit)',
      'require-resource-requests-limits (medium, dry-run)',
    ],
    'most severe first; disallow-privileged is enforced everywhere and not listed',
  );
  t.same(owners(report, 'require-run-as-non-root'), ['shop/CronJob/report-gen', 'shop/Deployment/web'], 'payments already enforces');
  t.same(owners(report, 'require-resource-requests-limits'), ['dev/Pod/debug', 'shop/Deployment/web']);
  t.same(owners(report, 'restrict-cluster-admin-binding'), ['(cluster)/ClusterRoleBinding/ci-admin']);
  t.same(owners(report, 'disallow-host-namespaces'), ['sandbox/Deployment/toy'], 'relaxed by the sandbox namespace label');
  t.same(owners(report, 'require-pinned-images'), ['shop/Deployment/web'], 'a rule error denies in enforce (onError: deny)');

  const nonRoot = report.rules.find((r) => r.id === 'require-run-as-non-root');
  t.equal(nonRoot?.alreadyEnforced, 1);
  t.equal(nonRoot?.remediation, 'Set securityContext.runAsNonRoot to true.');
  t.match(nonRoot?.namespaces[0]?.owners[1], {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    name: 'web',
    team: 'storefront',
    objects: 3,
    mode: 'audit',
    modeSource: 'config',
    findings: [{ code: 'require-run-as-non-root', result: 'fail', message: 'containers web, nginx-exporter may run as root', containers: 'web, nginx-exporter' }],
  });
  t.same(report.summary, { rules: 5, workloads: 5, safeRules: 2, cleanNamespaces: 3, pendingNamespaces: 3 });
});

t.test('rules safe to enforce now, with the exact configuration change', async (t) => {
  const report = buildRolloutReport(await options());
  t.same(
    report.safeRules.map((r) => [r.id, r.configuredMode, r.excepted]),
    [
      ['disallow-capabilities', 'audit', 0],
      ['restrict-seccomp', 'audit', 1],
    ],
    'an excepted finding does not block; a disabled rule (disallow-host-path) is not offered',
  );
  t.equal(report.configSnippet, 'rules:\n  disallow-capabilities:\n    mode: enforce\n  restrict-seccomp:\n    mode: enforce\n');
  t.same(
    report.notJudged.map((r) => r.id),
    ['restrict-service-account-token-creation', 'require-network-policy'],
    'admission-only rules cannot be judged by the audit; context rules are never enforced',
  );
});

t.test('namespaces clean for every rule, with the exact kubectl command', async (t) => {
  const report = buildRolloutReport(await options());
  t.same(report.namespaces.clean, [
    { namespace: 'default', command: 'kubectl label namespace default palisade.dev/mode=enforce --overwrite' },
    { namespace: 'monitoring', command: 'kubectl label namespace monitoring palisade.dev/mode=enforce --overwrite' },
    { namespace: 'tools', command: 'kubectl label namespace tools palisade.dev/mode=enforce --overwrite' },
  ]);
  t.same(report.namespaces.enforcing, ['payments']);
  t.same(report.namespaces.pending, [
    { namespace: 'dev', workloads: 1, rules: ['require-resource-requests-limits'] },
    { namespace: 'sandbox', workloads: 1, rules: ['disallow-host-namespaces'] },
    { namespace: 'shop', workloads: 2, rules: ['require-pinned-images', 'require-resource-requests-limits', 'require-run-as-non-root'] },
  ]);

  const withoutList = buildRolloutReport(await options({ namespaces: undefined }));
  t.same(withoutList.namespaces.clean.map((n) => n.namespace), ['monitoring'], 'only namespaces with reports are known without the list');
});

t.test('configuration changes what would block', async (t) => {
  const base = await loadPolicyConfig();
  const config: PolicyConfig = { ...base, rules: { ...base.rules, 'require-pinned-images': { onError: 'allow' } } };
  const report = buildRolloutReport(await options({ config }));
  t.notOk(report.rules.some((r) => r.id === 'require-pinned-images'), 'an error with onError allow never blocks');
  t.ok(report.safeRules.some((r) => r.id === 'require-pinned-images'));

  const disabled = buildRolloutReport(await options({ config: { ...base, disabledCategories: ['workloads'] } }));
  t.notOk(disabled.rules.some((r) => r.id === 'require-resource-requests-limits'), 'disabled categories are left out');
});

t.test('reports of other tools and of unknown rules', async (t) => {
  const reports = await storedReports();
  const foreign: Report = {
    apiVersion: 'openreports.io/v1alpha1',
    kind: 'Report',
    metadata: { name: 'kyverno-web', namespace: 'tools' },
    source: 'kyverno',
    scope: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'tools', name: 'cli' },
    summary: { pass: 0, fail: 1, warn: 0, error: 0, skip: 0 },
    results: [{ policy: 'require-run-as-non-root', result: 'fail', message: 'from another engine' }],
  };
  const stale: Report = {
    ...foreign,
    metadata: { name: 'palisade-deployment-old', namespace: 'default', labels: { 'app.kubernetes.io/managed-by': 'palisade' } },
    source: 'palisade',
    results: [{ policy: 'retired-rule', result: 'fail' }],
  };
  const report = buildRolloutReport(await options({ reports: [...reports, foreign, stale] }));
  t.notOk(owners(report, 'require-run-as-non-root').includes('tools/Deployment/cli'), 'other sources are ignored');
  t.same(report.unknownRules, ['retired-rule']);
});

t.test('untrusted text is escaped in every rendering', async (t) => {
  const report = buildRolloutReport(await options());
  const html = renderRolloutHtml(report);
  t.notMatch(html, /<script>/, 'a message cannot inject markup');
  t.match(html, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
  t.match(html, /Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'"/);
  t.notMatch(html, /<link|<img|src=/, 'self-contained');
  const markdown = renderRolloutMarkdown(report);
  t.notMatch(markdown, /<script>/);
  t.match(markdown, /report \\\| gen/, 'a pipe in a message stays in its table cell');
});

t.test('renderings (golden)', async (t) => {
  const report = buildRolloutReport(await options());
  await matchGolden(t, 'rollout.md', renderRolloutMarkdown(report));
  await matchGolden(t, 'rollout.html', renderRolloutHtml(report));
  await matchGolden(t, 'rollout.json', renderRolloutJson(report));
  t.same(JSON.parse(renderRolloutJson(report)), report, 'the JSON is the model');
});
