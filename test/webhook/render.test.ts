/**
 * renderWebhookConfigurations: what the API server will send Palisade, given the rules and the
 * configuration. Assertions read the rendered webhooks the way the API server matches them.
 */
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { parse } from 'yaml';
import { buildServer } from '../../src/server/app.js';
import { createMetrics } from '../../src/server/metrics.js';
import { PolicyHolder } from '../../src/server/policy-holder.js';
import { checkWebhookConfiguration } from '../../src/webhook/check.js';
import { RENDER_WARNING_CODES, WebhookOptionsError } from '../../src/webhook/render.js';
import type { ValidatingWebhookConfiguration } from '../../src/webhook/types.js';
import { guessResourceName, resourceNameOf } from '../../src/webhook/resource-names.js';
import { FIXTURES, listed, policy, receives, render, webhookNamed, type Policy } from './support.js';

const ENFORCE = 'enforce.validate.palisade.dev';
const AUDIT = 'audit.validate.palisade.dev';
const RESOURCES = 'resources.validate.palisade.dev';
const STAMP = 'stamp.mutate.palisade.dev';
const MUTATE = 'mutate.palisade.dev';

const builtin = await policy();

t.test('built-in rules: two registrations, with the failure policy and path of each', async (t) => {
  const { validating, mutating } = render(builtin);
  t.equal(validating.apiVersion, 'admissionregistration.k8s.io/v1');
  t.equal(validating.kind, 'ValidatingWebhookConfiguration');
  t.same(validating.metadata, {
    name: 'palisade',
    labels: { 'app.kubernetes.io/name': 'palisade', 'app.kubernetes.io/managed-by': 'palisade' },
    annotations: { 'palisade.dev/owned-fields': 'webhooks[*].clientConfig.caBundle,webhooks[*].rules' },
  });
  t.same(validating.webhooks.map((w) => w.name), [ENFORCE, AUDIT, RESOURCES]);
  const enforce = webhookNamed(validating, ENFORCE);
  const audit = webhookNamed(validating, AUDIT);
  t.equal(enforce.failurePolicy, 'Fail', 'enforced rules fail closed');
  t.equal(audit.failurePolicy, 'Ignore', 'an outage never blocks what is not enforced');
  t.same(enforce.clientConfig, { service: { name: 'palisade', namespace: 'palisade-system', port: 443, path: '/validate/enforce' } });
  t.same(audit.clientConfig, { service: { name: 'palisade', namespace: 'palisade-system', port: 443, path: '/validate/audit' } });
  t.notOk('caBundle' in enforce.clientConfig, 'no caBundle unless one is given');
  const resources = webhookNamed(validating, RESOURCES);
  t.equal(resources.failurePolicy, 'Fail', 'an unchecked Rule must not slip in');
  t.notOk(resources.namespaceSelector, 'Palisade resources are checked in every namespace, its own included');
  t.same(resources.rules, [{ apiGroups: ['palisade.dev'], apiVersions: ['*'], operations: ['CREATE', 'UPDATE'], resources: ['exceptions', 'rules'], scope: '*' }]);
  for (const webhook of validating.webhooks.filter((w) => w.name !== RESOURCES)) {
    t.ok(webhook.timeoutSeconds <= 5, `${webhook.name}: timeoutSeconds ≤ 5`);
    t.equal(webhook.sideEffects, 'None');
    t.equal(webhook.matchPolicy, 'Equivalent');
    t.same(webhook.admissionReviewVersions, ['v1']);
    t.same(webhook.namespaceSelector, {
      matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['kube-node-lease', 'kube-public', 'kube-system', 'palisade-system'] }],
    }, `${webhook.name}: system namespaces and Palisade's own are left out by the immutable name label`);
  }
  t.same(mutating?.webhooks.map((w) => w.name), [STAMP], 'mutation is opt-in: only the stamp that records who created an Exception');
  t.same(checkWebhookConfiguration(validating), [], 'the API server would accept it');
});

