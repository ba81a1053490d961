/**
 * charts/palisade with the real helm (pinned, built by test/tools/build-go-tools.sh), for the
 * default values and every value set in test/chart/values/: what a user would observe in the
 * rendering, the dogfood scans, the webhook configurations against `palisade webhook-config`, and
 * the values schema refusing bad input. Runs under `npm run test:chart` (it needs helm), not
 * `npm test`.
 */
import t from 'tap';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { builtinRules, CHART, ROOT } from './chart-files.js';
import { argAfter, checkCommon, checkControllerRbac, checkWebhookConfigurations, checkWebhookRbac, configFile, container, F, mount, NS, podSpec, replicas, scan, valuesOf, volume } from './chart-checks.js';
import { goToolsBin, RELEASE, render, renderNotes, renderText, tool, VALUES_DIR } from './helm.js';

const bin = goToolsBin();
const hasKubeScore = tool(bin, 'kube-score', ['version']).code === 0;
const valueSets = readdirSync(VALUES_DIR).filter((n) => n.endsWith('.yaml')).sort();
/** undefined: the chart's defaults. */
const SETS: (string | undefined)[] = [undefined, ...valueSets.map((n) => join(VALUES_DIR, n))];
const label = (file: string | undefined): string => (file ? basename(file, '.yaml') : 'default values');

// ---- the checks ---------------------------------------------------------------------------------

t.test('helm lint --strict passes with the default values and every value set', async (t) => {
  for (const file of SETS) {
    const run = tool(bin, 'helm', ['lint', '--strict', CHART, '--namespace', NS, ...(file ? ['--values', file] : [])]);
    t.equal(run.code, 0, `${label(file)}: ${run.stdout.split('\n').filter((l) => /\[(WARNING|ERROR)\]/.test(l)).join('; ') || 'lint clean'}`);
  }
});

for (const file of SETS) {
  t.test(`${label(file)}: rendering, dogfood scans, webhook configurations`, async (t) => {
    const text = renderText(bin, RELEASE, file);
    const rendered = render(bin, RELEASE, file);
    const values = valuesOf(file);
    checkCommon(t, rendered, values);
    const selfManaged = !rendered.find('Certificate', `${F}-tls`);
    checkWebhookRbac(t, rendered, selfManaged);
    await checkControllerRbac(t, rendered, values);

    const restricted = scan(['--standard', 'pss-restricted', '--enforce'], text);
    t.equal(restricted.code, 0, `helm template | palisade scan --standard pss-restricted --enforce - exits 0\n${restricted.code === 0 ? '' : restricted.stdout}`);
    // Every other built-in rule too, but the two that need site settings (they fail every image
    // until configured), with the documented exceptions: the webhook patches its own
    // configurations; rbac.readAllKinds (an opt-in) reads every kind.
    const everything = scan(['--enforce', '--disable', 'require-signed-images', '--disable', 'restrict-image-registries', '--exceptions', join(ROOT, 'test/chart/scan-exceptions.yaml')], text);
    t.equal(everything.code, 0, `every built-in rule passes (documented exceptions)\n${everything.code === 0 ? '' : everything.stdout}`);

    checkWebhookConfigurations(t, text, RELEASE);

    if (hasKubeScore) {
      // kube-score's opinions, with the ones this chart rejects on purpose: pullPolicy Always is
      // for mutable tags (the chart pins a version, optionally a digest).
      const scored = tool(bin, 'kube-score', ['score', '--ignore-test', 'container-image-pull-policy', '--output-format', 'ci', '-'], text);
      const critical = scored.stdout.split('\n').filter((l) => l.startsWith('[CRITICAL]'));
      t.same(critical, [], 'kube-score: nothing critical');
    }
  });
}

