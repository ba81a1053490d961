import t from 'tap';
import { validate, type AdmissionContext } from '../../src/admission/validate.js';
import type { Registration } from '../../src/admission/registration.js';
import type { PalisadeConfig } from '../../src/config/types.js';
import { builtinRules, config, NOW, review } from './support.js';

function run(name: string, cfg: PalisadeConfig = config(), extra: Partial<AdmissionContext> = {}, registration: Registration = 'all') {
  return validate(review(name).request, { ruleSet: builtinRules, config: cfg, now: NOW, registration, ...extra });
}

t.test('enforce: denied with 403 and a message naming each rule, detail and fix', async (t) => {
  const { response, decision } = run('pod-privileged-create.json');
  t.equal(response.uid, 'uid-privileged', 'the answer carries the request uid');
  t.equal(response.allowed, false);
  t.equal(response.status?.code, 403);
  t.equal(response.status?.reason, 'Forbidden');
  const message = response.status?.message ?? '';
  t.match(message, /^Palisade: Pod "web" violates \d+ enforced rules?:/);
  t.match(message, /\n- disallow-privileged: .*container "app".*Fix: /, 'rule id, detail naming the container, remediation');
  t.notOk(response.warnings, 'no warnings on a denied request');
  t.ok(decision?.denied.every((f) => f.mode === 'enforce'));
  t.ok(message.length <= 4096, 'within the message budget');
});

t.test('audit: allowed, one short warning line per rule, audit annotations by bare rule id', async (t) => {
  const cfg = config((c) => { c.policy.defaultMode = 'audit'; c.policy.rules['disallow-privileged'] = { mode: 'audit' }; });
  const { response } = run('pod-privileged-create.json', cfg);
  t.equal(response.allowed, true);
  const warnings = response.warnings ?? [];
  t.ok(warnings.some((w) => w.startsWith('disallow-privileged: ')), 'the privileged warning is there');
  for (const w of warnings) {
    t.ok(w.length <= 256, `warning within 256 characters: ${w.length}`);
    t.notMatch(w, /[\n\t]/, 'no newline or tab');
  }
  t.ok(warnings.join('').length <= 2048, 'within Palisade\'s share of the 4,096 budget');
  const annotations = response.auditAnnotations ?? {};
  t.match(annotations['disallow-privileged'], /^audit: /);
  for (const key of Object.keys(annotations)) t.notMatch(key, /\//, `annotation key ${key} has no slash of its own`);
});

t.test('control characters from the object are escaped in warnings, annotations and the denial', async (t) => {
  // The API server drops a warning with a control character in it; kubectl prints a denial as is.
  const withImage = () => {
    const object = review('pod-privileged-create.json');
    const containers = (object.request.object as { spec: { containers: Record<string, unknown>[] } }).spec.containers;
    (containers[0] as Record<string, unknown>)['image'] = 'registry.example.com/app\u001b]0;pwned\u0007\u202e:1';
    return object.request;
  };
  const audit = config((c) => { c.policy.defaultMode = 'audit'; c.policy.rules['disallow-privileged'] = { mode: 'audit' }; c.policy.rules['restrict-image-registries'] = { mode: 'audit' }; });
  const audited = validate(withImage(), { ruleSet: builtinRules, config: audit, now: NOW, registration: 'all' }).response;
  const warning = audited.warnings?.find((w) => w.startsWith('restrict-image-registries: ')) ?? '';
  t.match(warning, 'registry.example.com/app\\u{1b}]0;pwned\\u{7}\\u{202e}:1', 'the image, escaped');
  const denied = validate(withImage(), { ruleSet: builtinRules, config: config((c) => { c.policy.rules['restrict-image-registries'] = { mode: 'enforce' }; }), now: NOW, registration: 'all' }).response;
  const shown = [...(audited.warnings ?? []), ...Object.values(audited.auditAnnotations ?? {}), denied.status?.message ?? ''].join('\n');
  t.match(denied.status?.message, /app\\u\{1b\}/);
  t.notMatch(shown, /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202e]/, 'no control or bidi character is left');
});

t.test('warnings past the budget end with "+N more"', async (t) => {
  const cfg = config((c) => { c.policy.defaultMode = 'audit'; for (const r of builtinRules.rules) c.policy.rules[r.meta.id] = { mode: 'audit' }; });
  const object = review('pod-privileged-create.json');
  // A pod that breaks nearly everything: host namespaces, host path, capabilities, ports...
  const spec = (object.request.object as { spec: Record<string, unknown> }).spec;
  Object.assign(spec, { hostNetwork: true, hostPID: true, hostIPC: true, volumes: [{ name: 'h', hostPath: { path: '/' } }] });
  const container = (spec['containers'] as Record<string, unknown>[])[0] as Record<string, unknown>;
  Object.assign(container, { image: 'nginx', ports: [{ containerPort: 80, hostPort: 80 }], securityContext: { privileged: true, runAsUser: 0, capabilities: { add: ['SYS_ADMIN', 'NET_RAW'] }, procMount: 'Unmasked', seLinuxOptions: { type: 'spc_t' } } });
  const { response } = validate(object.request, { ruleSet: builtinRules, config: cfg, now: NOW, registration: 'all' });
  const warnings = response.warnings ?? [];
  t.ok(warnings.length > 5, `many warnings (${warnings.length})`);
  t.ok(warnings.join('').length <= 2048);
  t.match(warnings.at(-1) ?? '', /^\+\d+ more Palisade warnings?/);
});

