/**
 * What every rendering of the chart must give, whatever the values: the hardened pods, the names,
 * least-privilege RBAC per component, and webhook configurations equal to what `palisade
 * webhook-config` renders. Used by chart.test.ts for the defaults and every value set.
 */
import type { Test } from 'tap';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { resourceNameOf } from '../../src/webhook/resource-names.js';
import { builtinRules, CHART, palisade } from './chart-files.js';
import { parseObjects, type KubeObject, type Release, type Rendered } from './helm.js';

export const F = 'palisade';
export const NS = 'palisade-system';

export interface Container {
  name: string;
  args: string[];
  ports: { name: string; containerPort: number }[];
  securityContext: Record<string, unknown>;
  resources: { requests?: Record<string, string>; limits?: Record<string, string> };
  readinessProbe?: { httpGet: { path: string; port: string; scheme?: string } };
  livenessProbe?: { httpGet: { path: string; port: string; scheme?: string } };
  lifecycle?: { preStop?: { sleep?: { seconds: number }; exec?: unknown } };
  volumeMounts: { name: string; mountPath: string; readOnly?: boolean }[];
}

export interface PodSpec {
  serviceAccountName: string;
  automountServiceAccountToken: boolean;
  securityContext: Record<string, unknown>;
  containers: Container[];
  volumes: ({ name: string } & Record<string, unknown>)[];
  affinity?: { podAntiAffinity?: { preferredDuringSchedulingIgnoredDuringExecution?: { podAffinityTerm: { topologyKey: string } }[] } };
}

export const podSpec = (deployment: KubeObject): PodSpec => (deployment['spec'] as { template: { spec: PodSpec } }).template.spec;
export const container = (deployment: KubeObject): Container => podSpec(deployment).containers[0]!;
export const replicas = (deployment: KubeObject): number => (deployment['spec'] as { replicas: number }).replicas;
export const argAfter = (args: string[], flag: string): string | undefined => (args.includes(flag) ? args[args.indexOf(flag) + 1] : undefined);
export const volume = (deployment: KubeObject, name: string) => podSpec(deployment).volumes.find((v) => v.name === name);
export const mount = (deployment: KubeObject, name: string) => container(deployment).volumeMounts.find((m) => m.name === name);

export interface PolicyRule {
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  verbs: string[];
}
export const rulesOf = (role: KubeObject): PolicyRule[] => (role['rules'] as PolicyRule[] | undefined) ?? [];
/** `group/resource` → verbs, for rules without resourceNames. */
export function grants(role: KubeObject): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const rule of rulesOf(role).filter((r) => !r.resourceNames)) {
    for (const group of rule.apiGroups ?? []) {
      for (const resource of rule.resources ?? []) {
        const key = `${group}/${resource}`;
        out.set(key, new Set([...(out.get(key) ?? []), ...rule.verbs]));
      }
    }
  }
  return out;
}

export function configFile(rendered: Rendered, name = F): Record<string, unknown> {
  const data = rendered.get('ConfigMap', `${name}-config`)['data'] as Record<string, string>;
  return parse(data['palisade.yaml']!) as Record<string, unknown>;
}