t.test('the default values: the safe, highly available install', async (t) => {
  const rendered = render(bin, RELEASE);
  const webhook = rendered.get('Deployment', F);
  t.equal(replicas(webhook), 2);
  t.match(rendered.get('PodDisruptionBudget', F)['spec'], { minAvailable: 1, unhealthyPodEvictionPolicy: 'AlwaysAllow' });
  const args = container(webhook).args;
  t.equal(argAfter(args, '--cert-secret'), `${F}-tls`, 'self-managed certificates in <fullname>-tls');
  t.equal(argAfter(args, '--cert-dir'), '/tmp/certs');
  t.match(volume(webhook, 'certs'), { emptyDir: { medium: 'Memory' } }, 'keys written to memory, the Secret is not mounted');
  t.notOk(podSpec(webhook).volumes.some((v) => 'secret' in v), 'no Secret volume');
  t.same(configFile(rendered), { apiVersion: 'palisade.dev/v1alpha1', kind: 'Configuration' }, 'every rule in its shipped mode');
  t.notOk(rendered.all('Certificate').length || rendered.all('Issuer').length || rendered.all('ServiceMonitor').length);
  t.same(rendered.get('MutatingWebhookConfiguration', F)['webhooks'] && (rendered.get('MutatingWebhookConfiguration', F)['webhooks'] as { name: string }[]).map((w) => w.name), ['stamp.mutate.palisade.dev'], 'no remediation webhook until mutation is opted in');
  const validating = rendered.get('ValidatingWebhookConfiguration', F)['webhooks'] as { name: string; failurePolicy: string; timeoutSeconds: number; sideEffects: string; matchPolicy: string; namespaceSelector?: unknown; rules: { resources: string[] }[] }[];
  t.same(validating.map((w) => [w.name, w.failurePolicy]), [['enforce.validate.palisade.dev', 'Fail'], ['audit.validate.palisade.dev', 'Ignore'], ['resources.validate.palisade.dev', 'Fail']]);
  for (const w of validating) t.match(w, { timeoutSeconds: 5, sideEffects: 'None', matchPolicy: 'Equivalent' });
  t.same(validating[0]!.namespaceSelector, { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['kube-node-lease', 'kube-public', 'kube-system', NS] }] }, 'system namespaces and the release namespace are never sent');
  const everything = validating.flatMap((w) => w.rules.flatMap((r) => r.resources));
  t.notOk(everything.some((r) => ['leases', 'events'].includes(r)), 'leases and events are never intercepted');
  t.notOk(rendered.get('ValidatingWebhookConfiguration', F).metadata.annotations?.['cert-manager.io/inject-ca-from']);
  t.equal(rendered.get('Deployment', `${F}-controller`) && replicas(rendered.get('Deployment', `${F}-controller`)), 1);
});

t.test('another release name and namespace: every name follows, the webhooks still match webhook-config', async (t) => {
  const release = { name: 'sec', namespace: 'security' };
  const text = renderText(bin, release);
  const rendered = render(bin, release);
  t.ok(rendered.find('Deployment', 'sec-palisade') && rendered.find('Service', 'sec-palisade') && rendered.find('ValidatingWebhookConfiguration', 'sec-palisade'));
  t.equal(argAfter(container(rendered.get('Deployment', 'sec-palisade')).args, '--cert-secret'), 'sec-palisade-tls');
  checkWebhookConfigurations(t, text, release);
});

t.test('one replica: no PodDisruptionBudget that would block every drain, and a warning', async (t) => {
  const file = join(VALUES_DIR, 'one-replica.yaml');
  const rendered = render(bin, RELEASE, file);
  t.equal(replicas(rendered.get('Deployment', F)), 1);
  t.same(rendered.all('PodDisruptionBudget'), []);
  t.match(renderNotes(bin, RELEASE, file), /WARNING: one webhook replica/);
});

t.test('cert-manager: the CA chain, the serving certificate, the CA injected, the Secret mounted', async (t) => {
  const rendered = render(bin, RELEASE, join(VALUES_DIR, 'cert-manager.yaml'));
  t.match(rendered.get('Issuer', `${F}-selfsigned`)['spec'], { selfSigned: {} });
  t.match(rendered.get('Certificate', `${F}-ca`)['spec'], { isCA: true, secretName: `${F}-ca`, issuerRef: { name: `${F}-selfsigned`, kind: 'Issuer' } });
  t.match(rendered.get('Issuer', `${F}-ca`)['spec'], { ca: { secretName: `${F}-ca` } });
  t.match(rendered.get('Certificate', `${F}-tls`)['spec'], { secretName: `${F}-tls`, dnsNames: [F, `${F}.${NS}`, `${F}.${NS}.svc`], issuerRef: { name: `${F}-ca`, kind: 'Issuer' } });
  for (const kind of ['ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration']) {
    t.equal(rendered.get(kind, F).metadata.annotations?.['cert-manager.io/inject-ca-from'], `${NS}/${F}-tls`, `${kind}: cert-manager injects the CA`);
  }
  const webhook = rendered.get('Deployment', F);
  const args = container(webhook).args;
  t.notOk(args.includes('--cert-secret'));
  t.ok(args.includes('--no-generate-certs'), 'serves what cert-manager issued, never a certificate of its own');
  t.match(volume(webhook, 'certs'), { secret: { secretName: `${F}-tls` } });
  t.match(mount(webhook, 'certs'), { mountPath: argAfter(args, '--cert-dir'), readOnly: true });
});

