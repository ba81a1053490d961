import t from 'tap';
import { applyPatch } from '../../src/admission/json-patch.js';
import { mutate } from '../../src/admission/mutate-review.js';
import type { AdmissionReview } from '../../src/admission/review.js';
import { validate } from '../../src/admission/validate.js';
import type { KubeObject } from '../../src/engine/types.js';
import { builtinRules, config, NOW, review } from './support.js';

const MUTATING = ['restrict-seccomp', 'restrict-seccomp-strict', 'disallow-privilege-escalation', 'disallow-capabilities-strict'];
const optedIn = config((c) => {
  c.admission.mutation = { rules: MUTATING, namespaces: ['team-*'] };
  for (const id of MUTATING) c.policy.rules[id] = { mode: 'enforce' };
});

/** A Pod with no security context at all. */
function barePod(): AdmissionReview {
  const r = review('pod-compliant-create.json');
  const spec = (r.request.object as { spec: { containers: Record<string, unknown>[] } }).spec;
  for (const c of spec.containers) delete c['securityContext'];
  return r;
}

t.test('a Pod CREATE in an opted-in namespace gets a minimal JSONPatch', async (t) => {
  const r = barePod();
  const original = structuredClone(r.request.object) as KubeObject;
  const outcome = mutate(r.request, { ruleSet: builtinRules, config: optedIn, now: NOW, registration: 'all' });
  t.equal(outcome.response.allowed, true, 'mutation never denies');
  t.equal(outcome.response.patchType, 'JSONPatch');
  const ops = JSON.parse(Buffer.from(outcome.response.patch ?? '', 'base64').toString()) as { op: string; path: string }[];
  t.ok(ops.length > 0);
  t.ok(ops.every((op) => op.op === 'add'), 'only adds: nothing the user set is replaced');
  t.ok(outcome.patchedRules.includes('disallow-privilege-escalation'));
  const patched = applyPatch(original, ops as never) as KubeObject;
  t.match(patched, { spec: { securityContext: { seccompProfile: { type: 'RuntimeDefault' } }, containers: [{ securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } } }] } });

  // As the API server does: the validating webhook sees the patched object.
  const after = barePod();
  after.request.object = patched;
  const verdict = validate(after.request, { ruleSet: builtinRules, config: optedIn, now: NOW, registration: 'all' });
  for (const id of MUTATING) t.notOk(verdict.decision?.findings.some((f) => f.ruleId === id), `${id} passes after mutation`);
  const before = validate(barePod().request, { ruleSet: builtinRules, config: optedIn, now: NOW, registration: 'all' });
  t.equal(before.response.allowed, false, 'without the mutation the same Pod is denied');
});

t.test('an explicit user value is never overridden', async (t) => {
  const r = barePod();
  const container = (r.request.object as { spec: { containers: Record<string, unknown>[] } }).spec.containers[0] as Record<string, unknown>;
  container['securityContext'] = { allowPrivilegeEscalation: true };
  const outcome = mutate(r.request, { ruleSet: builtinRules, config: optedIn, now: NOW, registration: 'all' });
  const ops = JSON.parse(Buffer.from(outcome.response.patch ?? '', 'base64').toString()) as { path: string }[];
  t.notOk(ops.some((op) => op.path.endsWith('/allowPrivilegeEscalation')), 'allowPrivilegeEscalation: true stays');
});

t.test('opt-in: no patch outside opted-in namespaces, for controllers, or for rules not opted in', async (t) => {
  const elsewhere = barePod();
  elsewhere.request.namespace = 'other';
  t.equal(mutate(elsewhere.request, { ruleSet: builtinRules, config: optedIn, now: NOW, registration: 'all' }).skipped, 'not-opted-in');
  const labelled = mutate(elsewhere.request, {
    ruleSet: builtinRules, config: optedIn, now: NOW, registration: 'all',
    namespaceObject: () => ({ metadata: { name: 'other', labels: { 'palisade.dev/mutate': 'true' } } }),
  });
  t.ok(labelled.response.patch, 'the namespace label opts a namespace in');
  const deployment = review('deployment-privileged-create.json');
  t.equal(mutate(deployment.request, { ruleSet: builtinRules, config: optedIn, now: NOW, registration: 'all' }).skipped, 'not-a-pod-create', 'controllers are not mutated by default (no GitOps drift)');
  t.notOk(mutate(barePod().request, { ruleSet: builtinRules, config: config(), now: NOW, registration: 'all' }).response.patch, 'off by default');
});
