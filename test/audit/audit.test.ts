/**
 * runAudit over a fake cluster made of data files (fake-cluster.ts): the whole pipeline —
 * discovery, paged lists, context, evaluate, owners, decide, entries — and what it reads and how.
 * The same scenario against a real control plane is test/e2e/audit.e2e.ts.
 */
import t from 'tap';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AuditError, runAudit, type AuditOptions, type AuditProgress } from '../../src/audit/audit.js';
import { METADATA_ACCEPT, KubeApiError } from '../../src/audit/kube-api.js';
import { renderAuditSummary } from '../../src/audit/summary.js';
import type { AuditEntry, AuditResult } from '../../src/audit/types.js';
import { RegistryClient } from '../../src/images/registry-client.js';
import { ImageVerifier } from '../../src/images/verifier.js';
import { BUILTIN_RULES_DIR } from '../../src/paths.js';
import { loadPolicy } from '../../src/server/load-policy.js';
import { FakeCluster, FIXTURES } from './fake-cluster.js';

const policy = await loadPolicy({ ruleDirs: [BUILTIN_RULES_DIR, join(FIXTURES, 'rules')], configFile: join(FIXTURES, 'palisade.yaml') });
if (!('ruleSet' in policy)) throw new Error(JSON.stringify(policy.problems));
const { ruleSet, config } = policy;

/** A clock that moves 1.5 s between the start and the end of an audit. */
function clock(): () => Date {
  let calls = 0;
  return () => new Date(Date.parse('2026-11-22T12:00:00Z') + 1500 * calls++);
}

async function audit(api: FakeCluster, options: Partial<AuditOptions> = {}): Promise<AuditResult> {
  return runAudit({ api, ruleSet, config, now: clock(), ...options });
}

const entryOf = (result: AuditResult, kind: string, name: string): AuditEntry | undefined => result.entries.find((e) => e.owner.kind === kind && e.owner.name === name);
const rulesOf = (entry: AuditEntry | undefined): string[] => (entry?.findings ?? []).map((f) => f.ruleId);

const api = new FakeCluster();
const progress: AuditProgress[] = [];
const result = await audit(api, { onProgress: (p) => progress.push(p) });

t.test('owners: a Deployment stands for its ReplicaSet and Pods, a CronJob for its Job and Pod', async (t) => {
  const web = entryOf(result, 'Deployment', 'web');
  t.equal(web?.objects, 5);
  t.match(web?.findings.filter((f) => f.ruleId === 'disallow-privileged'), [{ mode: 'enforce', denies: true, occurrences: 5, paths: ['spec.template.spec.containers[0].securityContext.privileged'] }]);
  t.equal(entryOf(result, 'CronJob', 'nightly')?.objects, 3);
  const api = entryOf(result, 'Deployment', 'api');
  t.same(api?.owner, { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'shop', name: 'api' }, 'inferred from the Pod whose ReplicaSet is gone');
  t.ok(rulesOf(api).includes('disallow-privileged'));
  t.notOk(result.entries.some((e) => e.owner.kind === 'Pod' || e.owner.kind === 'ReplicaSet' || e.owner.kind === 'Job'));
});

t.test('context rules see the NetworkPolicies; namespace labels set modes', async (t) => {
  t.ok(rulesOf(entryOf(result, 'Namespace', 'shop')).includes('require-network-policy'));
  const fenced = entryOf(result, 'Namespace', 'fenced');
  t.ok(fenced?.evaluated.includes('require-network-policy'));
  t.notOk(rulesOf(fenced).includes('require-network-policy'));
  t.ok(fenced?.findings.every((f) => f.mode === 'dry-run'), 'palisade.dev/mode: dry-run on the namespace');
});

t.test('with image verification configured, the image rules judge what runs as admission would', async (t) => {
  // No key is trusted and one repository is denied: verdicts the verifier gives without a registry.
  const verifier = new ImageVerifier({ client: new RegistryClient(), policies: [], deny: [{ repository: 'registry.example.com/api', reason: 'withdrawn: CVE-2026-0002' }] });
  const verified = await audit(new FakeCluster(), { images: { verifier, timeoutMs: 1_000 } });
  const message = (entry: AuditEntry | undefined, rule: string): string => entry?.findings.find((f) => f.ruleId === rule)?.message ?? '';
  t.match(message(entryOf(verified, 'Deployment', 'api'), 'deny-known-bad-images'), 'withdrawn: CVE-2026-0002');
  t.match(message(entryOf(verified, 'Deployment', 'web'), 'require-signed-images'), '"registry.example.com/web:1.0" (no trusted key is configured for registry.example.com/web)');
  t.match(message(entryOf(result, 'Deployment', 'web'), 'require-signed-images'), '(signature verification is not configured)', 'without it, what admission says without it');
  t.notOk(rulesOf(entryOf(result, 'Deployment', 'api')).includes('deny-known-bad-images'));
});