t.test('enforced pod rules: every workload kind, ephemeral containers, and the namespace label guard', async (t) => {
  const enforce = webhookNamed(render(builtin).validating, ENFORCE);
  for (const [group, resource] of [['', 'pods'], ['', 'podtemplates'], ['', 'replicationcontrollers'], ['apps', 'deployments'], ['apps', 'statefulsets'], ['apps', 'daemonsets'], ['apps', 'replicasets'], ['batch', 'jobs'], ['batch', 'cronjobs']] as const) {
    t.same(receives(enforce, group, resource), ['CREATE', 'UPDATE'], `${group}/${resource}`);
  }
  t.same(receives(enforce, '', 'pods/ephemeralcontainers'), ['UPDATE'], 'kubectl debug is judged as the Pod it changes');
  t.same(receives(enforce, '', 'namespaces'), ['CREATE', 'UPDATE'], 'palisade.dev/* label changes are checked');
  t.same(receives(enforce, '', 'pods/status'), [], 'status updates are not sent');
  t.same(receives(enforce, 'rbac.authorization.k8s.io', 'roles'), [], 'no RBAC rule is enforced by default');
});

t.test('only what the rules need: context rules add nothing, rules in excluded namespaces add nothing', async (t) => {
  const p = await policy({ config: 'no-wildcard.yaml' });
  const { validating, warnings } = render(p);
  const audit = webhookNamed(validating, AUDIT);
  const enforce = webhookNamed(validating, ENFORCE);
  t.same(receives(audit, '', 'namespaces'), [], 'Namespace rules are context rules: audit only, never at admission');
  t.same(receives(audit, 'rbac.authorization.k8s.io', 'clusterroles'), ['CREATE', 'UPDATE']);
  t.same(receives(audit, '', 'services'), ['CREATE', 'UPDATE']);
  t.same(receives(audit, 'gateway.networking.k8s.io', 'gateways'), ['CREATE', 'UPDATE'], 'the Gateway API kind has its name in the table');
  for (const [group, resource] of [['', 'nodes'], ['storage.k8s.io', 'storageclasses'], ['apiextensions.k8s.io', 'customresourcedefinitions']] as const) {
    t.same([...receives(audit, group, resource), ...receives(enforce, group, resource)], [], `${group}/${resource}: no rule asks for it`);
  }
  t.notOk(warnings.some((w) => w.code === 'resource-name-guessed'), 'every built-in kind has a known resource name');
  t.match(warnings.filter((w) => w.code === 'rule-in-excluded-namespaces'), [{ rules: ['disallow-kube-system-workloads'], message: /only namespaces excluded from admission \(kube-system\)/ }]);
});

t.test('never leases or events, even under a rule over every kind', async (t) => {
  const { validating, warnings } = render(builtin);
  for (const webhook of validating.webhooks) {
    t.same(receives(webhook, 'coordination.k8s.io', 'leases'), [], `${webhook.name}: no leases`);
    t.same(receives(webhook, '', 'events'), [], `${webhook.name}: no core events`);
    t.same(receives(webhook, 'events.k8s.io', 'events'), [], `${webhook.name}: no events.k8s.io events`);
    t.notOk(webhook.rules.some((r) => r.apiGroups.includes('*')), `${webhook.name}: no rule over every group`);
  }
  const audit = webhookNamed(validating, AUDIT);
  t.same(receives(audit, '', 'secrets'), ['CREATE', 'UPDATE'], 'no-secrets-in-annotations reads every kind: core kinds listed one by one');
  t.same(receives(audit, 'apps', 'controllerrevisions'), ['CREATE', 'UPDATE'], 'other groups by `*`');
  t.ok(warnings.some((w) => w.code === 'wildcard-narrowed' && w.rules.join() === 'no-secrets-in-annotations'), 'the narrowing is reported');
});

t.test('moving a rule to enforce in the configuration moves its kinds to the enforce registration', async (t) => {
  const before = render(await policy({ config: 'no-wildcard.yaml' })).validating;
  t.same(receives(webhookNamed(before, AUDIT), 'gateway.networking.k8s.io', 'gateways'), ['CREATE', 'UPDATE']);
  t.same(receives(webhookNamed(before, ENFORCE), 'gateway.networking.k8s.io', 'gateways'), []);
  t.same(receives(webhookNamed(before, ENFORCE), 'networking.k8s.io', 'ingresses'), []);
  const after = render(await policy({ config: 'ingress-tls-enforced.yaml' })).validating;
  t.same(receives(webhookNamed(after, ENFORCE), 'gateway.networking.k8s.io', 'gateways'), ['CREATE', 'UPDATE'], 'require-ingress-tls is enforced now');
  t.same(receives(webhookNamed(after, AUDIT), 'gateway.networking.k8s.io', 'gateways'), [], 'and its kinds no longer go to the audit registration');
  t.same(receives(webhookNamed(after, ENFORCE), 'networking.k8s.io', 'ingresses'), ['CREATE', 'UPDATE']);
  t.same(receives(webhookNamed(after, AUDIT), 'networking.k8s.io', 'ingresses'), ['CREATE', 'UPDATE'], 'unless an audit rule reads them too (disallow-default-namespace)');
});

