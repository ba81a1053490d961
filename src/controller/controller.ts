/**
 * Wires `palisade controller`: the rules and configuration (loaded and watched as `palisade serve`
 * loads them, with the cluster's Rule and Exception resources), the Lease that picks the one
 * replica that audits, the audit loop it runs while it leads, the report writer, metrics and the
 * HTTP server. Every replica loads the rules and serves /reports/rollout; only the leader audits.
 *
 * Losing the lease aborts the loop (and the audit in flight); winning it again starts a fresh one
 * after the old one has stopped. close() releases the lease so another replica takes over at once.
 */
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { KubeConfig } from '@kubernetes/client-node';
import { kubeApiFor, type KubeApi } from '../audit/kube-api.js';
import { EXCEPTION_KIND, PALISADE_GROUP, PALISADE_VERSION, RULE_KIND } from '../cluster/api-names.js';
import { LeaseElector } from '../kube/lease.js';
import { ensureReportCrds } from '../kube/report-crds.js';
import { listNamespaceNames } from '../kube/report-inputs.js';
import { kubeReportStore, readStoredReports } from '../kube/report-store.js';
import { buildRolloutReport, renderRolloutJson } from '../reports/rollout.js';
import { renderRolloutHtml } from '../reports/rollout-html.js';
import { renderRolloutMarkdown } from '../reports/rollout-markdown.js';
import type { Report } from '../reports/types.js';
import type { PolicySources } from '../server/load-policy.js';
import { PolicyHolder } from '../server/policy-holder.js';
import { PolicyReloader } from '../server/policy-reloader.js';
import type { Standard } from '../standards/types.js';
import { AuditLoop } from './audit-loop.js';
import { buildControllerApp, type ReadinessCheck, type RolloutFormat } from './http.js';
import type { WatchTiming } from './kind-watch.js';
import { createControllerMetrics, type ControllerMetrics } from './metrics.js';
import { writerSink } from './report-sink.js';
import { ResourceMirror } from './resource-mirror.js';
import { kubeWatchFor } from './watch-stream.js';
import { isRecord } from '../json/is-record.js';

export const LEASE_NAME = 'palisade-audit';

export interface ControllerOptions {
  kc: KubeConfig;
  /** Namespace of the Lease. */
  namespace: string;
  /** This replica's name in the Lease. */
  identity: string;
  leaseName?: string;
  leaseDurationSeconds?: number;
  /** Rule folders, configuration file, … (the cluster's resources are added here). */
  sources: Omit<PolicySources, 'cluster'>;
  standards: readonly Standard[];
  resyncMs: number;
  host: string;
  port: number;
  /** The owner label naming the team: copied onto reports, shown by the rollout report. */
  teamLabel?: string;
  log: Logger;
  /** Watch rules and configuration files for changes (default true). */
  watchFiles?: boolean;
  watchTiming?: WatchTiming;
  pageSize?: number;
  processMetrics?: boolean;
}

export interface RunningController {
  app: FastifyInstance;
  /** http://host:port */
  url: string;
  port: number;
  loop: AuditLoop;
  elector: LeaseElector;
  metrics: ControllerMetrics;
  policy: PolicyHolder;
  /** Stops auditing, releases the lease, closes the server and the watchers. */
  close(): Promise<void>;
}

export class StartupError extends Error {}

/**
 * Palisade's Rule and Exception resources, mirrored; a change reloads the rules, but only when the
 * resources really changed (a watch that restarts lists them again: that is not a change).
 */
function clusterPolicy(kc: KubeConfig, log: Logger, onChange: () => void, timing: WatchTiming | undefined) {
  const api = kubeApiFor(kc);
  const watchApi = kubeWatchFor(kc);
  const mirror = (kind: string, resource: string) => new ResourceMirror({
    api,
    watchApi,
    resource: { group: PALISADE_GROUP, version: PALISADE_VERSION, kind, resource, namespaced: kind === EXCEPTION_KIND },
    log: log.child({ component: `cluster-${resource}` }),
    onChange,
    ...(timing ? { timing } : {}),
  });
  const rules = mirror(RULE_KIND, 'rules');
  const exceptions = mirror(EXCEPTION_KIND, 'exceptions');
  const stop = new AbortController();
  const running: Promise<void>[] = [];
  return {
    sources: { rules: () => rules.list(), exceptions: () => exceptions.list() },
    fingerprint: () => `${rules.fingerprint()}|${exceptions.fingerprint()}`,
    /** Resolves once each has been listed once (or found missing). */
    start: async () => {
      running.push(rules.run(stop.signal), exceptions.run(stop.signal));
      await Promise.all([rules.firstAttempt, exceptions.firstAttempt]);
    },
    stop: async () => {
      stop.abort();
      await Promise.all(running);
    },
  };
}

