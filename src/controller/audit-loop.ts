/**
 * The background audit loop, run by the replica that holds the lease:
 *
 *   full audit (auditSnapshot: paged lists, evaluate, owners) → write every report
 *   → watch every kind read, from its list's resourceVersion
 *   → per event: evaluate only the changed object; re-attribute; rebuild the entries of the owners
 *     it touched; write only those owners' reports
 *   → until a full audit is asked for again (rules or configuration changed, periodic resync) or
 *     the lease is lost (the signal aborts, and the audit in flight with it).
 *
 * Between audits it keeps, per object, a fingerprint and its findings (Inventory), never the
 * object; only Namespaces and the kinds context rules read are kept whole, as the audit keeps them.
 *
 * Context changes: a Namespace whose labels or annotations change re-evaluates every tracked
 * object in it (listed again, that namespace only: its modes and namespace selectors may have
 * changed); a change to a kind context rules read (NetworkPolicy, ResourceQuota, LimitRange…)
 * re-evaluates, in that namespace, the objects of the kinds context rules match.
 *
 * Everything — events, relists, flushes — runs one at a time on one queue, so state is never
 * changed by two things at once, and full audits never overlap.
 */
import { createHash } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import type { Logger } from 'pino';
import { auditSnapshot, evaluateObject, resolveImages, type AuditSnapshot, type EvaluationContext } from '../audit/audit.js';
import type { ImageVerification } from '../audit/audit-images.js';
import { collectionPath, Discovery } from '../audit/discovery.js';
import { ownerKey } from '../audit/entries.js';
import { isNamespaceKind, type AuditKind } from '../audit/kinds.js';
import { KubeApiError, type KubeApi } from '../audit/kube-api.js';
import { listPages } from '../audit/list.js';
import { ownerNodeOf, type OwnerNode, type OwnerResolver } from '../audit/owners.js';
import type { AuditEntry } from '../audit/types.js';
import type { PalisadeConfig } from '../config/types.js';
import { prepareObject } from '../engine/evaluate.js';
import { kindKey } from '../engine/pod-spec.js';
import type { RuleSet } from '../engine/rule-set.js';
import { matchesAnyGlob } from '../engine/selectors.js';
import type { KubeObject } from '../engine/types.js';
import { buildReports } from '../reports/openreports.js';
import type { Report } from '../reports/types.js';
import { clusterContextOf } from '../scan/scan.js';
import { Inventory, type OwnerChange } from './inventory.js';
import { abortableSleep, KindWatch, type WatchTiming } from './kind-watch.js';
import type { ComplianceInputs, ControllerMetrics } from './metrics.js';
import type { ReportSink, ReportSource } from './report-sink.js';
import type { WatchApi, WatchEvent } from './watch-stream.js';
import { isRecord } from '../json/is-record.js';

export interface LoopPolicy {
  ruleSet: RuleSet;
  config: PalisadeConfig;
  /** Image verification, when the configuration sets it up: images are resolved as at admission. */
  images?: ImageVerification;
}

/** All defaults in one place. */
export const LOOP_DEFAULTS = {
  resyncMs: 10 * 60_000,
  /** Reports are written at least this often while events keep coming. */
  maxBatchMs: 1_000,
  maxBatchEvents: 1_000,
  /** Backoff between failed full audits, and before writing again what could not be written. */
  initialRetryMs: 1_000,
  maxRetryMs: 30_000,
} as const;