t.test('a user rule over a custom resource: an explicit resource name, or a guess reported as a warning', async (t) => {
  const p = await policy({ builtin: false, rules: ['custom'] });
  const mapped = render(p, { resourceNames: { 'cert-manager.io/Certificate': 'certificates' } });
  const enforce = webhookNamed(mapped.validating, ENFORCE);
  t.same(receives(enforce, 'cert-manager.io', 'certificates'), ['CREATE', 'UPDATE']);
  t.same(mapped.warnings, []);
  t.same(mapped.validating.webhooks.map((w) => w.name), [ENFORCE, RESOURCES], 'no audit registration without audit rules');

  const guessed = render(p);
  t.same(receives(webhookNamed(guessed.validating, ENFORCE), 'cert-manager.io', 'certificates'), ['CREATE', 'UPDATE']);
  t.match(guessed.warnings, [{
    code: 'resource-name-guessed',
    rules: ['require-certificate-duration'],
    message: /cert-manager\.io\/Certificate is not a kind Palisade knows: its resource name is guessed as "certificates".*--resource-name cert-manager\.io\/Certificate=PLURAL/,
  }]);

  const other = render(p, { resourceNames: { Certificate: 'certs' } });
  t.same(receives(webhookNamed(other.validating, ENFORCE), 'cert-manager.io', 'certs'), ['CREATE', 'UPDATE'], 'a mapping by bare kind wins over the guess');
});

t.test('resource names: the table, and the guess for kinds outside it', async (t) => {
  const table: [string, string, string][] = [
    ['', 'Pod', 'pods'], ['apps', 'Deployment', 'deployments'], ['batch', 'CronJob', 'cronjobs'],
    ['networking.k8s.io', 'NetworkPolicy', 'networkpolicies'], ['networking.k8s.io', 'Ingress', 'ingresses'],
    ['rbac.authorization.k8s.io', 'ClusterRoleBinding', 'clusterrolebindings'], ['', 'ServiceAccount', 'serviceaccounts'],
    ['', 'Secret', 'secrets'], ['', 'ConfigMap', 'configmaps'], ['', 'Service', 'services'], ['', 'Namespace', 'namespaces'],
    ['rbac.authorization.k8s.io', 'Role', 'roles'], ['rbac.authorization.k8s.io', 'RoleBinding', 'rolebindings'],
    ['', 'PersistentVolume', 'persistentvolumes'], ['', 'PersistentVolumeClaim', 'persistentvolumeclaims'],
    ['storage.k8s.io', 'StorageClass', 'storageclasses'], ['', 'Endpoints', 'endpoints'],
    ['networking.k8s.io', 'IngressClass', 'ingressclasses'], ['policy', 'PodDisruptionBudget', 'poddisruptionbudgets'],
    ['autoscaling', 'HorizontalPodAutoscaler', 'horizontalpodautoscalers'], ['', 'ResourceQuota', 'resourcequotas'],
    ['', 'LimitRange', 'limitranges'], ['apiextensions.k8s.io', 'CustomResourceDefinition', 'customresourcedefinitions'],
    ['admissionregistration.k8s.io', 'ValidatingWebhookConfiguration', 'validatingwebhookconfigurations'],
    ['admissionregistration.k8s.io', 'MutatingWebhookConfiguration', 'mutatingwebhookconfigurations'],
    ['certificates.k8s.io', 'CertificateSigningRequest', 'certificatesigningrequests'],
    ['*', 'Deployment', 'deployments'], ['extensions', 'Ingress', 'ingresses'],
  ];
  for (const [group, kind, resource] of table) t.same(resourceNameOf(group, kind), { resource, source: 'table' }, `${group}/${kind}`);
  const guesses: [string, string][] = [
    ['Rollout', 'rollouts'], ['ClusterPolicy', 'clusterpolicies'], ['Gateway', 'gateways'], ['Mailbox', 'mailboxes'],
    ['Mesh', 'meshes'], ['Patch', 'patches'], ['Address', 'addresses'], ['Quiz', 'quizes'],
  ];
  for (const [kind, resource] of guesses) t.equal(guessResourceName(kind), resource, kind);
});

