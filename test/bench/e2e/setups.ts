/**
 * The three ways a Pod create is admitted, each switched on and off between runs:
 *
 * - none: no webhook configuration at all.
 * - null: the webhook configurations Palisade registers, copied from the cluster (same webhooks,
 *   rules, namespaceSelector, failurePolicy, timeout, matchPolicy, same CA), pointing at the null
 *   webhook, which answers allowed: true.
 * - palisade: `palisade serve` against the cluster, with the configurations it registered itself
 *   when it was run once with --reconcile-webhooks.
 *
 * Both webhooks run as their own processes through the whole benchmark, so both are measured warm
 * (a webhook in a cluster runs for days); they are switched on and off by applying and deleting
 * their configurations. Restarting Palisade for every run, as this benchmark once did, measured its
 * first seconds of JIT compilation against a null webhook that had been warm for minutes.
 *
 * `on` returns once the probe sees the API server take that path; `off` once it sees none again.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, type Server } from './child.js';
import type { KubeApi } from './kube-api.js';
import { podCreateDecisions } from './palisade-metrics.js';
import { untilPath, type AdmissionPath } from './probe.js';

export type SetupName = AdmissionPath;

export interface Setup {
  readonly name: SetupName;
  on(namespace: string): Promise<void>;
  off(namespace: string): Promise<void>;
  /** The webhook's process while it runs (switched on or off). */
  pid(): number | undefined;
  /** Stops whatever it started; the configurations go with the control plane. */
  close(): Promise<void>;
  /** What the webhook says it decided about the Pod creates since `on`, when it can say. */
  decisions?(): Promise<Record<string, number>>;
}

const API = '/apis/admissionregistration.k8s.io/v1';
const KINDS = [
  { kind: 'ValidatingWebhookConfiguration', path: `${API}/validatingwebhookconfigurations` },
  { kind: 'MutatingWebhookConfiguration', path: `${API}/mutatingwebhookconfigurations` },
] as const;

/** A stored webhook configuration, reduced to what one would apply. */
export interface WebhookConfiguration {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  webhooks: { name: string; clientConfig: { url?: string; caBundle?: string }; failurePolicy?: string; rules?: { resources: string[] }[] }[];
}

export function noWebhook(api: KubeApi): Setup {
  return {
    name: 'none',
    on: (namespace) => untilPath(api, namespace, 'none'),
    off: async () => {},
    pid: () => undefined,
    close: async () => {},
  };
}

export interface PalisadeOptions {
  api: KubeApi;
  root: string;
  kubeconfig: string;
  certDir: string;
  port: number;
  configFile: string;
  /** The configurations' metadata.name (palisade's default). */
  name: string;
}

/**
 * `palisade serve --reconcile-webhooks` run once, as a user would run it, for the configurations
 * it registers itself; stopped again (its configurations deleted) once they are copied.
 */
export async function palisadeRegistration(options: PalisadeOptions, namespace: string): Promise<WebhookConfiguration[]> {
  const { api } = options;
  const server = await startServer([...palisadeArgs(options), '--reconcile-webhooks', '--webhook-url', webhookUrl(options.port)], options.root);
  const found: WebhookConfiguration[] = [];
  try {
    await untilPath(api, namespace, 'palisade');
    for (const { path } of KINDS) {
      const stored = (await api.json('GET', `${path}/${options.name}`)) as WebhookConfiguration;
      found.push({ apiVersion: stored.apiVersion, kind: stored.kind, metadata: { name: stored.metadata.name, ...(stored.metadata.labels ? { labels: stored.metadata.labels } : {}) }, webhooks: stored.webhooks });
    }
  } catch (error) {
    // The configurations are left to go with the control plane: the benchmark ends here.
    throw new Error(`${(error as Error).message}\npalisade serve output:\n${server.output()}`);
  } finally {
    // Stopped first, or its reconciler would put the configurations back.
    await server.stop();
  }
  await switchOff(api, KINDS.map(({ kind }) => ({ kind, name: options.name })), namespace);
  return found;
}

/**
 * Palisade measured: `palisade serve` against the cluster (namespace cache, Rule and Exception
 * resources) without the reconciler, switched on and off by applying and deleting the
 * configurations it registered itself (palisadeRegistration), exactly as the null webhook is.
 */