export interface AuditLoopOptions {
  api: KubeApi;
  watchApi: WatchApi;
  /** The rules and configuration to audit with now (undefined: none loaded yet). */
  policy: () => LoopPolicy | undefined;
  reports: ReportSink;
  /** Run once per leadership term, before the first audit: make sure reports can be stored. */
  prepare?: (signal: AbortSignal) => Promise<void>;
  metrics: ControllerMetrics;
  log: Logger;
  now?: () => Date;
  resyncMs?: number;
  /** Owner labels copied onto reports (buildReports' ownerLabels), e.g. the team label. */
  ownerLabels?: readonly string[];
  pageSize?: number;
  watchTiming?: WatchTiming;
  maxBatchMs?: number;
  maxBatchEvents?: number;
  initialRetryMs?: number;
  maxRetryMs?: number;
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

type Task =
  | { type: 'event'; kind: WatchedKind; event: WatchEvent; at: number }
  | { type: 'relist'; kind: WatchedKind; resolve: (resourceVersion: string) => void; reject: (error: unknown) => void };

/** A kind the loop watches: audited, read for context rules, and/or the Namespaces. */
interface WatchedKind extends AuditKind {
  isNamespace: boolean;
}

/** Everything one round (one full audit and what follows it) knows. */
interface Round {
  policy: LoopPolicy;
  context: EvaluationContext & { namespaces: Map<string, KubeObject>; namespaceLabels: Map<string, Record<string, string>> };
  /** kindKey → uid → object, for the kinds context rules read (Namespaces live in context.namespaces). */
  contextObjects: Map<string, Map<string, KubeObject>>;
  contextKinds: WatchedKind[];
  /** Audited kinds some context rule matches: re-evaluated when a namespace's context changes. */
  contextMatched: WatchedKind[];
  watched: WatchedKind[];
  /** Where each kind's watch starts: its list's resourceVersion, by kind label. */
  listVersions: Map<string, string>;
  /** Kinds the full audit could not list (by label). */
  skipped: Set<string>;
  resolver: OwnerResolver;
  inventory: Inventory;
  /** Owner key → hash of its reports as last written (owners without reports are not in it). */
  signatures: Map<string, string>;
  queue: Task[];
  /** Namespaces whose labels or annotations changed: every tracked object in them is re-evaluated. */
  namespacesChanged: Set<string>;
  /** Namespaces whose context objects changed ('*': a cluster-scoped one, so all). */
  contextChanged: Set<string>;
  clusterStale: boolean;
  /** Owners whose reports could not be written: tried again at the next flush. */
  unsynced: Map<string, OwnerChange>;
  /** Arrival times of the events applied since the last flush. */
  arrivals: number[];
  firstUnflushed: number | undefined;
}

export class AuditLoop {
  readonly #o: AuditLoopOptions;
  readonly #log: Logger;
  readonly #now: () => Date;
  readonly #sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  #fullRequested: string | undefined;
  #wake: (() => void) | undefined;
  #ready = false;
  #running: Promise<void> | undefined;
  #compliance: ComplianceInputs | undefined;

  constructor(options: AuditLoopOptions) {
    this.#o = options;
    this.#log = options.log.child({ component: 'audit-loop' });
    this.#now = options.now ?? (() => new Date());
    this.#sleep = options.sleep ?? abortableSleep;
    const resyncMs = options.resyncMs ?? LOOP_DEFAULTS.resyncMs;
    if (!(resyncMs > 0)) throw new RangeError(`resyncMs must be positive, got ${resyncMs}`);
    options.metrics.setCompliance(() => this.#compliance);
  }

  /** True once this term's first full audit has written its reports. */
  get ready(): boolean {
    return this.#ready;
  }

  /** Asks for a full audit (rules or configuration changed): the current round ends at its next step. */
  requestFullAudit(reason: string): void {
    this.#fullRequested ??= reason;
    this.#wake?.();
  }

  /**
   * Runs until `signal` aborts (the lease is lost or the process stops). A second run waits for
   * the first to finish: audits never overlap.
   */
  async run(signal: AbortSignal): Promise<void> {
    // Every request of a full audit listens to it (discovery and owner reads run 8 at a time).
    setMaxListeners(0, signal);
    const previous = this.#running;
    let done!: () => void;
    this.#running = new Promise<void>((resolve) => (done = resolve));
    try {
      await previous;
      await this.#run(signal);
    } finally {
      this.#ready = false;
      // A replica that no longer audits reports no findings: only the leader's count.
      this.#compliance = undefined;
      done();
    }
  }

  async #run(signal: AbortSignal): Promise<void> {
    let prepared = false;
    let failures = 0;
    let reason = 'start';
    while (!signal.aborted) {
      const policy = this.#o.policy();
      if (!policy) {
        await this.#waitForWake(signal);
        continue;
      }
      this.#fullRequested = undefined;
      const round = new AbortController();
      // Every watch of the round listens to it (one per kind, often more than ten).
      setMaxListeners(0, round.signal);
      const stop = (): void => round.abort(signal.reason);
      signal.addEventListener('abort', stop, { once: true });
      const watches: Promise<void>[] = [];
      try {
        if (!prepared) {
          await this.#o.prepare?.(signal);
          prepared = true;
        }
        const state = await this.#fullAudit(policy, reason, signal);
        failures = 0;
        this.#ready = true;
        reason = await this.#follow(state, round, watches);
      } catch (error) {
        if (signal.aborted) break;
        failures += 1;
        this.#o.metrics.audits.inc({ reason, result: 'failure' });
        const retryInMs = this.#backoff(failures);
        this.#log.error({ err: (error as Error).message, reason, retryInMs }, 'the audit failed; trying again');
        await this.#sleep(retryInMs, signal).catch(() => undefined);
      } finally {
        signal.removeEventListener('abort', stop);
        round.abort();
        await Promise.all(watches);
      }
    }
  }