t.test('dry-run: allowed, nothing shown, recorded in audit annotations', async (t) => {
  const cfg = config((c) => { c.policy.rules['disallow-privileged'] = { mode: 'dry-run' }; c.policy.defaultMode = 'dry-run'; });
  for (const r of builtinRules.rules) cfg.policy.rules[r.meta.id] = { mode: 'dry-run' };
  const { response, decision } = run('pod-privileged-create.json', cfg);
  t.equal(response.allowed, true);
  t.notOk(response.warnings, 'nothing shown to the user');
  t.match(response.auditAnnotations?.['disallow-privileged'], /^dry-run: /);
  t.ok(decision?.recorded.some((f) => f.ruleId === 'disallow-privileged'));
});

t.test('server-side dry run is answered like any request', async (t) => {
  const plain = run('pod-privileged-create.json').response;
  const dry = run('pod-privileged-dry-run.json').response;
  t.equal(dry.allowed, plain.allowed);
  t.equal(dry.status?.message, plain.status?.message);
});

t.test('namespace label palisade.dev/mode sets the mode, but only tightens a pinned rule', async (t) => {
  const namespaces = (labels: Record<string, string>) => () => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-a', labels } });
  const pinned = config((c) => { c.policy.rules['disallow-privileged'] = { mode: 'enforce' }; });
  const relaxed = run('pod-privileged-create.json', pinned, { namespaceObject: namespaces({ 'palisade.dev/mode': 'dry-run' }) });
  t.equal(relaxed.response.allowed, false, 'a tenant label cannot relax a pinned rule');
  const unpinned = config((c) => { c.policy.rules['disallow-privileged'] = { mode: 'audit' }; delete c.policy.rules['disallow-privileged']; });
  const labelled = run('pod-privileged-create.json', unpinned, { namespaceObject: namespaces({ 'palisade.dev/mode': 'dry-run' }) });
  t.equal(labelled.response.allowed, true, 'the label relaxes an unpinned rule');
  const tightened = run('pod-compliant-create.json', config((c) => { c.policy.defaultMode = 'audit'; }), { namespaceObject: namespaces({ 'palisade.dev/mode': 'enforce' }) });
  t.type(tightened.response.allowed, 'boolean');
  const standalone = run('pod-privileged-create.json', config((c) => { c.policy.namespaceModes['team-a'] = 'dry-run'; }));
  t.equal(standalone.response.allowed, true, 'standalone, the config maps namespaces to modes');
});

t.test('an unexpired exception exempts; the finding stays visible as excepted', async (t) => {
  const cfg = config((c) => {
    c.policy.exceptions.push({
      name: 'legacy-web', namespace: 'team-a', rules: ['*'],
      match: { namespaces: ['team-a'], kinds: ['Pod'], names: ['web'], owners: [], containers: [], images: [] },
      reason: 'migration', owner: 'team-a@example.com', expiresAt: new Date('2027-01-01T00:00:00Z'),
    });
  });
  const { response, decision } = run('pod-privileged-create.json', cfg);
  t.equal(response.allowed, true);
  t.ok(decision?.excepted.some((f) => f.ruleId === 'disallow-privileged'));
  t.match(response.auditAnnotations?.['disallow-privileged'], /^excepted by team-a\/legacy-web: /);
  const expired = config((c) => { c.policy.exceptions = cfg.policy.exceptions.map((e) => ({ ...e, expiresAt: new Date('2026-01-01T00:00:00Z') })); });
  t.equal(run('pod-privileged-create.json', expired).response.allowed, false, 'an expired exception no longer exempts');
});

t.test('UPDATE: existing violations, unchanged pod spec, objects being deleted', async (t) => {
  const labelEdit = run('pod-privileged-label-update.json');
  t.equal(labelEdit.response.allowed, true, 'a label edit on an already-privileged pod is not blocked');
  const strict = config((c) => { c.admission.allowExistingViolations = false; });
  t.equal(run('pod-privileged-label-update.json', strict).response.allowed, true, 'an update that leaves the pod spec alone is not judged by pod rules');
  const worse = run('pod-becomes-privileged-update.json');
  t.equal(worse.response.allowed, false, 'an update that introduces the violation is denied');
  const deleting = run('pod-deleting-update.json');
  t.equal(deleting.response.allowed, true);
  t.equal(deleting.skipped, 'deleting', 'an object being deleted is never denied');
});

