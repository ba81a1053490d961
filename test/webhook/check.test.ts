/**
 * checkWebhookConfiguration: the API server's own rules for admissionregistration.k8s.io/v1
 * webhook configurations. Each broken variant of a rendered configuration must be caught, so the
 * checks the renderer and the tests rely on are known to work.
 */
import t from 'tap';
import { checkWebhookConfiguration, isFullyQualifiedName, isQualifiedName } from '../../src/webhook/check.js';
import type { ValidatingWebhook, WebhookConfiguration } from '../../src/webhook/types.js';
import { policy, render } from './support.js';

const p = await policy({ config: 'mutation-pods.yaml' });
const rendered = render(p);

/**
 * A deep copy of the rendered configuration with its first webhook changed by `edit`. Values the
 * types forbid are written with `put`, which is the point of these cases.
 */
function variant(kind: 'validating' | 'mutating', edit: (hook: ValidatingWebhook, config: WebhookConfiguration) => void): unknown {
  const copy = JSON.parse(JSON.stringify(rendered[kind])) as WebhookConfiguration;
  const hook = copy.webhooks[0];
  if (!hook) throw new Error('no webhook to edit');
  edit(hook, copy);
  return copy;
}

function put(target: object, field: string, value: unknown): void {
  Object.assign(target, { [field]: value });
}

function first<T>(list: readonly T[] | undefined): T {
  const item = list?.[0];
  if (item === undefined) throw new Error('empty list');
  return item;
}

t.test('what Palisade renders passes', async (t) => {
  t.same(checkWebhookConfiguration(rendered.validating), []);
  t.same(checkWebhookConfiguration(rendered.mutating), []);
});

t.test('names', async (t) => {
  t.ok(isFullyQualifiedName('enforce.validate.palisade.dev'));
  t.notOk(isFullyQualifiedName('palisade.dev'), 'two segments are not enough');
  t.notOk(isFullyQualifiedName('Enforce.palisade.dev'));
  t.ok(isQualifiedName('palisade.dev/owned-fields'));
  t.ok(isQualifiedName('app'));
  t.notOk(isQualifiedName('/app'));
  t.notOk(isQualifiedName('a/b/c'));
});

t.test('every broken variant is caught, with the field at fault', async (t) => {
  const service = (hook: ValidatingWebhook): object => hook.clientConfig.service ?? {};
  const expression = (hook: ValidatingWebhook): object => first(hook.namespaceSelector?.matchExpressions);
  const cases: [string, unknown, RegExp][] = [
    ['unqualified webhook name', variant('validating', (h) => { h.name = 'palisade'; }), /^webhooks\[0\]\.name: must be a fully qualified name/],
    ['duplicate webhook names', variant('validating', (h, c) => { put(c.webhooks[1] ?? {}, 'name', h.name); }), /^webhooks\[1\]\.name: duplicate webhook name/],
    ['path without a slash', variant('validating', (h) => { put(service(h), 'path', 'validate/enforce'); }), /^webhooks\[0\]\.clientConfig\.service\.path: must start with a '\/'/],
    ['empty path segment', variant('validating', (h) => { put(service(h), 'path', '/validate//enforce'); }), /segment\[1\] may not be empty/],
    ['url and service', variant('validating', (h) => { h.clientConfig.url = 'https://x.example.com/'; }), /^webhooks\[0\]\.clientConfig: exactly one of url or service is required/],
    ['http url', variant('validating', (h) => { h.clientConfig = { url: 'http://x.example.com/validate' }; }), /'https' is the only allowed URL scheme/],
    ['url with a query', variant('validating', (h) => { h.clientConfig = { url: 'https://x.example.com/validate?a=1' }; }), /query parameters are not permitted/],
    ['bad port', variant('validating', (h) => { put(service(h), 'port', 0); }), /service\.port: must be a port number/],
    ['caBundle not base64', variant('validating', (h) => { h.clientConfig.caBundle = 'not base64!'; }), /caBundle: must be base64$/],
    ['caBundle without a certificate', variant('validating', (h) => { h.clientConfig.caBundle = Buffer.from('hello').toString('base64'); }), /caBundle: must be base64 of PEM certificates/],
    ['`*` resources beside others', variant('validating', (h) => { first(h.rules).resources = ['*', 'pods']; }), /resources: if '\*' is present, must not specify other resources without subresources/],
    ['`*/*` beside others', variant('validating', (h) => { first(h.rules).resources = ['*/*', 'pods/status']; }), /if '\*\/\*' is present, must not specify other resources/],
    ['`*` group beside others', variant('validating', (h) => { first(h.rules).apiGroups = ['*', 'apps']; }), /apiGroups: if '\*' is present, must not specify other API groups/],
    ['no resources', variant('validating', (h) => { first(h.rules).resources = []; }), /resources: is required/],
    ['unknown operation', variant('validating', (h) => { put(first(h.rules), 'operations', ['PATCH']); }), /operations: unsupported operation "PATCH"/],
    ['bad scope', variant('validating', (h) => { put(first(h.rules), 'scope', 'Everything'); }), /scope: must be one of/],
    ['NotIn without values', variant('validating', (h) => { put(expression(h), 'values', []); }), /matchExpressions\[0\]\.values: must be specified when `operator` is 'In' or 'NotIn'/],
    ['Exists with values', variant('validating', (h) => { put(expression(h), 'operator', 'Exists'); }), /may not be specified when `operator` is 'Exists'/],
    ['bad label value', variant('validating', (h) => { put(expression(h), 'values', ['not ok']); }), /"not ok" is not a valid label value/],
    ['timeout above 30', variant('validating', (h) => { h.timeoutSeconds = 31; }), /timeoutSeconds: must be a whole number of seconds from 1 to 30/],
    ['sideEffects missing', variant('validating', (h) => { Reflect.deleteProperty(h, 'sideEffects'); }), /sideEffects: is required/],
    ['sideEffects Some', variant('validating', (h) => { put(h, 'sideEffects', 'Some'); }), /sideEffects: must be one of None, NoneOnDryRun/],
    ['failurePolicy misspelt', variant('validating', (h) => { put(h, 'failurePolicy', 'fail'); }), /failurePolicy: must be one of Fail, Ignore/],
    ['no review versions', variant('validating', (h) => { h.admissionReviewVersions = []; }), /admissionReviewVersions: is required/],
    ['reinvocationPolicy on a validating webhook', variant('validating', (h) => { put(h, 'reinvocationPolicy', 'IfNeeded'); }), /^webhooks\[0\]\.reinvocationPolicy: unknown field/],
    ['reinvocationPolicy misspelt', variant('mutating', (h) => { put(h, 'reinvocationPolicy', 'Always'); }), /reinvocationPolicy: must be one of IfNeeded, Never/],
    ['metadata name', variant('validating', (_h, c) => { c.metadata.name = 'Palisade'; }), /^metadata\.name: must be a DNS subdomain/],
    ['wrong apiVersion', variant('validating', (_h, c) => { put(c, 'apiVersion', 'admissionregistration.k8s.io/v1beta1'); }), /^apiVersion: must be admissionregistration\.k8s\.io\/v1/],
    ['not an object', 'a string', /^\(root\): must be an object/],
  ];
  for (const [name, object, expected] of cases) {
    const problems = checkWebhookConfiguration(object);
    t.ok(problems.some((p) => expected.test(p)), `${name}: ${problems.join('; ') || 'no problem found'}`);
  }
});