  #backoff(failures: number): number {
    const initial = this.#o.initialRetryMs ?? LOOP_DEFAULTS.initialRetryMs;
    const max = this.#o.maxRetryMs ?? LOOP_DEFAULTS.maxRetryMs;
    return Math.min(max, initial * 2 ** (failures - 1));
  }

  #waitForWake(signal: AbortSignal, timeoutMs?: number): Promise<void> {
    return new Promise((resolve) => {
      const finish = (): void => {
        if (timer) clearTimeout(timer);
        signal.removeEventListener('abort', finish);
        this.#wake = undefined;
        resolve();
      };
      const timer = timeoutMs !== undefined ? setTimeout(finish, timeoutMs) : undefined;
      timer?.unref();
      signal.addEventListener('abort', finish, { once: true });
      this.#wake = finish;
      if (signal.aborted) finish();
    });
  }

  // ---------------------------------------------------------------- full audit

  async #fullAudit(policy: LoopPolicy, reason: string, signal: AbortSignal): Promise<Round> {
    const started = performance.now();
    const discovery = await Discovery.load(this.#o.api, signal);
    const snapshot = await auditSnapshot({
      api: this.#o.api,
      discovery,
      ruleSet: policy.ruleSet,
      config: policy.config,
      now: this.#now,
      ...(this.#o.pageSize ? { pageSize: this.#o.pageSize } : {}),
      ...(policy.images ? { images: policy.images } : {}),
      signal,
    });
    const round = this.#roundOf(policy, snapshot);
    const { inventory, resolver } = round;
    await resolver.resolve(snapshot.objects.map((o) => o.audited), signal);
    for (const object of snapshot.objects) inventory.put(object.kind.label, object.resourceVersion, object.audited);
    const chainOf = (node: OwnerNode): OwnerNode[] => resolver.chainOf(node);
    inventory.attribute(chainOf);
    inventory.rebuild(chainOf, policy.config.policy, snapshot.startedAt);

    const entries = inventory.entries();
    const evaluated = performance.now();
    // Metrics and the rollout report reflect the audit now; the reports follow at the writer's pace.
    this.#publish(round);
    const written = this.#everyReport(round, entries, snapshot.startedAt);
    const synced = await this.#o.reports.all(written.source, signal);
    const seconds = (performance.now() - started) / 1000;
    this.#o.metrics.auditDuration.set(seconds);
    this.#o.metrics.auditObjects.set(inventory.size);
    this.#o.metrics.audits.inc({ reason, result: 'success' });
    this.#log.info({
      reason,
      seconds: Number(seconds.toFixed(3)),
      // Reading and evaluating, then writing (paced by the writer's rate limit).
      auditSeconds: Number(((evaluated - started) / 1000).toFixed(3)),
      writeSeconds: Number(((performance.now() - evaluated) / 1000).toFixed(3)),
      objects: inventory.size,
      owners: entries.length,
      reports: written.count(),
      applied: synced.applied,
      unchanged: synced.unchanged,
      deleted: synced.deleted,
      failed: synced.failed,
      notEvaluated: snapshot.notEvaluated,
      skippedKinds: snapshot.skippedKinds.map((s) => s.kind),
    }, 'full audit done');
    if (synced.failed > 0) {
      // Their owners' signatures are dropped: the next change of such an owner writes it again
      // (and so does the next resync, whatever happens).
      for (const failure of synced.failures) {
        this.#log.warn({ ...failure }, 'a report could not be written');
        const key = written.ownerOf.get(`${failure.namespace ?? ''}/${failure.name}`);
        if (key) round.signatures.delete(key);
      }
    }
    return round;
  }

  #roundOf(policy: LoopPolicy, snapshot: AuditSnapshot): Round {
    const { ruleSet } = policy;
    const namespaceEntry = snapshot.kinds.find((k) => isNamespaceKind(k));
    const namespaceKind: WatchedKind = { ...snapshot.namespaceKind, audited: namespaceEntry?.audited ?? false, context: namespaceEntry?.context ?? false, isNamespace: true };
    const watched: WatchedKind[] = [namespaceKind, ...snapshot.kinds.filter((k) => !isNamespaceKind(k)).map((k) => ({ ...k, isNamespace: false }))];
    const contextObjects = new Map<string, Map<string, KubeObject>>();
    for (const kind of watched.filter((k) => k.context && !k.isNamespace)) {
      const objects = snapshot.contextObjects.get(kindKey(kind.group, kind.kind)) ?? [];
      contextObjects.set(kindKey(kind.group, kind.kind), new Map(objects.map((o) => [uidOf(o), o])));
    }
    const context = {
      ...snapshot.context,
      namespaces: new Map(snapshot.context.namespaces),
      namespaceLabels: new Map(snapshot.context.namespaceLabels),
    };
    return {
      policy,
      context,
      contextObjects,
      contextKinds: watched.filter((k) => k.context),
      contextMatched: watched.filter((k) => k.audited && ruleSet.rulesFor(k.group, k.kind).some((r) => r.meta.ruleClass === 'context')),
      watched,
      listVersions: snapshot.listVersions,
      skipped: new Set(snapshot.skippedKinds.map((k) => k.kind)),
      resolver: snapshot.resolver,
      inventory: new Inventory(),
      signatures: new Map(),
      queue: [],
      namespacesChanged: new Set(),
      contextChanged: new Set(),
      clusterStale: false,
      unsynced: new Map(),
      arrivals: [],
      firstUnflushed: undefined,
    };
  }

  /**
   * Every report of these entries for the sink's `all`, built one namespace at a time when the sink
   * asks for it (so the cluster's reports are never all in memory at once). Each owner's signature
   * is recorded as its reports are built; `ownerOf` maps `namespace/name` of each report to its owner.
   */
  #everyReport(round: Round, entries: readonly AuditEntry[], now: Date): { source: ReportSource; count: () => number; ownerOf: Map<string, string> } {
    const byNamespace = new Map<string, AuditEntry[]>();
    for (const entry of entries) {
      const namespace = entry.owner.namespace ?? '';
      const list = byNamespace.get(namespace);
      if (list) list.push(entry);
      else byNamespace.set(namespace, [entry]);
    }
    const ownerOf = new Map<string, string>();
    let count = 0;
    const source: ReportSource = {
      namespaces: [...round.context.namespaces.keys(), ...[...byNamespace.keys()].filter((n) => n !== '')],
      reportsOf: (namespace) => {
        const reports = buildReports(resultOf(byNamespace.get(namespace ?? '') ?? [], now), this.#reportOptions(now));
        count += reports.length;
        for (const [key, owned] of groupByOwner(reports)) {
          round.signatures.set(key, signature(owned));
          for (const report of owned) ownerOf.set(`${report.metadata.namespace ?? ''}/${report.metadata.name}`, key);
        }
        return reports;
      },
    };
    return { source, count: () => count, ownerOf };
  }

  #reportOptions(now: Date) {
    return { now, ...(this.#o.ownerLabels ? { ownerLabels: this.#o.ownerLabels } : {}) };
  }

  /** What the metrics read: a new object whenever the entries changed (they are computed once per change). */
  #publish(round: Round): void {
    this.#compliance = { entries: round.inventory.entries(), rules: round.policy.ruleSet.rules.map((r) => r.meta), finishedAt: this.#now() };
  }

  // ---------------------------------------------------------------- following

  /** Watches until a full audit is asked for (returns why) or the signal aborts. */
  async #follow(round: Round, controller: AbortController, watches: Promise<void>[]): Promise<string> {
    const { signal } = controller;
    for (const kind of round.watched) {
      const resourceVersion = round.listVersions.get(kind.label);
      if (resourceVersion === undefined) {
        if (round.skipped.has(kind.label)) this.#log.warn({ kind: kind.label }, 'the kind could not be listed: not watched until the next full audit');
        else this.#log.info({ kind: kind.label }, 'the kind cannot be watched (its list has no resourceVersion): audited at each full audit only');
        continue;
      }
      const watch = new KindWatch({
        api: this.#o.watchApi,
        path: collectionPath(kind),
        label: kind.label,
        resourceVersion,
        onEvent: (event) => {
          round.queue.push({ type: 'event', kind, event, at: performance.now() });
          this.#wake?.();
        },
        relist: (relistSignal) => new Promise<string>((resolve, reject) => {
          if (relistSignal.aborted) return reject(relistSignal.reason);
          round.queue.push({ type: 'relist', kind, resolve, reject });
          this.#wake?.();
        }),
        onRestart: (reason, detail) => {
          this.#o.metrics.watchRestart(kind.label, reason);
          this.#log.warn({ kind: kind.label, reason, detail }, reason === 'gone' ? 'watch expired; listing the kind again' : 'watch restarting');
        },
        ...(this.#o.watchTiming ? { timing: this.#o.watchTiming } : {}),
      });
      watches.push(watch.run(signal));
    }
    const resync = setTimeout(() => this.requestFullAudit('resync'), this.#o.resyncMs ?? LOOP_DEFAULTS.resyncMs);
    resync.unref();
    try {
      return await this.#drain(round, signal);
    } finally {
      clearTimeout(resync);
      // Aborted here, in the same step as the queue is emptied: a watch that asks for a relist
      // after this is refused at once instead of waiting on a queue nobody drains any more.
      controller.abort();
      for (const task of round.queue.splice(0)) if (task.type === 'relist') task.reject(new Error('the round ended'));
    }
  }

  async #drain(round: Round, signal: AbortSignal): Promise<string> {
    const maxBatchMs = this.#o.maxBatchMs ?? LOOP_DEFAULTS.maxBatchMs;
    const maxBatchEvents = this.#o.maxBatchEvents ?? LOOP_DEFAULTS.maxBatchEvents;
    let retryAt: number | undefined;
    for (;;) {
      if (signal.aborted) return 'stopped';
      if (this.#fullRequested !== undefined) return this.#fullRequested;
      const task = round.queue.shift();
      if (task) {
        try {
          await this.#apply(round, task, signal);
          if (task.type === 'event') this.#o.metrics.eventEvaluation.observe((performance.now() - task.at) / 1000);
        } catch (error) {
          if (signal.aborted) return 'stopped';
          if (task.type === 'relist') task.reject(error);
          else this.#log.warn({ kind: task.kind.label, err: (error as Error).message }, 'an event could not be applied; the next full audit catches up');
        }
        const now = performance.now();
        round.firstUnflushed ??= now;
        if (round.arrivals.length >= maxBatchEvents || now - round.firstUnflushed >= maxBatchMs) retryAt = await this.#flushSafely(round, signal);
        continue;
      }
      if (this.#needsFlush(round) && (retryAt === undefined || performance.now() >= retryAt)) {
        retryAt = await this.#flushSafely(round, signal);
        continue;
      }
      await this.#waitForWake(signal, retryAt !== undefined ? Math.max(0, retryAt - performance.now()) : undefined);
    }
  }

  #needsFlush(round: Round): boolean {
    return round.inventory.dirty || round.namespacesChanged.size > 0 || round.contextChanged.size > 0 || round.unsynced.size > 0 || round.arrivals.length > 0;
  }

  /** Flushes; on failure returns when to try again (state stays marked, so nothing is lost). */
  async #flushSafely(round: Round, signal: AbortSignal): Promise<number | undefined> {
    try {
      await this.#flush(round, signal);
      return undefined;
    } catch (error) {
      if (signal.aborted) return undefined;
      const retryInMs = this.#o.initialRetryMs ?? LOOP_DEFAULTS.initialRetryMs;
      this.#log.warn({ err: (error as Error).message, retryInMs }, 'could not bring reports up to date; trying again');
      return performance.now() + retryInMs;
    }
  }

  async #apply(round: Round, task: Task, signal: AbortSignal): Promise<void> {
    if (task.type === 'relist') {
      task.resolve(await this.#relist(round, task.kind, { signal }));
      return;
    }
    round.arrivals.push(task.at);
    const { kind, event } = task;
    const object = event.object as KubeObject;
    object['apiVersion'] ??= kind.group === '' ? kind.version : `${kind.group}/${kind.version}`;
    object['kind'] ??= kind.kind;
    const deleted = event.type === 'DELETED';
    if (kind.isNamespace) this.#namespaceEvent(round, object, deleted);
    else if (kind.context) this.#contextEvent(round, kind, object, deleted);
    if (kind.audited) await this.#auditedEvent(round, kind, object, { deleted, force: false, signal });
  }

  /** Evaluates (or forgets) one object of an audited kind. */
  async #auditedEvent(round: Round, kind: WatchedKind, object: KubeObject, options: { deleted: boolean; force: boolean; signal: AbortSignal }): Promise<void> {
    const { inventory, context } = round;
    const uid = uidOf(object);
    if (!uid) return;
    if (options.deleted) {
      inventory.remove(uid);
      return;
    }
    const version = versionOf(object);
    if (!options.force && inventory.has(uid, version)) return;
    const namespace = kind.namespaced ? namespaceOf(object) : undefined;
    if (namespace && !context.namespaces.has(namespace) && !matchesAnyGlob(context.excluded, namespace)) await this.#readNamespace(round, namespace, options.signal);
    // Its images, if new to this round, from the registry first (the verifier's caches first).
    await resolveImages(kind, [object], context, options.signal);
    const verdict = evaluateObject(kind, object, context);
    if ('skipped' in verdict) {
      inventory.remove(uid);
      return;
    }
    round.resolver.remember(verdict.audited);
    inventory.put(kind.label, version, verdict.audited);
  }

  /**
   * An object in a namespace the loop has not seen (its watch event not here yet): the Namespace
   * is read, so the object is evaluated with its labels. If it cannot be read, the object is
   * evaluated without them (as a one-shot audit would), and the Namespace's own event, when it
   * comes, evaluates the namespace's objects again.
   */
  async #readNamespace(round: Round, name: string, signal: AbortSignal): Promise<void> {
    try {
      const object = await this.#o.api.get(`/api/v1/namespaces/${encodeURIComponent(name)}`, { signal });
      if (isRecord(object)) this.#namespaceEvent(round, { apiVersion: 'v1', kind: 'Namespace', ...object }, false);
    } catch (error) {
      if (signal.aborted) throw error;
      if (!(error instanceof KubeApiError && error.status === 404)) this.#log.debug({ namespace: name, err: (error as Error).message }, 'cannot read the namespace; evaluating without it for now');
    }
  }

  #namespaceEvent(round: Round, object: KubeObject, deleted: boolean): void {
    const { context } = round;
    const name = nameOf(object);
    if (!name) return;
    const before = context.namespaces.get(name);
    if (deleted) {
      context.namespaces.delete(name);
      context.namespaceLabels.delete(name);
      if (round.contextKinds.some((k) => k.isNamespace)) round.clusterStale = true;
      return;
    }
    prepareObject(object);
    context.namespaces.set(name, object);
    const node = ownerNodeOf(object);
    context.namespaceLabels.set(name, node.labels);
    round.resolver.remember(node);
    if (round.contextKinds.some((k) => k.isNamespace)) {
      round.clusterStale = true;
      round.contextChanged.add(name);
    }
    if (!before || namespaceFingerprint(before) !== namespaceFingerprint(object)) round.namespacesChanged.add(name);
  }

  #contextEvent(round: Round, kind: WatchedKind, object: KubeObject, deleted: boolean): void {
    const uid = uidOf(object);
    const objects = round.contextObjects.get(kindKey(kind.group, kind.kind));
    if (!uid || !objects) return;
    if (deleted) objects.delete(uid);
    else {
      prepareObject(object);
      objects.set(uid, object);
    }
    round.clusterStale = true;
    round.contextChanged.add(kind.namespaced ? namespaceOf(object) ?? '*' : '*');
  }

  /**
   * Lists a kind again (after 410 Gone; or one namespace of it, to re-evaluate), bringing every
   * role of it up to date, and returns the list's resourceVersion. With `force`, unchanged objects
   * are evaluated again too (their namespace or context changed).
   */
  async #relist(round: Round, kind: WatchedKind, options: { namespace?: string; force?: boolean; signal: AbortSignal }): Promise<string> {
    const { namespace, signal } = options;
    const seen = new Set<string>();
    const contextBefore = kind.context && !kind.isNamespace && namespace === undefined ? new Map(round.contextObjects.get(kindKey(kind.group, kind.kind))) : undefined;
    const namespacesBefore = kind.isNamespace && namespace === undefined ? new Set(round.context.namespaces.keys()) : undefined;
    let version = '';
    for await (const page of listPages(this.#o.api, kind, {
      ...(namespace !== undefined ? { namespace } : {}),
      ...(this.#o.pageSize ? { pageSize: this.#o.pageSize } : {}),
      signal,
    })) {
      version = page.resourceVersion ?? version;
      for (const object of page.items) {
        const uid = uidOf(object);
        if (!uid) continue;
        seen.add(uid);
        if (kind.isNamespace) this.#namespaceEvent(round, object, false);
        else if (contextBefore) {
          if (versionOf(contextBefore.get(uid) ?? {}) !== versionOf(object)) this.#contextEvent(round, kind, object, false);
          contextBefore.delete(uid);
        }
        if (kind.audited) await this.#auditedEvent(round, kind, object, { deleted: false, force: options.force ?? false, signal });
      }
    }
    // What the list no longer has was deleted while nobody watched.
    if (contextBefore) for (const object of contextBefore.values()) this.#contextEvent(round, kind, object, true);
    if (namespacesBefore) {
      for (const name of namespacesBefore) {
        const gone = round.context.namespaces.get(name);
        if (gone && !seen.has(uidOf(gone))) this.#namespaceEvent(round, gone, true);
      }
    }
    if (kind.audited) for (const uid of round.inventory.uidsOf(kind.label, namespace)) if (!seen.has(uid)) round.inventory.remove(uid);
    return version;
  }

  /** Re-evaluates what changed namespaces and contexts affect, then writes the touched owners' reports. */
  async #flush(round: Round, signal: AbortSignal): Promise<void> {
    const { inventory, resolver, context, policy } = round;
    if (round.clusterStale) {
      context.cluster = clusterContextOf([
        ...(round.contextKinds.some((k) => k.isNamespace) ? [...context.namespaces.values()] : []),
        ...[...round.contextObjects.values()].flatMap((objects) => [...objects.values()]),
      ]);
      round.clusterStale = false;
    }
    // Each namespace is crossed off once done, so a failure part-way loses nothing.
    for (const namespace of [...round.namespacesChanged]) {
      const tracked = inventory.kindsIn(namespace);
      for (const kind of round.watched) {
        if (!kind.audited || kind.isNamespace || !kind.namespaced || !tracked.has(kind.label)) continue;
        await this.#reevaluateIn(round, kind, namespace, signal);
      }
      await this.#reevaluateNamespaceObject(round, namespace, signal);
      round.namespacesChanged.delete(namespace);
    }
    if (round.contextChanged.size > 0) {
      const everywhere = round.contextChanged.has('*');
      const namespaces = everywhere ? [...context.namespaces.keys()] : [...round.contextChanged];
      for (const kind of round.contextMatched) {
        if (kind.isNamespace) for (const namespace of namespaces) await this.#reevaluateNamespaceObject(round, namespace, signal);
        else if (!kind.namespaced || everywhere) await this.#reevaluateIn(round, kind, undefined, signal);
        else for (const namespace of namespaces) await this.#reevaluateIn(round, kind, namespace, signal);
      }
      round.contextChanged.clear();
    }

    await resolver.resolve(inventory.nodesToAttribute(), signal);
    const chainOf = (node: OwnerNode): OwnerNode[] => resolver.chainOf(node);
    inventory.attribute(chainOf);
    const now = this.#now();
    for (const change of inventory.rebuild(chainOf, policy.config.policy, now)) {
      // Not written yet from an earlier flush: what was there before that one still counts.
      const before = round.unsynced.has(change.key) ? round.unsynced.get(change.key)?.before : change.before;
      round.unsynced.set(change.key, { key: change.key, ...(before ? { before } : {}), ...(change.after ? { after: change.after } : {}) });
    }
    await this.#writeOwners(round, now, signal);
    const flushed = performance.now();
    for (const at of round.arrivals) this.#o.metrics.eventLatency.observe((flushed - at) / 1000);
    round.arrivals = [];
    round.firstUnflushed = undefined;
    this.#o.metrics.auditObjects.set(inventory.size);
  }

  /** Re-evaluates the tracked objects of a kind in one namespace (or everywhere), read again. */
  async #reevaluateIn(round: Round, kind: WatchedKind, namespace: string | undefined, signal: AbortSignal): Promise<void> {
    const kept = round.contextObjects.get(kindKey(kind.group, kind.kind));
    if (kept) {
      for (const object of kept.values()) {
        if (namespace === undefined || namespaceOf(object) === namespace) await this.#auditedEvent(round, kind, object, { deleted: false, force: true, signal });
      }
      return;
    }
    await this.#relist(round, kind, { ...(namespace !== undefined ? { namespace } : {}), force: true, signal });
  }

  async #reevaluateNamespaceObject(round: Round, name: string, signal: AbortSignal): Promise<void> {
    const kind = round.watched.find((k) => k.isNamespace);
    const object = round.context.namespaces.get(name);
    if (kind?.audited && object) await this.#auditedEvent(round, kind, object, { deleted: false, force: true, signal });
  }

  /** Writes the reports of the owners whose entries changed in a way their reports show. */
  async #writeOwners(round: Round, now: Date, signal: AbortSignal): Promise<void> {
    const changes = [...round.unsynced.values()];
    if (changes.length === 0) return;
    const desired: Report[] = [];
    const uids: string[] = [];
    const wholeNamespaces = new Set<string>();
    let wholeCluster = false;
    const written: { key: string; signature: string }[] = [];
    for (const change of changes) {
      const reports = change.after ? buildReports(resultOf([change.after], now), this.#reportOptions(now)) : [];
      const next = signature(reports);
      if ((round.signatures.get(change.key) ?? '') === next) {
        round.unsynced.delete(change.key);
        continue;
      }
      written.push({ key: change.key, signature: next });
      const owner = (change.after ?? change.before)?.owner;
      const uid = change.after?.owner.uid ?? change.before?.owner.uid;
      if (uid) {
        uids.push(uid);
        desired.push(...reports);
      } else if (owner?.namespace) wholeNamespaces.add(owner.namespace);
      else wholeCluster = true;
    }
    const failedOwners = new Set<string>();
    if (uids.length > 0) {
      const result = await this.#o.reports.owners(desired, uids, signal);
      if (result.failed > 0) {
        this.#log.warn({ failed: result.failed, failures: result.failures.slice(0, 5) }, 'some reports could not be written; the next change or resync writes them');
        const ownerOf = new Map<string, string>();
        for (const [key, owned] of groupByOwner(desired)) for (const report of owned) ownerOf.set(`${report.metadata.namespace ?? ''}/${report.metadata.name}`, key);
        for (const failure of result.failures) {
          const key = ownerOf.get(`${failure.namespace ?? ''}/${failure.name}`);
          if (key) failedOwners.add(key);
        }
      }
    }
    const entries = round.inventory.entries();
    if (wholeCluster) await this.#o.reports.all(this.#everyReport(round, entries, now).source, signal);
    else {
      for (const namespace of wholeNamespaces) {
        const reports = buildReports(resultOf(entries.filter((e) => e.owner.namespace === namespace), now), this.#reportOptions(now));
        await this.#o.reports.namespace(reports, namespace, signal);
      }
    }
    for (const { key, signature: next } of written) {
      if (next === '' || failedOwners.has(key)) round.signatures.delete(key);
      else round.signatures.set(key, next);
      round.unsynced.delete(key);
    }
    if (written.length > 0) this.#publish(round);
  }

}

