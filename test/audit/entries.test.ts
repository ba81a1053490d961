/**
 * Grouping into AuditEntries: objects under the top of their owner chain, findings decided with
 * the chain (exceptions by owner, name, kind, container; namespace modes) and de-duplicated by
 * rule code and message, the owner's own finding kept and the one that counts most winning.
 */
import t from 'tap';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { buildEntries, type AuditedObject } from '../../src/audit/entries.js';
import { OwnerResolver } from '../../src/audit/owners.js';
import type { AuditEntry } from '../../src/audit/types.js';
import type { Finding } from '../../src/engine/types.js';
import { defaultPolicyConfig } from '../../src/policy/defaults.js';
import { parseExceptions } from '../../src/policy/exception-file.js';
import { FIXTURES } from './fake-cluster.js';

interface FixtureFinding {
  rule: string;
  message: string;
  paths: string[];
  containers: string[];
}
type FixtureObject = Omit<AuditedObject, 'findings'> & { findings: FixtureFinding[] };

const RULE_MODES: Record<string, 'enforce' | 'audit'> = { 'disallow-privileged': 'enforce' };

function finding(f: FixtureFinding): Finding {
  return {
    ruleId: f.rule,
    code: f.rule,
    title: f.rule,
    severity: 'high',
    category: 'test',
    message: f.message,
    remediation: 'fix it',
    reason: 'Forbidden',
    paths: f.paths,
    containers: f.containers,
    images: [],
    standards: {},
    ruleClass: 'object',
    ruleMode: RULE_MODES[f.rule] ?? 'audit',
    result: 'fail',
    docs: '',
  };
}

const objects: AuditedObject[] = (parse(readFileSync(`${FIXTURES}entries.yaml`, 'utf8')) as FixtureObject[]).map((o) => ({ ...o, findings: o.findings.map(finding) }));
const parsed = parseExceptions(readFileSync(`${FIXTURES}entries-exceptions.yaml`, 'utf8'), 'entries-exceptions.yaml');
if (parsed.problems.length > 0) throw new Error(JSON.stringify(parsed.problems));
const policy = defaultPolicyConfig({ exceptions: parsed.exceptions });
const now = new Date('2026-11-22T12:00:00Z');

const resolver = new OwnerResolver();
for (const object of objects) resolver.remember(object);
await resolver.resolve(objects);
const entries = buildEntries(objects, (n) => resolver.chainOf(n), policy, now);
const entry = (kind: string, name: string): AuditEntry | undefined => entries.find((e) => e.owner.kind === kind && e.owner.name === name);

t.test('one entry per owner at the top of the chain, counting every object it stands for', async (t) => {
  t.same(entries.map((e) => `${e.owner.namespace ?? ''}/${e.owner.kind}/${e.owner.name}:${e.objects}`), [
    '/ClusterRoleBinding/ci-admin:1',
    'fenced/Pod/debug:1',
    'shop/CronJob/nightly:3',
    'shop/Deployment/api:2',
    'shop/Deployment/web:5',
  ], 'cluster-scoped first, then by namespace, kind and name');
  const web = entry('Deployment', 'web');
  t.same(web?.owner, { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'shop', name: 'web', uid: 'd-web' });
  t.same(web?.labels, { app: 'web', team: 'shop' });
  t.same(web?.evaluated, ['disallow-privileged', 'no-secrets-in-annotations', 'require-run-as-non-root'], 'every rule run on any of its objects');
});

t.test('the same code and message is one finding, with the owner\'s own field paths', async (t) => {
  const web = entry('Deployment', 'web');
  const app = web?.findings.find((f) => f.message.includes('"app" must not'));
  t.match(app, { ruleId: 'disallow-privileged', mode: 'enforce', denies: true, occurrences: 5, paths: ['spec.template.spec.containers[0].securityContext.privileged'] });
  t.equal(web?.findings.filter((f) => f.ruleId === 'disallow-privileged').length, 2, 'a different message is a different finding');
});

t.test('exceptions are decided per object with its owner chain; excepted findings stay visible', async (t) => {
  const web = entry('Deployment', 'web');
  const sidecar = web?.findings.find((f) => f.message.includes('istio-proxy'));
  t.match(sidecar, { exceptedBy: { name: 'mesh-sidecar', owner: 'mesh-team@example.com' }, denies: false, occurrences: 1 });
  const root = web?.findings.find((f) => f.ruleId === 'require-run-as-non-root');
  t.notOk(root?.exceptedBy, 'excepted on the Pods only: the Deployment and ReplicaSet still fail, and that counts');
  t.equal(root?.occurrences, 5);
  const nightly = entry('CronJob', 'nightly')?.findings ?? [];
  t.equal(nightly.length, 1);
  t.match(nightly[0], { exceptedBy: { name: 'nightly', expiresAt: '2099-01-01T00:00:00.000Z' }, occurrences: 3 });
});

t.test('an owner inferred from a name joins the entry of the owner that was listed', async (t) => {
  const api = entry('Deployment', 'api');
  t.equal(api?.owner.uid, 'd-api');
  t.same(api?.labels, { app: 'api' });
  t.match(api?.findings, [{ ruleId: 'disallow-privileged', paths: ['spec.containers[0].securityContext.privileged'], occurrences: 1 }], "only the Pod has the finding: its paths");
});

t.test('namespace labels set the mode, as at admission', async (t) => {
  t.match(entry('Pod', 'debug')?.findings, [{ mode: 'dry-run', modeSource: 'namespace', denies: false }]);
  t.match(entry('ClusterRoleBinding', 'ci-admin')?.findings, [{ mode: 'audit', denies: false, occurrences: 1 }]);
});

t.test('without an owner reader an unlisted owner still names the entry', async (t) => {
  const lone = objects.filter((o) => o.ref.name === 'api-7c9d8-zzzzz');
  const only = new OwnerResolver();
  await only.resolve(lone);
  const [e] = buildEntries(lone, (n) => only.chainOf(n), policy, now);
  t.same(e?.owner, { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'shop', name: 'api' });
  t.same(e?.labels, {});
});
