/**
 * Wires a listening webhook: certificates (generated when asked, hot-reloaded), the policy
 * (loaded, watched), metrics and the Fastify app; and shuts it all down gracefully. `palisade
 * serve` and the tests call this, so what the tests exercise is what users run.
 */
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { ensureCertDir } from '../certs/cert-files.js';
import type { ServingCertOptions } from '../certs/generate.js';
import { CertSecretManager } from '../kube/cert-secret.js';
import { clusterState } from '../kube/cluster-state.js';
import { loadKubeConfig, type ClusterAccess } from '../kube/kubeconfig.js';
import { WebhookReconciler } from '../kube/webhook-reconciler.js';
import { DEFAULT_CONFIGURATION_NAME, renderWebhookConfigurations, type WebhookClient } from '../webhook/render.js';
import { buildServer, type ReadinessCheck } from './app.js';
import { CertReloader } from './cert-reloader.js';
import type { PolicySources } from './load-policy.js';
import { createMetrics, type Metrics } from './metrics.js';
import { PolicyHolder } from './policy-holder.js';
import { PolicyReloader } from './policy-reloader.js';

export interface ServeOptions {
  host: string;
  port: number;
  certDir: string;
  generateCerts: boolean;
  certNames?: ServingCertOptions;
  sources: PolicySources;
  log: Logger;
  bodyLimit?: number;
  /** Watch rules, config and certificates for changes (default true). */
  watch?: boolean;
  processMetrics?: boolean;
  /** Run against a cluster: namespace labels, Rule and Exception resources, own webhook configurations. */
  cluster?: ClusterOptions;
}

export interface ClusterOptions extends ClusterAccess {
  /** Self-managed certificates in this Secret, written to the certificate directory (see cert-secret.ts). */
  certSecret?: { name: string; namespace: string; checkIntervalMs?: number };
  /** Reconcile Palisade's webhook configurations so the API server calls it at this client. */
  webhooks?: { client: WebhookClient; name?: string; timeoutSeconds?: number };
}

export interface RunningServer {
  app: FastifyInstance;
  /** https://host:port */
  url: string;
  port: number;
  metrics: Metrics;
  policy: PolicyHolder;
  policyReloader: PolicyReloader;
  certs: CertReloader;
  /** Stops accepting connections, finishes requests in flight, stops the watchers. */
  close(): Promise<void>;
}

export class StartupError extends Error {}