function resultOf(entries: AuditEntry[], now: Date) {
  return { startedAt: now, finishedAt: now, objectsByKind: {}, entries, skippedKinds: [] };
}

/** Reports grouped by the owner they are about (their scope), keyed as entries are. */
function groupByOwner(reports: readonly Report[]): Map<string, Report[]> {
  const out = new Map<string, Report[]>();
  for (const report of reports) {
    const scope = report.scope;
    if (!scope?.kind || !scope.name) continue;
    const key = ownerKey({ apiVersion: scope.apiVersion ?? '', kind: scope.kind, ...(scope.namespace ? { namespace: scope.namespace } : {}), name: scope.name });
    const list = out.get(key);
    if (list) list.push(report);
    else out.set(key, [report]);
  }
  return out;
}

/** What an owner's reports say, less the timestamps (set at each build): '' for none. */
export function signature(reports: readonly Report[]): string {
  if (reports.length === 0) return '';
  const text = JSON.stringify(reports, (key, value: unknown) => (key === 'timestamp' ? undefined : value));
  return createHash('sha1').update(text).digest('base64');
}

function namespaceFingerprint(object: KubeObject): string {
  const metadata = isRecord(object['metadata']) ? object['metadata'] : {};
  return JSON.stringify([metadata['labels'] ?? {}, metadata['annotations'] ?? {}], (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value));
}

function metadataOf(object: KubeObject): Record<string, unknown> {
  return isRecord(object['metadata']) ? object['metadata'] : {};
}

function uidOf(object: KubeObject): string {
  const uid = metadataOf(object)['uid'];
  return typeof uid === 'string' ? uid : '';
}

function versionOf(object: KubeObject): string {
  const version = metadataOf(object)['resourceVersion'];
  return typeof version === 'string' ? version : '';
}

function nameOf(object: KubeObject): string {
  const name = metadataOf(object)['name'];
  return typeof name === 'string' ? name : '';
}

function namespaceOf(object: KubeObject): string | undefined {
  const namespace = metadataOf(object)['namespace'];
  return typeof namespace === 'string' && namespace !== '' ? namespace : undefined;
}