t.test('`*` is narrowed: core resources listed one by one, other groups by name, leases and events never', async (t) => {
  const p = await policy({ builtin: false, rules: ['wildcard'] });
  const { validating, warnings } = render(p, { apiGroups: ['cert-manager.io'] });
  t.same(checkWebhookConfiguration(validating), []);
  const enforce = webhookNamed(validating, ENFORCE);
  t.notOk(enforce.rules.some((r) => r.apiGroups.includes('*')), 'never every group: `*` cannot leave leases and events out');
  const core = enforce.rules.filter((r) => r.apiGroups.includes(''));
  t.notOk(core.some((r) => r.resources.includes('*')), 'the core group is never `*`');
  for (const resource of ['pods', 'secrets', 'configmaps', 'namespaces', 'services', 'serviceaccounts', 'nodes']) {
    t.same(receives(enforce, '', resource), ['CREATE', 'UPDATE'], `core ${resource}`);
  }
  t.same(receives(enforce, '', 'pods/ephemeralcontainers'), ['UPDATE']);
  for (const group of ['apps', 'batch', 'rbac.authorization.k8s.io', 'networking.k8s.io', 'cert-manager.io']) {
    t.same(receives(enforce, group, 'anything'), ['CREATE', 'UPDATE'], `${group}: every resource`);
  }
  t.same(receives(enforce, 'example.com', 'widgets'), [], 'a group nobody named is not covered');
  const audit = webhookNamed(validating, AUDIT);
  t.same(receives(audit, '', 'configmaps'), ['DELETE'], 'core-no-finalizers: core kinds at DELETE');
  t.same(receives(audit, 'apps', 'deployments'), [], 'core-no-finalizers is limited to the core group');
  for (const webhook of validating.webhooks) {
    t.same(receives(webhook, 'coordination.k8s.io', 'leases'), [], `${webhook.name}: no leases`);
    t.same(receives(webhook, '', 'events'), [], `${webhook.name}: no events`);
    t.same(receives(webhook, 'events.k8s.io', 'events'), [], `${webhook.name}: no events.k8s.io events`);
  }
  t.same(receives(audit, 'admissionregistration.k8s.io', 'validatingwebhookconfigurations'), [], 'lease-holder adds no kind the API server never sends');
  t.same(listed(audit).filter((e) => !e.startsWith('/')), [], 'the audit registration holds core-no-finalizers\' core kinds only');
  const codes = warnings.map((w) => `${w.code} ${w.rules.join(',')}`);
  t.ok(codes.includes('wildcard-narrowed require-owner-label'));
  t.ok(codes.includes('wildcard-narrowed core-no-finalizers'));
  t.ok(codes.includes('never-intercepted lease-holder'));
  t.ok(codes.includes('not-sent-to-webhooks lease-holder'));
  t.match(warnings.find((w) => w.rules.includes('require-owner-label'))?.message, /other groups by name \(admissionregistration\.k8s\.io, .*cert-manager\.io.*\)/);
  t.notMatch(warnings.find((w) => w.rules.includes('require-owner-label'))?.message, /coordination\.k8s\.io|events\.k8s\.io,/);
});

