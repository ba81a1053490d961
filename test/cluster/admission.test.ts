import t from 'tap';
import type { AdmissionRequest } from '../../src/admission/review.js';
import { fitLines, palisadeKindOf, reviewPalisadeResource, type PalisadeResourceContext } from '../../src/cluster/admission.js';
import type { PalisadeConfig } from '../../src/config/types.js';
import { buildRuleSet } from '../../src/engine/rule-set.js';
import { builtinIds, builtinRules, config, NOW, request } from './support.js';

function review(req: AdmissionRequest | string, cfg: PalisadeConfig = config(), extra: Partial<PalisadeResourceContext> = {}) {
  const r = typeof req === 'string' ? request(req) : req;
  return reviewPalisadeResource(r, { ruleSet: builtinRules, config: cfg, now: NOW, fileRuleIds: builtinIds, ...extra });
}

t.test('a valid Rule resource is allowed', async (t) => {
  t.same(review('rule-create-good.json'), { uid: 'uid-rule-good', allowed: true });
});

t.test('a Rule whose CEL does not compile is denied with every problem, by field and line', async (t) => {
  const response = review('rule-create-cel-errors.json');
  t.equal(response?.uid, 'uid-rule-cel');
  t.equal(response?.allowed, false);
  t.same({ code: response?.status?.code, reason: response?.status?.reason }, { code: 422, reason: 'Invalid' });
  t.equal(response?.status?.message, [
    'Palisade: Rule "restrict-team-images" is invalid (2 problems):',
    'Rule/restrict-team-images:21: spec.variables[0].expression: Expected RPAREN, got EOF',
    'Rule/restrict-team-images:23: spec.variables[1].expression: "request" is not available to object rules (declare class: admission)',
  ].join('\n'));
  t.notOk(response?.warnings, 'no warnings on a denial');
});

t.test('a Rule that breaks the schema is denied the same way', async (t) => {
  const response = review('rule-create-schema-errors.json');
  t.equal(response?.allowed, false);
  t.equal(response?.status?.code, 422);
  t.equal(response?.status?.message, [
    'Palisade: Rule "disallow-latest-tag" is invalid (2 problems):',
    'Rule/disallow-latest-tag:13: spec.severity: must be one of: critical, high, medium, low, info',
    'Rule/disallow-latest-tag:17: spec.validations[0].reason: must be one of: Unauthorized, Forbidden, Invalid, RequestEntityTooLarge',
  ].join('\n'));
});

t.test('a Rule may not take the id of a loaded rule file', async (t) => {
  const response = review('rule-create-builtin-id.json');
  t.equal(response?.allowed, false);
  t.match(response?.status?.message, /\nRule\/disallow-privileged:4: metadata\.name: rule id "disallow-privileged" is already defined by a rule file .*rules\.disallow-privileged/);
  t.same(review('rule-create-builtin-id.json', config(), { fileRuleIds: new Set() }), { uid: 'uid-rule-builtin', allowed: true }, 'the ids come from the context');
});

t.test('a Rule is compiled with the served parameters for its id, as a file would be', async (t) => {
  const wrong = config((c) => { c.policy.rules['require-team-label'] = { parameters: { labels: ['team'] } }; });
  const response = review('rule-create-good.json', wrong);
  t.equal(response?.allowed, false);
  t.match(response?.status?.message, /\nRule\/require-team-label:\d+: spec\.parameters: configuration sets unknown parameter "labels"$/);
  const right = config((c) => { c.policy.rules['require-team-label'] = { parameters: { label: 'owner' } }; });
  t.equal(review('rule-create-good.json', right)?.allowed, true);
});

t.test("a Rule is compiled within the served rule set's CEL limits", async (t) => {
  const strict = buildRuleSet([], { limits: { maxExpressionLength: 40 } }).ruleSet;
  const response = review('rule-create-good.json', config(), { ruleSet: strict! });
  t.equal(response?.allowed, false);
  t.match(response?.status?.message, /spec\.validations\[0\]\.expression: expression is \d+ characters; the limit is 40/);
});