/** Hardening both pods share: what the issue asks of "the pod", and what PSS restricted checks. */
export function checkPod(t: Test, deployment: KubeObject, serviceAccount: string): void {
  const spec = podSpec(deployment);
  const c = container(deployment);
  t.equal(spec.serviceAccountName, serviceAccount, `${deployment.metadata.name}: its own service account`);
  t.equal(spec.automountServiceAccountToken, false, 'no automatic token');
  t.match(spec.securityContext, { runAsNonRoot: true, runAsUser: 65532, seccompProfile: { type: 'RuntimeDefault' } });
  t.match(c.securityContext, { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
  t.ok(c.resources.requests?.['cpu'] && c.resources.requests['memory'] && c.resources.limits?.['memory'], 'requests and a memory limit');
  // The token the client reads in a pod, explicitly: bound, expiring, with the CA and namespace.
  const token = volume(deployment, 'kube-api-access') as { projected: { sources: Record<string, unknown>[] } } | undefined;
  t.match(token?.projected.sources, [{ serviceAccountToken: { path: 'token', expirationSeconds: Number } }, { configMap: { name: 'kube-root-ca.crt' } }, { downwardAPI: {} }]);
  t.match(mount(deployment, 'kube-api-access'), { mountPath: '/var/run/secrets/kubernetes.io/serviceaccount', readOnly: true });
  t.match(volume(deployment, 'tmp'), { emptyDir: {} }, 'a writable /tmp on the read-only root');
  t.match(mount(deployment, 'tmp'), { mountPath: '/tmp' });
  t.equal(argAfter(c.args, '--config'), '/etc/palisade/config/palisade.yaml');
  t.match(volume(deployment, 'config'), { configMap: { name: `${F}-config`, items: [{ key: 'palisade.yaml' }] } });
}

/** The value set's own values (the defaults for undefined), for checks that follow them. */
export interface Values {
  networkPolicy?: { apiServer?: { ports?: number[] }; registries?: { ports?: number[] } };
  config?: Record<string, unknown>;
  controller?: { rbac?: { readAllKinds?: boolean } };
}
export const valuesOf = (file: string | undefined): Values => (file ? (parse(readFileSync(file, 'utf8')) as Values | null) ?? {} : {});

export function checkCommon(t: Test, rendered: Rendered, values: Values): void {
  const namespaced = rendered.objects.filter((o) => !['ClusterRole', 'ClusterRoleBinding', 'ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration'].includes(o.kind));
  t.same(namespaced.filter((o) => o.metadata.namespace !== NS).map((o) => `${o.kind}/${o.metadata.name}`), [], 'every namespaced object is in the release namespace');
  t.notOk(rendered.all('Secret').length, 'the chart renders no Secret: keys are made in the cluster');

  const webhook = rendered.get('Deployment', F);
  checkPod(t, webhook, `${F}-webhook`);
  const args = container(webhook).args;
  t.equal(args[0], 'serve');
  t.same([argAfter(args, '--namespace'), argAfter(args, '--service'), argAfter(args, '--webhook-name')], [NS, F, F]);
  t.ok(args.includes('--reconcile-webhooks'));
  t.match(container(webhook).readinessProbe, { httpGet: { path: '/readyz', port: 'https', scheme: 'HTTPS' } });
  t.match(container(webhook).livenessProbe, { httpGet: { path: '/healthz', port: 'https', scheme: 'HTTPS' } });
  t.same(container(webhook).lifecycle, { preStop: { sleep: { seconds: 10 } } }, 'the kubelet sleeps before SIGTERM: the image has no shell');
  t.match(container(webhook).ports, [{ name: 'https', containerPort: 8443 }]);
  t.match((webhook['spec'] as { strategy: unknown }).strategy, { rollingUpdate: { maxUnavailable: 0 } }, 'an upgrade never lowers the number of ready replicas');
  t.match(podSpec(webhook).affinity?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution, [{ podAffinityTerm: { topologyKey: 'kubernetes.io/hostname' } }]);

  const controller = rendered.get('Deployment', `${F}-controller`);
  checkPod(t, controller, `${F}-controller`);
  t.same(container(controller).args.slice(0, 3), ['controller', '--namespace', NS], 'the Lease lives in the release namespace');
  t.match(container(controller).readinessProbe, { httpGet: { path: '/readyz', port: 'http' } });
  t.match(container(controller).ports, [{ name: 'http', containerPort: 8080 }]);

  t.match(rendered.get('Service', F)['spec'], { ports: [{ port: 443, targetPort: 'https' }] });
  for (const sa of rendered.all('ServiceAccount')) t.equal(sa['automountServiceAccountToken'], false, `${sa.metadata.name}: no automatic token`);
  t.same(rendered.all('ServiceAccount').map((s) => s.metadata.name).sort(), [`${F}-controller`, `${F}-webhook`], 'one service account per component');

  const policy = rendered.get('NetworkPolicy', F)['spec'] as { policyTypes: string[]; ingress: { ports: { port: number }[]; from?: unknown }[]; egress: { ports: { port: number; protocol: string }[] }[] };
  t.same(policy.policyTypes, ['Ingress', 'Egress']);
  t.same(policy.ingress, [{ ports: [{ port: 8443, protocol: 'TCP' }] }], 'ingress: only the webhook port, from anywhere (the API server has no selector)');
  const apiPorts = (values.networkPolicy?.apiServer?.ports ?? [443, 6443]).map((p) => `${p}/TCP`);
  const registryPorts = values.config?.['images'] ? [(values.networkPolicy?.registries?.ports ?? [443]).map((p) => `${p}/TCP`)] : [];
  t.same(policy.egress.map((e) => e.ports.map((p) => `${p.port}/${p.protocol}`)), [apiPorts, ['53/UDP', '53/TCP'], ...registryPorts], 'egress: the API server, DNS, and registries with image verification only');

  t.ok(rendered.find('Lease', `${F}-audit`), 'the controller Lease belongs to the release (uninstall removes it)');
}

/** The webhook's permissions: read namespaces and Palisade's resources, write only what it owns. */
export function checkWebhookRbac(t: Test, rendered: Rendered, selfManaged: boolean): void {
  const role = rendered.get('ClusterRole', `${F}-webhook`);
  t.same(Object.fromEntries([...grants(role)].map(([k, v]) => [k, [...v].sort()])), {
    '/namespaces': ['get', 'list', 'watch'],
    'palisade.dev/rules': ['get', 'list', 'watch'],
    'palisade.dev/exceptions': ['get', 'list', 'watch'],
  }, 'cluster-wide: reads only');
  t.same(rulesOf(role).filter((r) => r.resourceNames), [{
    apiGroups: ['admissionregistration.k8s.io'],
    resources: ['validatingwebhookconfigurations', 'mutatingwebhookconfigurations'],
    resourceNames: [F],
    verbs: ['get', 'update', 'delete'],
  }], 'its own webhook configurations, by name: get, update of the fields it owns, delete for the uninstall hook');
  const secretRole = rendered.find('Role', `${F}-webhook`);
  if (!selfManaged) {
    t.notOk(secretRole, 'cert-manager: no access to Secrets at all');
    return;
  }
  t.same(rulesOf(secretRole!), [
    { apiGroups: [''], resources: ['secrets'], resourceNames: [`${F}-tls`], verbs: ['get', 'update', 'patch'] },
    { apiGroups: [''], resources: ['secrets'], verbs: ['create'] },
  ], 'self-managed: its own Secret by name, and create (which RBAC cannot limit by name)');
  t.equal(secretRole!.metadata.namespace, NS);
}

/**
 * The controller reads every kind a built-in rule names explicitly, plus what context rules read,
 * and no Secret. The expected set comes from the rules themselves: the kinds of the enforce
 * registration in `mode: enforce` (every non-wildcard rule, rendered by palisade webhook-config).
 */
export async function checkControllerRbac(t: Test, rendered: Rendered, values: Values): Promise<void> {
  const role = rendered.get('ClusterRole', `${F}-controller`);
  const granted = grants(role);
  if (values.controller?.rbac?.readAllKinds) {
    t.same([...(granted.get('*/*') ?? [])].sort(), ['get', 'list', 'watch'], 'rbac.readAllKinds: reads every kind, writes none');
    return;
  }
  const webhookRules = parse(readFileSync(join(CHART, 'files/webhook-rules.yaml'), 'utf8')) as { modes: { enforce: { enforce: { apiGroups: string[]; resources: string[] }[] } } };
  const wanted = new Set<string>();
  for (const rule of webhookRules.modes.enforce.enforce) for (const g of rule.apiGroups) for (const r of rule.resources) wanted.add(`${g}/${r}`);
  for (const rule of await builtinRules()) {
    for (const kind of rule.contextKinds) {
      const [group = '', name = ''] = kind.split('/');
      wanted.add(`${group}/${resourceNameOf(group, name).resource}`);
    }
  }
  wanted.delete('/pods/ephemeralcontainers');
  wanted.delete('/secrets');
  for (const key of [...wanted].sort()) t.same([...(granted.get(key) ?? [])].sort(), ['get', 'list', 'watch'], `controller lists and watches ${key}`);
  t.notOk([...granted.keys()].some((k) => k.endsWith('/secrets') || k === '*/*'), 'no Secrets, no wildcard');
  t.same([...(granted.get('openreports.io/reports') ?? [])].sort(), ['create', 'delete', 'get', 'list', 'patch', 'watch'], 'writes reports');
  t.match(rulesOf(role).filter((r) => r.resourceNames), [{ resources: ['customresourcedefinitions'], resourceNames: ['reports.openreports.io', 'clusterreports.openreports.io'], verbs: ['get'] }]);
  const leaseRole = rendered.get('Role', `${F}-controller`);
  t.same(rulesOf(leaseRole), [
    { apiGroups: ['coordination.k8s.io'], resources: ['leases'], resourceNames: [`${F}-audit`], verbs: ['get', 'update'] },
  ], 'its Lease, by name; the chart creates it, so no create');
}

/**
 * The chart's webhook configurations are what `palisade webhook-config` renders for the same
 * release, configuration and rules: Palisade applies its own rendering over them at start, so a
 * difference would flip back and forth between Helm and Palisade. The comparison covers the whole
 * `webhooks` list (rules, selectors, failure and reinvocation policies, timeouts) and the names.
 */
export function checkWebhookConfigurations(t: Test, text: string, release: Release): void {
  const rendered = parseObjects(text);
  const fullname = release.name.includes('palisade') ? release.name : `${release.name}-palisade`;
  const config = rendered.find((o) => o.kind === 'ConfigMap' && o.metadata.name === `${fullname}-config`)!['data'] as Record<string, string>;
  const dir = mkdtempSync(join(tmpdir(), 'palisade-chart-config-'));
  try {
    writeFileSync(join(dir, 'palisade.yaml'), config['palisade.yaml']!);
    const ruleFiles = Object.keys(config).filter((k) => k !== 'palisade.yaml');
    if (ruleFiles.length > 0) {
      const rulesDir = join(dir, 'rules');
      mkdirSync(rulesDir);
      for (const file of ruleFiles) writeFileSync(join(rulesDir, file), config[file]!);
    }
    const args = ['webhook-config', '--service', fullname, '--namespace', release.namespace, '--name', fullname, '--config', join(dir, 'palisade.yaml'), '--format', 'json', ...(ruleFiles.length ? ['--rules', join(dir, 'rules')] : [])];
    const expected = palisade(args);
    t.equal(expected.code, 0, `palisade webhook-config renders (${expected.stderr.slice(0, 300)})`);
    const items = (JSON.parse(expected.stdout) as { items: KubeObject[] }).items;
    t.same(items.map((o) => o.kind), ['ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration']);
    for (const want of items) {
      const got = rendered.find((o) => o.kind === want.kind);
      if (!got) {
        t.fail(`the chart renders no ${want.kind}`);
        continue;
      }
      t.equal(got.metadata.name, want.metadata.name, `${want.kind}: name`);
      t.same(got['webhooks'], want['webhooks'], `${want.kind}: the same webhooks as palisade webhook-config`);
      t.equal(got.metadata.annotations?.['palisade.dev/owned-fields'], want.metadata.annotations?.['palisade.dev/owned-fields']);
      t.equal(got.metadata.labels?.['app.kubernetes.io/name'], want.metadata.labels?.['app.kubernetes.io/name']);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function scan(args: string[], manifest: string): { code: number | null; stdout: string } {
  const run = palisade(['scan', ...args, '--no-color', '-'], manifest);
  return { code: run.code, stdout: run.stdout + run.stderr };
}