t.test('DELETE, status and scale pass; ephemeral containers are checked as the Pod', async (t) => {
  t.equal(run('pod-delete.json').response.allowed, true, 'no rule matches DELETE');
  const status = run('pod-status-update.json');
  t.equal(status.response.allowed, true);
  t.equal(status.skipped, 'status-subresource');
  const scale = run('deployment-scale-update.json');
  t.equal(scale.response.allowed, true, 'scale is not a pod spec');
  t.notOk(scale.decision?.findings.length, 'no rule looks at a Scale');
  const ephemeral = run('pod-ephemeral-privileged-update.json');
  t.equal(ephemeral.response.allowed, false, 'a privileged debug container is denied');
  t.match(ephemeral.response.status?.message, /container "debugger"/);
});

t.test('excluded namespaces, exempt users and runtime classes are not evaluated', async (t) => {
  const system = run('pod-privileged-kube-system.json');
  t.equal(system.response.allowed, true);
  t.equal(system.skipped, 'excluded-namespace');
  const exemptUser = run('pod-privileged-create.json', config((c) => { c.admission.exemptUsernames.push('alice'); }));
  t.equal(exemptUser.skipped, 'exempt-user');
  t.equal(run('unknown-kind-create.json').response.allowed, true, 'an unknown kind is allowed');
});

t.test('break glass: allowed, warned, recorded', async (t) => {
  const cfg = config((c) => { c.admission.breakGlass.groups.push('oncall'); });
  const r = review('pod-privileged-create.json');
  r.request.userInfo.groups = ['oncall'];
  const outcome = validate(r.request, { ruleSet: builtinRules, config: cfg, now: NOW, registration: 'all' });
  t.equal(outcome.response.allowed, true);
  t.equal(outcome.breakGlass, true);
  t.match(outcome.response.warnings?.[0], /break-glass/);
  t.ok(outcome.response.auditAnnotations?.['break-glass']);
  t.ok(outcome.response.auditAnnotations?.['disallow-privileged'], 'the finding is still recorded');
});

t.test('palisade.dev labels on namespaces: only configured users, only real modes', async (t) => {
  const denied = run('namespace-mode-label-create.json');
  t.equal(denied.response.allowed, false);
  t.equal(denied.labelGuard, true);
  t.match(denied.response.status?.message, /may not change the label palisade\.dev\/mode/);
  const admin = review('namespace-mode-label-create.json');
  admin.request.userInfo.groups = ['system:masters'];
  t.equal(validate(admin.request, { ruleSet: builtinRules, config: config(), now: NOW, registration: 'all' }).response.allowed, true);
  const bad = review('namespace-mode-label-create.json');
  bad.request.userInfo.groups = ['system:masters'];
  (bad.request.object as { metadata: { labels: Record<string, string> } }).metadata.labels['palisade.dev/mode'] = 'off';
  t.match(validate(bad.request, { ruleSet: builtinRules, config: config(), now: NOW, registration: 'all' }).response.status?.message, /not a mode/);
});

t.test('two registrations: both deny with every enforced rule; each warns only for its own rules', async (t) => {
  const cfg = config((c) => { c.policy.defaultMode = 'audit'; });
  const enforce = run('pod-privileged-create.json', cfg, {}, 'enforce');
  const audit = run('pod-privileged-create.json', cfg, {}, 'audit');
  t.equal(enforce.response.allowed, false, 'the enforce registration denies');
  t.equal(audit.response.allowed, false, 'so does the audit one: whichever the API server reports, the user sees the whole list');
  t.equal(audit.response.status?.message, enforce.response.status?.message);
  t.notOk(audit.decision?.findings.some((f) => f.ruleId === 'disallow-privileged'), 'metrics and annotations count a rule once');
  t.ok(enforce.decision?.findings.some((f) => f.ruleId === 'disallow-privileged'));
  const labelled = run('pod-privileged-label-update.json', cfg, {}, 'audit');
  t.equal(labelled.response.allowed, true);
  const onlyAudit = run('pod-becomes-privileged-update.json', config((c) => { c.policy.defaultMode = 'audit'; c.policy.rules['disallow-privileged'] = { mode: 'audit' }; }), {}, 'enforce');
  t.equal(onlyAudit.response.allowed, true, 'with nothing enforced the enforce registration allows');
  t.notOk(onlyAudit.response.warnings, 'and leaves the warnings to the audit registration');
});

t.test('past the deadline, rules not yet run end as errors that follow onError', async (t) => {
  const { response, decision } = run('pod-privileged-create.json', config(), { pastDeadline: () => true });
  t.equal(response.allowed, false, 'enforced rules deny (onError: deny is the default)');
  t.match(response.status?.message, /could not be evaluated: not evaluated: the deadline of the request passed/);
  t.ok(decision?.findings.every((f) => f.result === 'error'));
  const lenient = run('pod-privileged-create.json', config((c) => { c.policy.onError = 'allow'; for (const r of builtinRules.rules) c.policy.rules[r.meta.id] = { onError: 'allow' }; }), { pastDeadline: () => true });
  t.equal(lenient.response.allowed, true, 'with onError: allow the request passes');
});
