/**
 * Which kinds the audit reads: from the rules (workloads, `*`, one group's `*`, a kind in every
 * group, context kinds) through discovery data to listable resources, and what is skipped and why.
 */
import t from 'tap';
import { join } from 'node:path';
import { Discovery, type GroupResources } from '../../src/audit/discovery.js';
import { planKinds, resolveKinds, wantedKinds, type KindPlan } from '../../src/audit/kinds.js';
import { loadRuleSet } from '../../src/engine/rule-set.js';
import { BUILTIN_RULES_DIR } from '../../src/paths.js';
import { FakeCluster, FIXTURES } from './fake-cluster.js';

const load = await loadRuleSet([BUILTIN_RULES_DIR, join(FIXTURES, 'rules'), join(FIXTURES, 'kinds-rules')]);
if (!load.ruleSet) throw new Error(JSON.stringify(load.problems));
const ruleSet = load.ruleSet;
const userOnly = await loadRuleSet([join(FIXTURES, 'rules'), join(FIXTURES, 'kinds-rules')]);
if (!userOnly.ruleSet) throw new Error(JSON.stringify(userOnly.problems));

const labels = (plan: KindPlan, role?: 'audited' | 'context'): string[] => plan.kinds.filter((k) => !role || k[role]).map((k) => k.label);
const skippedKind = (plan: KindPlan, kind: string): string | undefined => plan.skipped.find((s) => s.kind === kind)?.reason;

t.test('wantedKinds: what the rules that run in the audit match', async (t) => {
  const wanted = wantedKinds(ruleSet);
  t.ok(wanted.exact.get('apps/Deployment')?.includes('disallow-privileged'), 'workloads expands to the pod-template kinds');
  t.ok(wanted.exact.get('batch/CronJob')?.includes('disallow-privileged'));
  t.ok(wanted.exact.get('/Pod')?.includes('require-pod-team-label'));
  t.same(wanted.exact.get('example.com/Widget'), ['require-private-widgets'], 'a user rule over a custom kind');
  t.same(wanted.everything, ['no-secrets-in-annotations'], "kinds: ['*'] in every group");
  t.same(wanted.anyKindOf.get('rbac.authorization.k8s.io'), ['rbac-everything']);
  t.same(wanted.anyGroupOf.get('Ingress'), ['any-ingress']);
  t.same(wanted.context.get('networking.k8s.io/NetworkPolicy'), ['require-default-deny-network-policy', 'require-network-policy']);
  t.ok(wanted.context.has('/ResourceQuota'), 'contextKinds in the core group');
  t.notOk(wanted.exact.get('/Secret')?.includes('who-creates-secrets'), 'an admission rule never runs in the audit');
  t.notOk([...wanted.exact.values()].flat().includes('who-deletes-configmaps'), 'a DELETE-only rule does not run on existing objects');
});

t.test('planKinds over discovery data: every listable kind for `*`, never events, leases or reports', async (t) => {
  const api = new FakeCluster();
  const plan = await planKinds(ruleSet, await Discovery.load(api));
  const audited = labels(plan, 'audited');
  for (const kind of ['Pod', 'ConfigMap', 'Namespace', 'apps/Deployment', 'apps/ReplicaSet', 'batch/Job', 'example.com/Widget', 'rbac.authorization.k8s.io/ClusterRoleBinding', 'networking.k8s.io/NetworkPolicy']) {
    t.ok(audited.includes(kind), `${kind} is audited`);
  }
  for (const kind of ['Event', 'events.k8s.io/Event', 'coordination.k8s.io/Lease', 'openreports.io/Report', 'openreports.io/ClusterReport']) {
    t.notOk(audited.includes(kind), `${kind} is never read for a * rule`);
  }
  t.notOk(audited.includes('Binding'), 'resources that cannot be listed are left out');
  t.notOk(audited.includes('authentication.k8s.io/TokenReview'));
  const widget = plan.kinds.find((k) => k.label === 'example.com/Widget');
  t.match(widget, { group: 'example.com', version: 'v1', resource: 'widgets', namespaced: true, audited: true, context: false }, 'the CRD in its preferred version');
  t.match(plan.kinds.find((k) => k.label === 'networking.k8s.io/NetworkPolicy'), { audited: true, context: true });
  t.match(skippedKind(plan, 'metrics.k8s.io/*'), /discovery of \/apis\/metrics\.k8s\.io\/v1beta1 failed: .*503/, 'an API group that is down is reported');
  t.match(skippedKind(plan, 'gateway.networking.k8s.io/Gateway'), /not served by the cluster: no API group "gateway\.networking\.k8s\.io" \(matched by require-ingress-tls\)/);
  t.match(skippedKind(plan, 'projectcalico.org/NetworkPolicy'), /read by require-network-policy/);
  t.same(plan.skipped.map((s) => s.kind), [...plan.skipped.map((s) => s.kind)].sort(), 'skipped kinds in a stable order');
});

t.test('without `*` rules only the groups the rules name are discovered', async (t) => {
  const api = new FakeCluster();
  const discovery = await Discovery.load(api);
  const plan = await planKinds(userOnly.ruleSet as NonNullable<typeof userOnly.ruleSet>, discovery);
  t.same(labels(plan), ['Pod', 'example.com/Widget', 'networking.k8s.io/Ingress', 'rbac.authorization.k8s.io/ClusterRole', 'rbac.authorization.k8s.io/ClusterRoleBinding', 'rbac.authorization.k8s.io/Role', 'rbac.authorization.k8s.io/RoleBinding']);
  // A kind in every group needs every group's resources; the rest would be wasted requests.
  t.ok(api.requests.some((r) => r.path === '/apis/batch/v1'), 'any-ingress looks in every group');
});

t.test('one namespace: cluster-scoped kinds are skipped when a rule names them, dropped from `*`', async (t) => {
  const plan = await planKinds(ruleSet, await Discovery.load(new FakeCluster()), { namespace: 'shop' });
  const audited = labels(plan, 'audited');
  t.ok(audited.includes('Namespace'), 'the namespace itself is still audited');
  t.notOk(audited.includes('Node'));
  t.notOk(audited.includes('rbac.authorization.k8s.io/ClusterRoleBinding'));
  t.ok(audited.includes('rbac.authorization.k8s.io/RoleBinding'));
  t.match(skippedKind(plan, 'rbac.authorization.k8s.io/ClusterRoleBinding'), /^cluster-scoped: the audit is limited to namespace "shop" \(matched by .*restrict-cluster-admin-binding/);
});

t.test('resolveKinds is pure: a group discovery failed for explains every kind wanted from it', async (t) => {
  const wanted = wantedKinds(userOnly.ruleSet as NonNullable<typeof userOnly.ruleSet>);
  const groups = new Map<string, GroupResources>([
    ['', { version: 'v1', resources: [{ group: '', version: 'v1', kind: 'Pod', resource: 'pods', namespaced: true, verbs: ['get'] }] }],
    ['example.com', { error: 'discovery of /apis/example.com/v1 failed: 503' }],
  ]);
  const plan = resolveKinds(wanted, groups);
  t.same(plan.kinds, []);
  t.match(skippedKind(plan, 'Pod'), /the cluster does not allow listing pods/);
  t.match(skippedKind(plan, 'example.com/Widget'), /discovery of \/apis\/example\.com\/v1 failed: 503 \(matched by require-private-widgets\)/);
  t.match(skippedKind(plan, 'rbac.authorization.k8s.io/*'), /no API group "rbac\.authorization\.k8s\.io"/);
  t.match(skippedKind(plan, '*/Ingress'), /not served by the cluster in any API group/);
});