t.test('custom rules: in the ConfigMap, mounted, loaded with --rules, pinned with the rest', async (t) => {
  const rendered = render(bin, RELEASE, join(VALUES_DIR, 'custom-rules.yaml'));
  const data = rendered.get('ConfigMap', `${F}-config`)['data'] as Record<string, string>;
  t.same(Object.keys(data).sort(), ['ownership.yaml', 'palisade.yaml']);
  t.match(data['ownership.yaml'], /name: require-team-label[\s\S]*---[\s\S]*name: require-service-owner/);
  t.same(configFile(rendered)['rules'], { 'require-read-only-root-filesystem': { mode: 'dry-run' } });
  for (const name of [F, `${F}-controller`]) {
    const deployment = rendered.get('Deployment', name);
    t.equal(argAfter(container(deployment).args, '--rules'), '/etc/palisade/rules', `${name}: --rules`);
    t.match(volume(deployment, 'rules'), { configMap: { name: `${F}-config`, items: [{ key: 'ownership.yaml', path: 'ownership.yaml' }] } });
    t.match(mount(deployment, 'rules'), { mountPath: '/etc/palisade/rules', readOnly: true });
  }
  t.match(renderNotes(bin, RELEASE, join(VALUES_DIR, 'custom-rules.yaml')), /Your rules \(ownership\.yaml\) are loaded too/);
});

t.test('image verification: its Secrets and ConfigMaps mounted in both components, pinning webhook, registry egress', async (t) => {
  const rendered = render(bin, RELEASE, join(VALUES_DIR, 'image-verification.yaml'));
  for (const name of [F, `${F}-controller`]) {
    const deployment = rendered.get('Deployment', name);
    t.match(volume(deployment, 'image-files-keys'), { configMap: { name: 'cosign-keys' } }, `${name}: the key's ConfigMap`);
    t.match(mount(deployment, 'image-files-keys'), { mountPath: '/etc/palisade/images/keys', readOnly: true });
    t.match(volume(deployment, 'image-files-pull'), { secret: { secretName: 'registry-credentials' } }, `${name}: the pull Secret`);
    t.match(mount(deployment, 'image-files-pull'), { mountPath: '/etc/palisade/images/pull', readOnly: true });
  }
  const pin = (rendered.get('MutatingWebhookConfiguration', F)['webhooks'] as { name: string; failurePolicy: string; rules: { resources: string[]; operations: string[] }[] }[]).find((w) => w.name === 'pin.mutate.palisade.dev');
  t.match(pin, { failurePolicy: 'Ignore', rules: [{ resources: ['pods'], operations: ['CREATE'] }] }, 'new Pods are pinned, failing open');
  for (const name of [F, `${F}-controller`]) {
    const egress = rendered.get('NetworkPolicy', name)['spec'] as { egress: { ports: { port: number }[]; to?: { ipBlock: { cidr: string } }[] }[] };
    t.match(egress.egress.at(-1), { ports: [{ port: 443 }], to: [{ ipBlock: { cidr: '10.20.0.0/16' } }] }, `${name} may reach the registries (admission, audits)`);
  }
  const plain = render(bin, RELEASE);
  for (const name of [F, `${F}-controller`]) t.equal((plain.get('NetworkPolicy', name)['spec'] as { egress: unknown[] }).egress.length, 2, `${name}: without config.images, no registry egress`);
  t.notOk((plain.get('MutatingWebhookConfiguration', F)['webhooks'] as { name: string }[]).some((w) => w.name === 'pin.mutate.palisade.dev'), 'nor a pinning webhook');
});