t.test('a Rule the configuration disables is still checked, and allowed with a warning', async (t) => {
  const disabled = config((c) => { c.policy.rules['require-team-label'] = { disabled: true }; });
  t.same(review('rule-create-good.json', disabled)?.warnings, ['Palisade: rule "require-team-label" is valid but disabled by the configuration (rules.require-team-label.disabled)']);
  const category = config((c) => { c.policy.disabledCategories = ['workloads']; });
  t.match(review('rule-create-good.json', category)?.warnings, [/category "workloads" is disabled/]);
  t.equal(review('rule-create-cel-errors.json', disabled)?.allowed, false);
});

t.test('the message stays within 4 KiB, and says how many problems it left out', async (t) => {
  const req = request('rule-create-good.json');
  const spec = (req.object as { spec: Record<string, unknown> }).spec;
  const broken = Array.from({ length: 80 }, (_, i) => ({ name: `v${i}`, expression: `object.metadata.name +++ 'ü${i}'` }));
  spec['variables'] = [...(spec['variables'] as unknown[]), ...broken];
  const message = review(req)?.status?.message ?? '';
  t.ok(Buffer.byteLength(message) <= 4096, `${Buffer.byteLength(message)} bytes`);
  t.match(message, /^Palisade: Rule "require-team-label" is invalid \(80 problems\):\nRule\/require-team-label:\d+: spec\.variables\[1\]\.expression: Unexpected token: PLUS\n/);
  t.match(message, /\n\+\d+ more problems$/);
  for (const line of message.split('\n')) t.ok(line.length <= 600, 'every line is short');
});

t.test('fitLines keeps every line when they fit, one per line', async (t) => {
  t.equal(fitLines('head:', ['a\nb', 'c']), 'head:\na b\nc', 'a problem never spans two lines');
  t.equal(fitLines('head:', ['x'.repeat(30), 'y'.repeat(70)], 100), `head:\n${'x'.repeat(30)}\n+1 more problem`);
});

t.test('an Exception within the policy is allowed', async (t) => {
  t.same(review('exception-create-good.json'), { uid: 'uid-exception-good', allowed: true });
});

t.test('an Exception outside the configured namespaces is forbidden', async (t) => {
  const response = review('exception-create-namespace.json');
  t.same({ allowed: response?.allowed, code: response?.status?.code, reason: response?.status?.reason }, { allowed: false, code: 403, reason: 'Forbidden' });
  t.equal(response?.status?.message, [
    'Palisade: Exception "team-a/team-a-host-pid" is refused (1 problem):',
    'Exception/team-a/team-a-host-pid: metadata.namespace: Exception resources are accepted only in "palisade-system" (cluster.exceptionNamespaces), not in "team-a"; create it there',
  ].join('\n'));
  const none = review('exception-create-good.json', config((c) => { c.cluster.exceptionNamespaces = []; }));
  t.match(none?.status?.message, /this cluster accepts no Exception resources \(cluster\.exceptionNamespaces in the Palisade configuration is empty\)/);
});

t.test('an Exception that lives longer than the configured maximum is invalid, with the latest date allowed', async (t) => {
  const response = review('exception-create-too-long.json');
  t.same({ allowed: response?.allowed, code: response?.status?.code, reason: response?.status?.reason }, { allowed: false, code: 422, reason: 'Invalid' });
  t.match(response?.status?.message, /\nException\/palisade-system\/node-agent-forever: spec\.expiresAt: 2027-06-01T00:00:00\.000Z is 191 days after the Exception was created \(2026-11-22T11:59:58\.000Z\); cluster\.maxExceptionLifetimeDays allows 90: set it to 2027-02-20T11:59:58\.000Z or earlier$/);
  t.equal(review('exception-create-too-long.json', config((c) => { c.cluster.maxExceptionLifetimeDays = 200; }))?.allowed, true);
});