export async function startServer(options: ServeOptions): Promise<RunningServer> {
  const { log } = options;
  const kc = options.cluster ? loadKubeConfig(options.cluster) : undefined;
  const certSecret = kc && options.cluster?.certSecret ? new CertSecretManager({
    kc,
    ...options.cluster.certSecret,
    certDir: options.certDir,
    serving: options.certNames ?? {},
    log: log.child({ component: 'certificate-secret' }),
  }) : undefined;
  // Before the directory is read: the Secret's set is what this replica serves.
  await certSecret?.sync();
  const ensured = await ensureCertDir(options.certDir, { generate: options.generateCerts, ...options.certNames });
  if (ensured.written.length > 0) log.info({ files: ensured.written }, 'generated a CA and a serving certificate');

  const metrics = createMetrics({ processMetrics: options.processMetrics ?? true });
  const holder = new PolicyHolder();
  let reload = (): void => {};
  const cluster = kc ? clusterState(kc, log, () => reload()) : undefined;
  const sources = cluster ? { ...options.sources, cluster: { rules: () => cluster.rules.list(), exceptions: () => cluster.exceptions.list() } } : options.sources;
  const policyReloader = new PolicyReloader({ sources, holder, metrics, log: log.child({ component: 'rules' }) });
  reload = () => void policyReloader.reload();
  // The first lists finish (or fail and retry in the background) before the first load.
  await cluster?.start();
  if (!(await policyReloader.reload())) {
    // At start there is no last good set to keep serving: refuse to start rather than serve none.
    throw new StartupError(`rules or configuration refused:\n${holder.lastError()?.message ?? ''}`);
  }

  const certLog = log.child({ component: 'certificates' });
  const certs = await CertReloader.start({
    dir: options.certDir,
    onError: (error) => certLog.error({ err: error.message }, 'certificate change refused; the last good certificate keeps serving'),
  });
  metrics.certificateExpiry.set(certs.expirySeconds());
  // The gauge is computed when scraped, so it counts down between rotations.
  const refreshExpiry = (): void => metrics.certificateExpiry.set(certs.expirySeconds());

  const webhooks = options.cluster?.webhooks;
  const reconciler = kc && webhooks ? new WebhookReconciler({
    kc,
    log: log.child({ component: 'webhook-configurations' }),
    render: () => {
      const served = holder.current();
      if (!served) throw new Error('no rule set loaded');
      const rendered = renderWebhookConfigurations(served.ruleSet, served.config, {
        client: webhooks.client,
        caBundle: certs.current.caPem,
        ...(options.sources.ownNamespace ? { ownNamespace: options.sources.ownNamespace } : {}),
        ...(webhooks.name ? { name: webhooks.name } : {}),
        ...(webhooks.timeoutSeconds ? { timeoutSeconds: webhooks.timeoutSeconds } : {}),
      });
      const name = webhooks.name ?? DEFAULT_CONFIGURATION_NAME;
      return { objects: [rendered.validating, ...(rendered.mutating ? [rendered.mutating] : [])], names: { validating: name, mutating: name } };
    },
  }) : undefined;

  const app = buildServer({
    policy: holder,
    metrics,
    logger: log,
    https: certs.current.options,
    ...(options.bodyLimit ? { bodyLimit: options.bodyLimit } : {}),
    ...(cluster ? { namespaceObject: cluster.namespaceObject } : {}),
    readiness: () => {
      refreshExpiry();
      return {
        certificates: { ok: certs.expirySeconds() > 0, ...(certs.lastError ? { detail: `last change refused: ${certs.lastError.message}` } : {}) },
        ...(certSecret ? { certificateSecret: { ok: true, ...(certSecret.lastError ? { detail: certSecret.lastError } : {}) } } : {}),
        // Without the namespace cache, namespace modes and selectors cannot be honoured.
        ...(cluster ? { namespaces: { ok: cluster.namespaces.synced, ...(cluster.namespaces.lastError ? { detail: cluster.namespaces.lastError } : {}) } } : {}),
        ...(reconciler ? { webhookConfigurations: { ok: true, applied: reconciler.applied, ...(reconciler.lastError ? { detail: reconciler.lastError } : {}) } } : {}),
      };
    },
  });
  app.addHook('onRequest', async (request) => {
    if (request.url === '/metrics') refreshExpiry();
  });
  certs.onReload((state) => {
    (app.server as unknown as { setSecureContext(o: unknown): void }).setSecureContext(state.options);
    refreshExpiry();
    certLog.info({ serial: state.serialNumber, notAfter: state.notAfter.toISOString() }, 'serving a new certificate');
  });
  if (options.watch ?? true) await policyReloader.watch();

  const address = await app.listen({ host: options.host, port: options.port });
  const port = (app.server.address() as { port: number }).port;
  // Registered only once Palisade is listening: a registration that points at a closed port with
  // failurePolicy Fail would block the cluster.
  if (reconciler) {
    holder.onReplace(() => void reconciler.trigger());
    certs.onReload(() => void reconciler.trigger());
    await reconciler.trigger();
  }
  certSecret?.start();
  log.info({ address, rules: holder.current()?.ruleSet.rules.length }, 'palisade webhook listening');
  return {
    app,
    url: `https://${options.host.includes(':') ? `[${options.host}]` : options.host}:${port}`,
    port,
    metrics,
    policy: holder,
    policyReloader,
    certs,
    close: async () => {
      policyReloader.close();
      certs.close();
      certSecret?.stop();
      reconciler?.stop();
      await app.close();
      await cluster?.stop();
    },
  };
}

