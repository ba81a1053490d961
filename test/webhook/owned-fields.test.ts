/**
 * mergeOwnedFields(): reconciling an installed configuration changes Palisade's fields only.
 */
import t from 'tap';
import { mergeOwnedFields, type StoredConfiguration } from '../../src/webhook/owned-fields.js';
import { OWNED_FIELDS_ANNOTATION } from '../../src/webhook/render.js';
import type { ValidatingWebhook, ValidatingWebhookConfiguration } from '../../src/webhook/types.js';

const rule = (resources: string[]) => ({ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE' as const], resources, scope: '*' as const });
const webhook = (name: string, resources: string[], extra: Partial<ValidatingWebhook> = {}): ValidatingWebhook => ({
  name,
  clientConfig: { service: { name: 'palisade', namespace: 'palisade-system', port: 443, path: '/validate/enforce' }, caBundle: 'T0xE' },
  rules: [rule(resources)],
  failurePolicy: 'Fail',
  matchPolicy: 'Equivalent',
  sideEffects: 'None',
  timeoutSeconds: 5,
  admissionReviewVersions: ['v1'],
  ...extra,
});
const rendered = (webhooks: ValidatingWebhook[]): ValidatingWebhookConfiguration => ({
  apiVersion: 'admissionregistration.k8s.io/v1',
  kind: 'ValidatingWebhookConfiguration',
  metadata: { name: 'palisade', labels: { 'app.kubernetes.io/managed-by': 'palisade' }, annotations: { [OWNED_FIELDS_ANNOTATION]: 'webhooks[*].clientConfig.caBundle,webhooks[*].rules' } },
  webhooks,
});
/** As installed by Helm, with an operator's edits, and read back from the API server. */
const stored = (webhooks: ValidatingWebhook[]): StoredConfiguration => ({
  apiVersion: 'admissionregistration.k8s.io/v1',
  kind: 'ValidatingWebhookConfiguration',
  metadata: { name: 'palisade', resourceVersion: '42', labels: { 'app.kubernetes.io/managed-by': 'Helm' }, annotations: { 'meta.helm.sh/release-name': 'palisade' } },
  webhooks,
});

t.test('rules and caBundle follow the rendering; everything else stays as installed', async (t) => {
  const installed = stored([webhook('enforce.validate.palisade.dev', ['pods'], { failurePolicy: 'Ignore', timeoutSeconds: 3, clientConfig: { service: { name: 'palisade', namespace: 'palisade-system', port: 443, path: '/validate/enforce' } } })]);
  const next = mergeOwnedFields(installed, rendered([webhook('enforce.validate.palisade.dev', ['pods', 'services'], { clientConfig: { url: 'https://elsewhere', caBundle: 'TkVX' } })]));
  t.ok(next, 'changed');
  const [w] = next?.webhooks ?? [];
  t.same(w?.rules, [rule(['pods', 'services'])], 'rules from the rendering');
  t.equal(w?.clientConfig.caBundle, 'TkVX', 'caBundle from the rendering');
  t.same(w?.clientConfig.service?.name, 'palisade', 'where to call is left as installed');
  t.notOk(w?.clientConfig.url);
  t.equal(w?.failurePolicy, 'Ignore', "an operator's failurePolicy stays");
  t.equal(w?.timeoutSeconds, 3);
  t.same(next?.metadata?.['labels'], { 'app.kubernetes.io/managed-by': 'Helm' }, 'labels are not touched: no tug of war with Helm');
  t.equal(next?.metadata?.['resourceVersion'], '42', 'written with the version read');
  t.equal(next?.metadata?.annotations?.[OWNED_FIELDS_ANNOTATION], 'webhooks[*].clientConfig.caBundle,webhooks[*].rules');
  t.equal(next?.metadata?.annotations?.['meta.helm.sh/release-name'], 'palisade');
});

t.test('registrations appear and go with the rules; webhooks of others stay', async (t) => {
  const installed = stored([webhook('audit.validate.palisade.dev', ['configmaps']), webhook('someone.else.example.com', ['pods'])]);
  const next = mergeOwnedFields(installed, rendered([webhook('enforce.validate.palisade.dev', ['pods'])]));
  t.same(next?.webhooks?.map((w) => w.name), ['someone.else.example.com', 'enforce.validate.palisade.dev']);
  t.same(next?.webhooks?.[1], webhook('enforce.validate.palisade.dev', ['pods']), 'a new registration is added whole');
});

t.test('nothing to write when the owned fields already agree', async (t) => {
  const current = webhook('enforce.validate.palisade.dev', ['pods'], { failurePolicy: 'Ignore' });
  const installed = stored([current]);
  installed.metadata = { ...installed.metadata, annotations: { [OWNED_FIELDS_ANNOTATION]: 'webhooks[*].clientConfig.caBundle,webhooks[*].rules' } };
  t.equal(mergeOwnedFields(installed, rendered([webhook('enforce.validate.palisade.dev', ['pods'])])), undefined);
});