t.test('what is not evaluated: excluded namespaces, objects being deleted', async (t) => {
  t.notOk(entryOf(result, 'Pod', 'kube-proxy-x1'));
  t.notOk(entryOf(result, 'Namespace', 'kube-system'));
  t.notOk(entryOf(result, 'ConfigMap', 'going'));
  t.same(result.notEvaluated, { excludedNamespaces: 2, deleting: 1 });
  t.ok(rulesOf(entryOf(result, 'ConfigMap', 'app-config')).includes('no-secrets-in-configmaps'));
  t.notMatch(JSON.stringify(result), /AKIAZ7QPLM3XVT2KWB4R/, 'no credential in the result');
  const all = await audit(new FakeCluster(), { includeExcludedNamespaces: true });
  t.ok(rulesOf(entryOf(all, 'Pod', 'kube-proxy-x1')).includes('disallow-privileged'), 'unless asked');
});

t.test('what was read, and how', async (t) => {
  t.match(result.objectsByKind, { Namespace: 3, Pod: 6, 'apps/ReplicaSet': 1, 'example.com/Widget': 1, 'networking.k8s.io/NetworkPolicy': 1 });
  t.notOk('coordination.k8s.io/Lease' in result.objectsByKind, 'leases are never read for a * rule');
  t.notOk('Event' in result.objectsByKind);
  const lists = api.requests.filter((r) => 'limit' in r.query);
  t.ok(lists.length > 10 && lists.every((r) => r.query['limit'] === '500'), 'every list is paged');
  const gets = api.requests.filter((r) => !('limit' in r.query) && /\/namespaces\/[^/]+\/[^/]+\/[^/]+$/.test(r.path));
  t.same(gets.map((r) => [r.path, r.accept]), [['/apis/apps/v1/namespaces/shop/replicasets/api-7c9d8', METADATA_ACCEPT]], 'the one owner not listed is read metadata-only');
  t.equal(api.requests.filter((r) => r.path === '/apis/networking.k8s.io/v1/networkpolicies').length, 1, 'a kind both read for context and audited is listed once');
  const skipped = (kind: string): string | undefined => result.skippedKinds.find((s) => s.kind === kind)?.reason;
  t.match(skipped('metrics.k8s.io/*'), /503/, 'an API group that is down');
  t.match(skipped('gateway.networking.k8s.io/Gateway'), /not served by the cluster/);
  t.match(skipped('projectcalico.org/NetworkPolicy'), /read by require-network-policy/);
  t.same(result.startedAt, new Date('2026-11-22T12:00:00Z'));
  t.same(result.finishedAt, new Date('2026-11-22T12:00:01.500Z'));
  t.ok(progress.some((p) => p.kind === 'Pod' && p.listed === 6 && p.total === 6));
});

t.test('small pages and an expired continue token give the same result', async (t) => {
  const paged = new FakeCluster();
  paged.expireOnce.add('/api/v1/pods');
  const again = await audit(paged, { pageSize: 2 });
  t.same(again.entries, result.entries);
  t.same(again.objectsByKind, result.objectsByKind);
  t.ok(paged.requests.filter((r) => r.path === '/api/v1/pods').length >= 5);
});

t.test('a context kind that cannot be read: its rules are not run rather than wrong', async (t) => {
  const denied = new FakeCluster();
  denied.failing.set('/apis/networking.k8s.io/v1/networkpolicies', new KubeApiError(403, 'Forbidden', 'networkpolicies.networking.k8s.io is forbidden'));
  const partial = await audit(denied);
  t.notOk(partial.entries.some((e) => e.evaluated.includes('require-network-policy') || rulesOf(e).includes('require-network-policy')), 'no "has no NetworkPolicy" that may be false');
  t.match(partial.skippedKinds.filter((s) => s.kind === 'networking.k8s.io/NetworkPolicy'), [{ reason: /cannot be listed: .*forbidden/ }], 'reported once, though tried for context and for its own rules');
  t.ok(rulesOf(entryOf(partial, 'Deployment', 'web')).includes('disallow-privileged'), 'the rest is audited');
});

t.test('one namespace', async (t) => {
  const scoped = await audit(new FakeCluster(), { namespace: 'fenced' });
  t.same(scoped.entries.map((e) => `${e.owner.kind}/${e.owner.name}`), ['Namespace/fenced', 'NetworkPolicy/default-deny']);
  t.equal(scoped.objectsByKind['Namespace'], 1);
  t.equal(scoped.namespace, 'fenced');
});

t.test('the audit cannot run without Namespaces, and stops when asked', async (t) => {
  const broken = new FakeCluster();
  broken.failing.set('/api/v1/namespaces', new KubeApiError(403, 'Forbidden', 'namespaces is forbidden'));
  await t.rejects(audit(broken), AuditError);
  await t.rejects(audit(new FakeCluster(), { namespace: 'nowhere' }), { name: 'AuditError', message: 'namespace "nowhere" not found' });
  const controller = new AbortController();
  controller.abort();
  await t.rejects(audit(new FakeCluster(), { signal: controller.signal }));
});

t.test('the summary (golden file; UPDATE_FIXTURES=1 rewrites it)', async (t) => {
  const text = renderAuditSummary(result, { color: false });
  const golden = join(FIXTURES, 'summary.golden.txt');
  if (process.env['UPDATE_FIXTURES'] === '1') await writeFile(golden, text);
  t.equal(text, await readFile(golden, 'utf8'), 'test/fixtures/audit/summary.golden.txt (if intended: UPDATE_FIXTURES=1 npx tap test/audit/audit.test.ts, then review the diff)');
  t.match(renderAuditSummary(result, { color: true }), /\u001b\[1m\u001b\[31m/, 'denials in bold red on a terminal');
});