export async function startController(options: ControllerOptions): Promise<RunningController> {
  const { kc, log } = options;
  const metrics = createControllerMetrics({ standards: options.standards, ...(options.processMetrics !== undefined ? { processMetrics: options.processMetrics } : {}) });
  const holder = new PolicyHolder();

  // Until the first load, changes of the resources are what that load reads anyway.
  let loaded: string | undefined;
  const cluster = clusterPolicy(kc, log, () => {
    const now = cluster.fingerprint();
    if (loaded === undefined || now === loaded) return;
    loaded = now;
    void reloader.reload();
  }, options.watchTiming);
  const reloader = new PolicyReloader({ sources: { ...options.sources, cluster: cluster.sources }, holder, metrics: metrics.policy, log: log.child({ component: 'rules' }) });
  await cluster.start();
  loaded = cluster.fingerprint();
  if (!(await reloader.reload())) {
    await cluster.stop();
    throw new StartupError(`rules or configuration refused:\n${holder.lastError()?.message ?? ''}`);
  }

  const loop = new AuditLoop({
    api: kubeApiFor(kc),
    watchApi: kubeWatchFor(kc),
    policy: () => holder.current(),
    reports: writerSink({ store: kubeReportStore(kc), log }),
    prepare: async (signal) => {
      await ensureReportCrds(kc, log, { signal });
    },
    metrics,
    log,
    resyncMs: options.resyncMs,
    ...(options.teamLabel ? { ownerLabels: [options.teamLabel] } : {}),
    ...(options.watchTiming ? { watchTiming: options.watchTiming } : {}),
    ...(options.pageSize ? { pageSize: options.pageSize } : {}),
  });
  holder.onReplace(() => loop.requestFullAudit('policy'));

  let term: { controller: AbortController; done: Promise<void> } | undefined;
  let closing = false;
  metrics.leader.set(0);
  const elector = new LeaseElector({
    kc,
    namespace: options.namespace,
    name: options.leaseName ?? LEASE_NAME,
    identity: options.identity,
    log: log.child({ component: 'lease' }),
    ...(options.leaseDurationSeconds !== undefined ? { leaseDurationSeconds: options.leaseDurationSeconds } : {}),
    onStartedLeading: () => {
      // A lease request in flight when close() stopped the elector can still win: give it back.
      if (closing) {
        void elector.stop();
        return;
      }
      metrics.leader.set(1);
      const controller = new AbortController();
      term = { controller, done: loop.run(controller.signal).catch((error: unknown) => log.error({ err: String(error) }, 'the audit loop stopped')) };
    },
    onStoppedLeading: () => {
      metrics.leader.set(0);
      term?.controller.abort(new Error('the lease was lost'));
    },
  });

  const following = leaseFollower(kubeApiFor(kc), options.namespace, options.leaseName ?? LEASE_NAME, options.identity);
  const app = buildControllerApp({
    metrics,
    logger: log,
    readiness: async () => {
      const served = holder.current();
      const lastError = holder.lastError();
      return {
        rules: {
          ok: served !== undefined,
          ...(served ? { generation: served.generation, rules: served.ruleSet.rules.length } : {}),
          ...(lastError ? { detail: `last reload refused at ${lastError.at.toISOString()}: ${lastError.message}` } : {}),
        },
        audit: elector.leading
          ? { ok: loop.ready, role: 'leader', ...(loop.ready ? {} : { detail: 'the first full audit has not finished yet' }) }
          : await following(),
      };
    },
    rollout: async (format) => renderRollout(kc, holder, format, options.teamLabel),
  });
  if (options.watchFiles ?? true) await reloader.watch();
  await app.listen({ host: options.host, port: options.port });
  const port = (app.server.address() as { port: number }).port;
  elector.start();
  log.info({ identity: options.identity, lease: `${options.namespace}/${options.leaseName ?? LEASE_NAME}`, port }, 'palisade controller started');
  return {
    app,
    url: `http://${options.host.includes(':') ? `[${options.host}]` : options.host}:${port}`,
    port,
    loop,
    elector,
    metrics,
    policy: holder,
    close: async () => {
      closing = true;
      await elector.stop();
      await term?.done;
      reloader.close();
      await app.close();
      await cluster.stop();
    },
  };
}

/**
 * A replica that does not lead is ready once another replica holds the lease (it follows); with no
 * live holder it is about to lead, and ready only after its first audit. Read at most every 5 s.
 */
function leaseFollower(api: KubeApi, namespace: string, name: string, identity: string): () => Promise<ReadinessCheck & Record<string, unknown>> {
  let cached: { at: number; check: ReadinessCheck & Record<string, unknown> } | undefined;
  return async () => {
    if (cached && Date.now() - cached.at < 5_000) return cached.check;
    let check: ReadinessCheck & Record<string, unknown>;
    try {
      const lease = await api.get(`/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(namespace)}/leases/${encodeURIComponent(name)}`);
      const spec = isRecord(lease) && isRecord(lease['spec']) ? lease['spec'] : {};
      const holder = typeof spec['holderIdentity'] === 'string' ? spec['holderIdentity'] : '';
      const renewed = typeof spec['renewTime'] === 'string' ? Date.parse(spec['renewTime']) : 0;
      const duration = typeof spec['leaseDurationSeconds'] === 'number' ? spec['leaseDurationSeconds'] : 15;
      const live = holder !== '' && holder !== identity && renewed + duration * 1000 > Date.now();
      check = live ? { ok: true, role: 'follower', leader: holder } : { ok: false, role: 'candidate', detail: 'no other replica holds the lease: this one is about to audit' };
    } catch (error) {
      check = { ok: false, role: 'candidate', detail: `cannot read the lease: ${(error as Error).message}` };
    }
    cached = { at: Date.now(), check };
    return check;
  };
}

async function renderRollout(kc: KubeConfig, holder: PolicyHolder, format: RolloutFormat, teamLabel: string | undefined): Promise<string> {
  const served = holder.current();
  if (!served) throw new Error('no rules loaded');
  const [reports, namespaces]: [Report[], string[]] = await Promise.all([readStoredReports(kc), listNamespaceNames(kc)]);
  const report = buildRolloutReport({
    reports,
    rules: served.ruleSet.rules.map((r) => r.meta),
    config: served.config.policy,
    now: new Date(),
    namespaces,
    ...(teamLabel ? { teamLabel } : {}),
  });
  if (format === 'json') return renderRolloutJson(report);
  if (format === 'html') return renderRolloutHtml(report);
  return renderRolloutMarkdown(report);
}