t.test('the mutating configuration only when rules are opted in', async (t) => {
  t.same(render(builtin).mutating?.webhooks.map((w) => w.name), [STAMP]);

  const pods = await policy({ config: 'mutation-pods.yaml' });
  const everywhere = render(pods);
  t.ok(everywhere.mutating);
  t.same(checkWebhookConfiguration(everywhere.mutating), []);
  t.same(everywhere.mutating?.metadata.name, 'palisade');
  t.same(everywhere.mutating?.webhooks.map((w) => w.name), [STAMP, MUTATE]);
  const mutate = webhookNamed(everywhere.mutating, MUTATE);
  t.equal(mutate.failurePolicy, 'Ignore', 'mutation never blocks');
  t.equal((mutate as { reinvocationPolicy?: string }).reinvocationPolicy, 'IfNeeded');
  t.same(mutate.clientConfig.service?.path, '/mutate');
  t.equal(mutate.timeoutSeconds, 5);
  t.same(mutate.rules, [{ apiGroups: [''], apiVersions: ['*'], operations: ['CREATE'], resources: ['pods'], scope: '*' }], 'Pods at CREATE only (mutatePodsOnly)');
  t.same(mutate.namespaceSelector?.matchExpressions, [
    { key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['kube-node-lease', 'kube-public', 'kube-system', 'palisade-system'] },
  ], "'*': every namespace that is not excluded");

  // The configuration file refuses rules without namespaces, but the server also takes the label
  // palisade.dev/mutate=true as an opt-in: a configuration built in code can rely on it alone.
  pods.config.admission.mutation.namespaces = [];
  const byLabel = webhookNamed(render(pods).mutating, MUTATE);
  t.same(byLabel.namespaceSelector?.matchExpressions, [
    { key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['kube-node-lease', 'kube-public', 'kube-system', 'palisade-system'] },
    { key: 'palisade.dev/mutate', operator: 'In', values: ['true'] },
  ], 'no namespace is named, so only labelled namespaces can opt in: the selector says exactly that');

  const byName = render(await policy({ config: 'mutation-by-name.yaml' }));
  const named = webhookNamed(byName.mutating, MUTATE);
  for (const [group, resource] of [['', 'pods'], ['apps', 'deployments'], ['batch', 'cronjobs']] as const) {
    t.same(receives(named, group, resource), ['CREATE', 'UPDATE'], `${group}/${resource}: controllers too when mutatePodsOnly is false`);
  }
  t.same(receives(named, '', 'pods/ephemeralcontainers'), [], '/mutate does not patch subresources');
  t.same(named.namespaceSelector?.matchExpressions?.map((e) => e.key), ['kubernetes.io/metadata.name'],
    'named namespaces do not narrow the selector: a labelled namespace opts in too, and a selector cannot say "named or labelled"');
  t.match(byName.warnings.filter((w) => w.code === 'mutation-not-rendered'), [{ rules: ['disallow-privileged'], message: /has no mutations/ }]);

  const nothing = await policy();
  nothing.config.admission.mutation.rules = ['disallow-privileged'];
  const none = render(nothing);
  t.same(none.mutating?.webhooks.map((w) => w.name), [STAMP], 'no rule that can mutate: no mutation webhook');
  t.ok(none.warnings.some((w) => w.code === 'mutation-not-rendered' && /no mutation webhook/.test(w.message)));
});

t.test('options: client, CA bundle, name, timeout, own namespace, excluded globs', async (t) => {
  const pem = readFileSync(join(FIXTURES, 'ca.crt'), 'utf8');
  const url = render(builtin, { client: { url: 'https://palisade.example.com:8443/prefix/' }, caBundle: pem, name: 'palisade-dev', timeoutSeconds: 3 });
  const enforce = webhookNamed(url.validating, ENFORCE);
  t.same(enforce.clientConfig.url, 'https://palisade.example.com:8443/prefix/validate/enforce');
  t.equal(Buffer.from(enforce.clientConfig.caBundle ?? '', 'base64').toString('utf8'), pem, 'caBundle is the base64 of the PEM');
  t.equal(url.validating.metadata.name, 'palisade-dev');
  t.equal(enforce.timeoutSeconds, 3);
  t.same(enforce.namespaceSelector?.matchExpressions?.[0]?.values, ['kube-node-lease', 'kube-public', 'kube-system'], 'no own namespace is known with a URL');
  t.same(checkWebhookConfiguration(url.validating), []);

  const own = render(builtin, { ownNamespace: 'security' });
  t.same(webhookNamed(own.validating, AUDIT).namespaceSelector?.matchExpressions?.[0]?.values, ['kube-node-lease', 'kube-public', 'kube-system', 'security']);

  t.throws(() => render(builtin, { timeoutSeconds: 6 }), new WebhookOptionsError('timeoutSeconds 6: must be a whole number from 1 to 5; the API server holds every intercepted request that long when Palisade does not answer'));
  t.throws(() => render(builtin, { timeoutSeconds: 0 }), { name: 'WebhookOptionsError' });
  t.throws(() => render(builtin, { client: { url: 'http://palisade.example.com' } }), { message: /https only/ });
  t.throws(() => render(builtin, { client: { url: 'https://palisade.example.com/?x=1' } }), { message: /no query/ });
  t.throws(() => render(builtin, { client: { service: { name: 'palisade', namespace: 'Palisade' } } }), { message: /namespace "Palisade"/ });
  t.throws(() => render(builtin, { client: { service: { name: 'palisade', namespace: 'p', port: 70000 } } }), { message: /port 70000/ });
  t.throws(() => render(builtin, { name: 'Palisade' }), { message: /DNS subdomain/ });
  t.throws(() => render(builtin, { caBundle: 'not a certificate' }), { message: /PEM/ });
  t.throws(() => render(builtin, { resourceNames: { 'x.io/Thing': 'Things' } }), { message: /lowercase plural/ });

  const glob = render(await policy({ config: 'excluded-glob.yaml' }));
  t.same(webhookNamed(glob.validating, ENFORCE).namespaceSelector?.matchExpressions?.[0]?.values, ['kube-system', 'palisade-system']);
  t.match(glob.warnings.filter((w) => w.code === 'namespace-not-excludable'), [{ message: /"openshift-\*" cannot be written as a namespaceSelector/ }]);
});