t.test('dry-run: nothing denied; only the namespace-label guard fails closed', async (t) => {
  const file = join(VALUES_DIR, 'dry-run.yaml');
  const rendered = render(bin, RELEASE, file);
  const config = configFile(rendered) as { defaultMode: string; rules: Record<string, { mode: string }> };
  t.equal(config.defaultMode, 'dry-run');
  t.ok(Object.values(config.rules).every((r) => r.mode === 'dry-run'));
  t.equal(config.rules['disallow-privileged']?.mode, 'dry-run', 'a rule shipped in enforce is pinned to dry-run');
  const enforce = (rendered.get('ValidatingWebhookConfiguration', F)['webhooks'] as { name: string; rules: { resources: string[] }[] }[])[0]!;
  t.same(enforce.rules.flatMap((r) => r.resources), ['namespaces']);
  const notes = renderNotes(bin, RELEASE, file);
  t.notMatch(notes, /^ {2}enforce /m, 'NOTES: no enforced rule');
  t.match(notes, /dry-run {2}51 rules only record/);
});

t.test('enforce: one value away, every rule enforced but the ones needing site settings and the every-kind rule', async (t) => {
  const file = join(VALUES_DIR, 'enforce.yaml');
  const rendered = render(bin, RELEASE, file);
  const config = configFile(rendered) as { defaultMode: string; rules: Record<string, { mode: string }> };
  const rules = await builtinRules();
  const expected = rules.filter((r) => r.mode !== 'dry-run' && !r.everyKind).map((r) => r.id).sort();
  t.same(Object.keys(config.rules).sort(), expected);
  t.ok(Object.values(config.rules).every((r) => r.mode === 'enforce'));
  t.notOk('no-secrets-in-annotations' in config.rules, 'the rule over every kind stays in audit: enforced, every write in the cluster would wait on Palisade');
  const notes = renderNotes(bin, RELEASE, file);
  t.match(notes, new RegExp(`enforce {2}${expected.length} rules deny`));
  t.match(notes, /failurePolicy Fail/);
});

t.test('config.release keeps rules newer than the reviewed release out of the mode pins', async (t) => {
  const file = join(mkdtempSync(join(tmpdir(), 'palisade-values-')), 'release.yaml');
  writeFileSync(file, 'mode: enforce\nconfig:\n  release: 0.1.0\n');
  const config = configFile(render(bin, RELEASE, file)) as { release: string; rules: Record<string, unknown> };
  t.equal(config.release, '0.1.0');
  const reviewed = (await builtinRules()).filter((r) => r.since === '0.1.0' && r.mode !== 'dry-run' && !r.everyKind).map((r) => r.id).sort();
  t.ok(reviewed.length > 0 && reviewed.length < 40, `some rules shipped in 0.1.0 (${reviewed.join(', ')})`);
  t.same(Object.keys(config.rules).sort(), reviewed, 'only the rules of 0.1.0 are pinned; the later ones keep their own mode (dry-run for new ones)');
  rmSync(file);
});

t.test('serviceMonitor.enabled: both components scraped, the webhook over verified TLS', async (t) => {
  const rendered = render(bin, RELEASE, join(VALUES_DIR, 'service-monitor.yaml'));
  const webhook = rendered.get('ServiceMonitor', F);
  t.equal(webhook.metadata.labels?.['release'], 'prometheus');
  t.match(webhook['spec'], { endpoints: [{ port: 'https', scheme: 'https', path: '/metrics', tlsConfig: { serverName: `${F}.${NS}.svc`, ca: { secret: { name: `${F}-tls`, key: 'ca.crt' } } } }] });
  t.match(rendered.get('ServiceMonitor', `${F}-controller`)['spec'], { endpoints: [{ port: 'http', path: '/metrics' }] });
});

