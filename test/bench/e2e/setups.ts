/**
 * The three ways a Pod create is admitted, each switched on and off between runs:
 *
 * - none: no webhook configuration at all.
 * - null: the webhook configurations Palisade registers, copied from the cluster (same webhooks,
 *   rules, namespaceSelector, failurePolicy, timeout, matchPolicy, same CA), pointing at the null
 *   webhook, which runs throughout and answers allowed: true.
 * - palisade: `palisade serve --reconcile-webhooks` started as its own process; it registers its
 *   configurations itself. Switched off by stopping it and deleting them (the reconciler would put
 *   them back while it runs).
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
  /** The webhook's process while it serves. */
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

export function palisadeSetup(options: PalisadeOptions): Setup & { registered(): Promise<WebhookConfiguration[]> } {
  const { api } = options;
  let server: Server | undefined;
  const url = `https://127.0.0.1:${options.port}`;
  return {
    name: 'palisade',
    on: async (namespace) => {
      server = await startServer([
        'dist/cli/bin.js', 'serve',
        '--host', '127.0.0.1', '--port', String(options.port), '--cert-dir', options.certDir,
        '--config', options.configFile, '--namespace', 'palisade-system',
        '--kubeconfig', options.kubeconfig, '--reconcile-webhooks', '--webhook-url', url,
        // The default level: an allowed request with nothing to report is logged at debug.
        '--log-level', 'info',
      ], options.root);
      try {
        await untilPath(api, namespace, 'palisade');
      } catch (error) {
        throw new Error(`${(error as Error).message}\npalisade serve output:\n${server.output()}`);
      }
    },
    off: async (namespace) => {
      await server?.stop();
      server = undefined;
      for (const { path } of KINDS) await api.json('DELETE', `${path}/${options.name}`, undefined, [200, 202, 404]);
      await untilPath(api, namespace, 'none');
    },
    pid: () => server?.pid,
    close: async () => {
      await server?.stop();
      server = undefined;
    },
    decisions: () => podCreateDecisions(url, readFileSync(join(options.certDir, 'ca.crt'), 'utf8')),
    registered: async () => {
      const found: WebhookConfiguration[] = [];
      for (const { path } of KINDS) {
        const stored = (await api.json('GET', `${path}/${options.name}`)) as WebhookConfiguration;
        found.push({ apiVersion: stored.apiVersion, kind: stored.kind, metadata: { name: stored.metadata.name, ...(stored.metadata.labels ? { labels: stored.metadata.labels } : {}) }, webhooks: stored.webhooks });
      }
      return found;
    },
  };
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

/** The null webhook runs from `start` to `stop`; `on` and `off` apply and delete its configurations. */
export function nullSetup(options: NullOptions): Setup & { start(): Promise<void> } {
  const { api } = options;
  let server: Server | undefined;
  const pathOf = (kind: string): string => {
    const entry = KINDS.find((k) => k.kind === kind);
    if (!entry) throw new Error(`unexpected kind ${kind}`);
    return entry.path;
  };
  return {
    name: 'null',
    start: async () => {
      server = await startServer(['test/bench/e2e/null-webhook.mjs', options.certDir, String(options.port)], options.root);
    },
    close: async () => {
      await server?.stop();
      server = undefined;
    },
    on: async (namespace) => {
      for (const config of options.configurations) await api.json('POST', pathOf(config.kind), config);
      await untilPath(api, namespace, 'null');
    },
    off: async (namespace) => {
      for (const config of options.configurations) await api.json('DELETE', `${pathOf(config.kind)}/${config.metadata.name}`, undefined, [200, 202, 404]);
      await untilPath(api, namespace, 'none');
    },
    pid: () => server?.pid,
  };
}