export function palisadeSetup(options: PalisadeOptions, configurations: readonly WebhookConfiguration[]): Setup & { start(): Promise<void> } {
  const url = webhookUrl(options.port);
  const ca = (): string => readFileSync(join(options.certDir, 'ca.crt'), 'utf8');
  let since: Record<string, number> = {};
  const setup = registeredSetup('palisade', options.api, configurations, palisadeArgs(options), options.root);
  return {
    ...setup,
    on: async (namespace) => {
      since = await podCreateDecisions(url, ca());
      await setup.on(namespace);
    },
    decisions: async () => {
      const now = await podCreateDecisions(url, ca());
      return Object.fromEntries(Object.entries(now).map(([decision, n]) => [decision, n - (since[decision] ?? 0)]).filter(([, n]) => n !== 0));
    },
  };
}

/** Where a webhook of the benchmark listens: loopback, the port given. */
export function webhookUrl(port: number): string {
  return `https://127.0.0.1:${port}`;
}

function palisadeArgs(options: PalisadeOptions): string[] {
  return [
    'dist/cli/bin.js', 'serve',
    '--host', '127.0.0.1', '--port', String(options.port), '--cert-dir', options.certDir,
    '--config', options.configFile, '--namespace', 'palisade-system', '--kubeconfig', options.kubeconfig,
    // The default level: an allowed request with nothing to report is logged at debug.
    '--log-level', 'info',
  ];
}

/**
 * Palisade's registered configurations, renamed and pointed at the null webhook: every
 * clientConfig.url moves from `from` to `to`, path kept; everything else is as Palisade wrote it.
 */
export function nullConfigurations(registered: readonly WebhookConfiguration[], from: string, to: string, name: string): WebhookConfiguration[] {
  return registered.map((config) => ({
    ...config,
    metadata: { ...config.metadata, name },
    webhooks: config.webhooks.map((webhook) => {
      const target = webhook.clientConfig.url;
      if (!target?.startsWith(`${from}/`)) throw new Error(`webhook ${webhook.name}: expected a URL under ${from}, got ${target ?? 'none'}`);
      return { ...webhook, clientConfig: { ...webhook.clientConfig, url: `${to}${target.slice(from.length)}` } };
    }),
  }));
}

export interface NullOptions {
  api: KubeApi;
  root: string;
  certDir: string;
  port: number;
  configurations: readonly WebhookConfiguration[];
}

export function nullSetup(options: NullOptions): Setup & { start(): Promise<void> } {
  return registeredSetup('null', options.api, options.configurations, ['test/bench/e2e/null-webhook.mjs', options.certDir, String(options.port)], options.root);
}

/**
 * A webhook process that runs from `start` to `close`, through every round, so it is measured
 * warm; `on` and `off` apply and delete its configurations.
 */
function registeredSetup(name: 'null' | 'palisade', api: KubeApi, configurations: readonly WebhookConfiguration[], args: string[], root: string): Setup & { start(): Promise<void> } {
  let server: Server | undefined;
  return {
    name,
    start: async () => {
      server = await startServer(args, root);
    },
    close: async () => {
      await server?.stop();
      server = undefined;
    },
    on: async (namespace) => {
      try {
        for (const config of configurations) await api.json('POST', pathOf(config.kind), config);
        await untilPath(api, namespace, name);
      } catch (error) {
        // The process runs through the whole benchmark: its last output says why it stopped answering.
        throw new Error(`${(error as Error).message}\n${name} webhook output:\n${server?.output() ?? '(not running)'}`);
      }
    },
    off: (namespace) => switchOff(api, configurations.map((c) => ({ kind: c.kind, name: c.metadata.name })), namespace),
    pid: () => server?.pid,
  };
}

/** Deletes the named configurations and waits until the API server calls no webhook. */
async function switchOff(api: KubeApi, configurations: readonly { kind: string; name: string }[], namespace: string): Promise<void> {
  for (const { kind, name } of configurations) await api.json('DELETE', `${pathOf(kind)}/${name}`, undefined, [200, 202, 404]);
  await untilPath(api, namespace, 'none');
}

function pathOf(kind: string): string {
  const entry = KINDS.find((k) => k.kind === kind);
  if (!entry) throw new Error(`unexpected kind ${kind}`);
  return entry.path;
}