t.test('an Exception without expiresAt is invalid', async (t) => {
  const response = review('exception-create-no-expiry.json');
  t.equal(response?.allowed, false);
  t.equal(response?.status?.code, 422);
  t.equal(response?.status?.message, 'Palisade: Exception "palisade-system/node-agent-no-expiry" is refused (1 problem):\nException/palisade-system/node-agent-no-expiry:7: spec.expiresAt: is required');
});

t.test('an UPDATE cannot renew an Exception past its lifetime: it counts from creation', async (t) => {
  const req = request('exception-update-annotation-changed.json');
  (req.object as { metadata: Record<string, unknown> }).metadata['annotations'] = { 'palisade.dev/created-by': 'alice' };
  t.equal(review(req)?.allowed, true, 'created 2026-11-01, expiring 2026-12-30: within 90 days');
  (req.object as { spec: Record<string, unknown> }).spec['expiresAt'] = '2027-02-15';
  // The new object claims a later creation; the stored one's counts.
  (req.object as { metadata: Record<string, unknown> }).metadata['creationTimestamp'] = '2026-11-22T00:00:00Z';
  t.match(review(req)?.status?.message, /is 106 days after the Exception was created \(2026-11-01T10:00:00\.000Z\)/);
});

t.test('an Exception that has already expired is refused at CREATE', async (t) => {
  const req = request('exception-create-good.json');
  (req.object as { spec: Record<string, unknown> }).spec['expiresAt'] = '2026-11-01';
  t.match(review(req)?.status?.message, /spec\.expiresAt: 2026-11-01T00:00:00\.000Z has already passed/);
});

t.test('the created-by annotation cannot be forged', async (t) => {
  const created = review('exception-create-forged.json');
  t.same({ allowed: created?.allowed, code: created?.status?.code }, { allowed: false, code: 403 });
  t.match(created?.status?.message, /metadata\.annotations\["palisade\.dev\/created-by"\]: is set by Palisade to the user who creates the Exception \("bob"\), not "alice"/);
  const changed = review('exception-update-annotation-changed.json');
  t.match(changed?.status?.message, /cannot be changed or removed; it must stay "alice"/);
  t.match(review('exception-update-annotation-removed.json')?.status?.message, /must stay "alice"/);
  t.equal(review('exception-create-bare.json')?.allowed, true, 'absent at CREATE: allowed (the mutating webhook sets it)');
});

t.test('an Exception naming a rule nobody loaded is allowed, with a warning', async (t) => {
  const req = request('exception-create-good.json');
  (req.object as { spec: Record<string, unknown> }).spec['rules'] = ['disallow-privileged/privileged', 'disallow-priviliged', '*'];
  const response = review(req);
  t.equal(response?.allowed, true);
  t.same(response?.warnings, ['Palisade: spec.rules names "disallow-priviliged", which no loaded rule has; the exception covers nothing for it until such a rule is loaded']);
});

t.test('only CREATE and UPDATE of palisade.dev Rules and Exceptions are answered', async (t) => {
  const rule = request('rule-create-good.json');
  t.equal(palisadeKindOf(rule), 'Rule');
  t.equal(review({ ...rule, operation: 'DELETE', object: null, oldObject: rule.object }), undefined, 'DELETE');
  t.equal(review({ ...rule, kind: { group: 'other.example.com', version: 'v1', kind: 'Rule' } }), undefined, 'another group');
  t.equal(review({ ...rule, kind: { group: '', version: 'v1', kind: 'Pod' } }), undefined, 'a Pod');
  t.equal(review({ ...rule, subResource: 'status' }), undefined, 'a subresource');
  const deleting = request('rule-create-cel-errors.json');
  (deleting.object as { metadata: Record<string, unknown> }).metadata['deletionTimestamp'] = '2026-11-22T11:59:59Z';
  t.same(review({ ...deleting, operation: 'UPDATE', oldObject: deleting.object }), { uid: 'uid-rule-cel', allowed: true }, 'never block an object being deleted');
});