t.test('the less common switches: own issuer, digest, priority class, labels, spread, team label, wider controller', async (t) => {
  const rendered = render(bin, RELEASE, join(VALUES_DIR, 'options.yaml'));
  t.same(rendered.all('Issuer'), [], 'an issuer of your own: the chart creates no CA');
  t.same((rendered.get('Certificate', `${F}-tls`)['spec'] as { issuerRef: unknown }).issuerRef, { name: 'corporate-ca', kind: 'ClusterIssuer', group: 'cert-manager.io' });
  const webhook = rendered.get('Deployment', F);
  t.match((container(webhook) as unknown as { image: string }).image, /^ghcr\.io\/palisade-dev\/palisade:0\.2\.0@sha256:0123/, 'pulled by digest');
  t.equal((podSpec(webhook) as unknown as { priorityClassName: string }).priorityClassName, 'system-cluster-critical');
  t.ok(container(webhook).args.join(' ').endsWith('--body-limit 16777216'), 'extra arguments last');
  t.ok(rendered.objects.every((o) => o.metadata.labels?.['team'] === 'platform' && o.metadata.annotations?.['example.com/owner'] === 'platform'), 'common labels and annotations everywhere');
  t.equal(argAfter(container(rendered.get('Deployment', `${F}-controller`)).args, '--team-label'), 'team');
  t.match(rendered.get('PodDisruptionBudget', `${F}-controller`)['spec'], { minAvailable: 1 }, 'two controller replicas: one kept through drains');
  t.match(rendered.get('NetworkPolicy', F)['spec'], { egress: [{ to: [{ ipBlock: { cidr: '10.0.0.1/32' } }] }] });
});

t.test('mutation opted in: the remediation webhook, reinvoked if needed, failing open', async (t) => {
  const rendered = render(bin, RELEASE, join(VALUES_DIR, 'mutation.yaml'));
  const webhooks = rendered.get('MutatingWebhookConfiguration', F)['webhooks'] as { name: string; failurePolicy: string; reinvocationPolicy: string }[];
  t.same(webhooks.map((w) => [w.name, w.failurePolicy, w.reinvocationPolicy]), [['stamp.mutate.palisade.dev', 'Fail', 'Never'], ['mutate.palisade.dev', 'Ignore', 'IfNeeded']]);
});

t.test('NOTES.txt: what is enforced and how to see the rollout report', async (t) => {
  const notes = renderNotes(bin, RELEASE);
  t.match(notes, /enforce {2}13 rules deny what fails them/);
  t.match(notes, /disallow-privileged/);
  t.match(notes, /audit {4}36 rules allow with a warning/);
  t.match(notes, /dry-run {2}2 rules only record/);
  t.match(notes, `kubectl -n ${NS} port-forward deployment/${F}-controller 8080`);
  t.match(notes, "curl 'localhost:8080/reports/rollout?format=markdown'");
  t.match(notes, 'palisade report rollout');
  t.match(notes, /--set mode=dry-run/);
});

t.test('values.schema.json refuses bad values before anything is rendered', async (t) => {
  const cases: [string, RegExp][] = [
    ['replicas-string.yaml', /webhook\/replicas.*got string, want integer/],
    ['unknown-key.yaml', /additional properties 'replica' not allowed/],
    ['bad-mode.yaml', /mode.*value must be one of 'shipped', 'dry-run', 'audit', 'enforce'/],
    ['bad-certificates-mode.yaml', /certificates\/mode.*value must be one of 'self-managed', 'cert-manager'/],
    ['config-misspelt.yaml', /at '\/config': additional properties 'defaultmode' not allowed/],
    ['image-file-unmounted.yaml', /config\.images names "\/etc\/palisade\/images\/other\/trusted_root\.json", which is not in a mounted file/],
    ['image-file-two-sources.yaml', /imageFiles\/0.*oneOf/],
  ];
  t.same(readdirSync(join(VALUES_DIR, 'invalid')).sort(), cases.map(([f]) => f).sort(), 'every invalid value set has a case');
  for (const [file, message] of cases) {
    const run = tool(bin, 'helm', ['template', 'palisade', CHART, '--values', join(VALUES_DIR, 'invalid', file)]);
    t.not(run.code, 0, `${file} is refused`);
    t.match(run.stderr, message, `${file}: helm says why`);
  }
  const set = tool(bin, 'helm', ['template', 'palisade', CHART, '--set', 'webhook.replicas=two']);
  t.match(set.stderr, /got string, want integer/, '--set webhook.replicas=two is refused');
  const rule = tool(bin, 'helm', ['template', 'palisade', CHART, '--set-string', 'rules.palisade\\.yaml=x']);
  t.not(rule.code, 0, 'a user rule file may not replace palisade.yaml');
});