t.test('small and deterministic', async (t) => {
  const p: Policy = builtin;
  const first = JSON.stringify(render(p));
  t.equal(JSON.stringify(render(p)), first, 'the same input renders the same output');
  for (const webhook of render(p).validating.webhooks) {
    const entries = listed(webhook);
    t.equal(new Set(entries).size, entries.length, `${webhook.name}: no group/resource/operation listed twice`);
    for (const rule of webhook.rules) {
      t.same(rule.resources, [...rule.resources].sort(), 'resources sorted');
      t.same(rule.apiGroups, [...rule.apiGroups].sort(), 'groups sorted');
      t.same(rule.apiVersions, ['*']);
      t.equal(rule.scope, '*');
    }
    t.ok(webhook.rules.length <= 6, `${webhook.name}: ${webhook.rules.length} rules entries`);
  }
});

t.test('every rendered path is served, and each registration answers for its own rules', async (t) => {
  const p = await policy({ config: 'mutation-pods.yaml' });
  const holder = new PolicyHolder();
  holder.replace(p.ruleSet, p.config, new Date('2026-11-22T12:00:00Z'));
  const server = buildServer({ policy: holder, metrics: createMetrics({ processMetrics: false }), logger: pino({ level: 'silent' }) });
  t.teardown(() => server.close());
  const { validating, mutating } = render(p);
  const answers: Record<string, boolean> = {};
  for (const webhook of [...validating.webhooks, ...(mutating?.webhooks ?? [])]) {
    const path = webhook.clientConfig.service?.path ?? '';
    const res = await server.inject({ method: 'POST', url: path, payload: readFileSync(join(FIXTURES, 'pod-privileged-create.json'), 'utf8'), headers: { 'content-type': 'application/json' } });
    t.equal(res.statusCode, 200, `${path} is a route of the server`);
    answers[webhook.name] = (res.json() as { response: { allowed: boolean } }).response.allowed;
  }
  t.same(answers, { [ENFORCE]: false, [AUDIT]: false, [RESOURCES]: false, [STAMP]: true, [MUTATE]: true }, 'a privileged Pod: denied with the full list whichever validating registration the API server reports; never by mutation');
});

t.test('docs/webhook-configuration.md shows what is rendered', async (t) => {
  const doc = readFileSync(join(FIXTURES, '..', '..', '..', 'docs', 'webhook-configuration.md'), 'utf8');
  const example = /```yaml\n(apiVersion: admissionregistration[\s\S]*?)```/.exec(doc)?.[1] ?? '';
  const shown = parse(example) as ValidatingWebhookConfiguration;
  const { validating } = render(builtin);
  t.same(shown.metadata, validating.metadata);
  for (const documented of shown.webhooks) {
    const actual = webhookNamed(validating, documented.name);
    t.same(documented.clientConfig, actual.clientConfig, `${documented.name}: clientConfig`);
    t.equal(documented.failurePolicy, actual.failurePolicy);
    for (const rule of documented.rules ?? []) t.ok(actual.rules.some((r) => JSON.stringify(r) === JSON.stringify(rule)), `${documented.name}: rule ${JSON.stringify(rule)} is rendered`);
    if (documented.namespaceSelector) t.same(documented.namespaceSelector, actual.namespaceSelector);
  }
  const table = doc.slice(doc.indexOf('## Warnings'));
  const codes = [...table.matchAll(/^\| `([a-z-]+)` \|/gm)].map((m) => m[1]);
  t.same(codes.sort(), [...RENDER_WARNING_CODES].sort(), 'every warning code is documented, and only those');
});
