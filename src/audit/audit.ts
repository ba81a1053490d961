/**
 * One audit of a cluster: every object of every kind the rules match, through the same evaluate →
 * decide pipeline as admission and `palisade scan`, attributed to its owner.
 *
 *   discovery → plan (kinds.ts) → Namespaces and context kinds (kept: labels, ClusterContext)
 *   → each audited kind, page by page (list.ts): evaluate, keep metadata + findings, drop the object
 *   → owner chains (owners.ts, metadata-only reads) → decide + group (entries.ts) → AuditResult
 *
 * Full objects are never kept once evaluated, except those context rules must see (the kinds they
 * declare in contextKinds) and Namespaces, without managedFields. No process-level state: all that
 * lives is in this call, so the controller can run it again (never two at once) with the same pieces.
 *
 * auditSnapshot is the audit up to the evaluated objects; runAudit adds owners and entries. The
 * controller (src/controller/) keeps a snapshot and evaluates later changes with evaluateObject.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import type { PalisadeConfig } from '../config/types.js';
import { evaluate, prepareObject } from '../engine/evaluate.js';
import { AuditImages, type ImageVerification } from './audit-images.js';
import { kindKey } from '../engine/pod-spec.js';
import type { RuleSet } from '../engine/rule-set.js';
import { matchesAnyGlob } from '../engine/selectors.js';
import type { ClusterContext, Finding, KubeObject, Resource } from '../engine/types.js';
import { clusterContextOf } from '../scan/scan.js';
import { apiVersionOf, Discovery } from './discovery.js';
import { buildEntries, type AuditedObject } from './entries.js';
import { AUDIT_OPERATION, isNamespaceKind, planKinds, wantedKinds, type AuditKind } from './kinds.js';
import { kubeApiFor, type KubeApi } from './kube-api.js';
import { listPages } from './list.js';
import { metadataReader, OwnerResolver, ownerNodeOf } from './owners.js';
import type { AuditResult } from './types.js';
import { isRecord } from '../json/is-record.js';

export interface AuditProgress {
  /** The kind being read, as in objectsByKind (`Pod`, `apps/Deployment`). */
  kind: string;
  /** Objects of the kind read so far. */
  listed: number;
  /** Estimated number of objects of the kind, when the API server says. */
  total?: number;
}

export interface AuditOptions {
  /** The cluster. Either kc or api. */
  kc?: KubeConfig;
  /** A ready client (tests hand in a fake cluster); wins over kc. */
  api?: KubeApi;
  /** Discovery already loaded with the same client (saves its requests). */
  discovery?: Discovery;
  ruleSet: RuleSet;
  config: PalisadeConfig;
  /** The clock: read when the audit starts (decisions, expiry of exceptions) and when it ends. */
  now: () => Date;
  /** Audit one namespace only (cluster-scoped kinds the rules match are skipped). */
  namespace?: string;
  /** Also evaluate objects in the namespaces the configuration excludes (kube-system...). */
  includeExcludedNamespaces?: boolean;
  /** `limit` of each list page (default 500). */
  pageSize?: number;
  onProgress?: (progress: AuditProgress) => void;
  signal?: AbortSignal;
  /** Image verification (the configuration's `images`): images are resolved as at admission. */
  images?: ImageVerification;
}

/**
 * What one object's evaluation needs besides the object: the rules, the cluster's Namespaces (their
 * labels decide modes and namespace selectors; the object itself is `namespaceObject` in CEL) and
 * the cluster context the context rules read. The controller keeps one of these current between
 * audits, so an object changed later is evaluated exactly as a full audit would evaluate it.
 */
export interface EvaluationContext {
  ruleSet: RuleSet;
  /** Namespaces by name, prepared (prepareObject: without managedFields, integers as BigInt). */
  namespaces: ReadonlyMap<string, KubeObject>;
  namespaceLabels: ReadonlyMap<string, Record<string, string>>;
  cluster?: ClusterContext;
  /** Context rules whose context kinds could not be read: they would report what is not there. */
  untrusted: ReadonlySet<string>;
  /** Namespaces (globs) whose objects are not evaluated. */
  excluded: readonly string[];
  /** Shares identical findings and rule-id lists between objects (see interner). */
  intern?: Interner;
  /** Image statuses, resolved before the objects are evaluated (with image verification configured). */
  images?: AuditImages;
}

/** An object evaluated, or why it was not. */
export type ObjectVerdict = { audited: AuditedObject } | { skipped: 'deleting' | 'excludedNamespace' };

function ownNamespaceOf(kind: Pick<AuditKind, 'kind' | 'group'>, object: KubeObject): string | undefined {
  const metadata = isRecord(object['metadata']) ? object['metadata'] : {};
  return isNamespaceKind(kind) ? nameOf(object) : typeof metadata['namespace'] === 'string' ? metadata['namespace'] : undefined;
}

/** Why the audit does not evaluate an object, if it does not: being deleted, or in an excluded namespace. */
function skipReason(kind: Pick<AuditKind, 'kind' | 'group'>, object: KubeObject, context: Pick<EvaluationContext, 'excluded'>): 'deleting' | 'excludedNamespace' | undefined {
  const metadata = isRecord(object['metadata']) ? object['metadata'] : {};
  if (metadata['deletionTimestamp']) return 'deleting';
  const ownNamespace = ownNamespaceOf(kind, object);
  return ownNamespace && matchesAnyGlob(context.excluded, ownNamespace) ? 'excludedNamespace' : undefined;
}

/** Resolves the images of the objects of `kind` the audit will evaluate (none: nothing to do). */
export async function resolveImages(kind: Pick<AuditKind, 'kind' | 'group'>, objects: readonly KubeObject[], context: EvaluationContext, signal?: AbortSignal): Promise<void> {
  if (!context.images) return;
  await context.images.resolve(objects.filter((object) => !skipReason(kind, object, context)), signal);
}

/**
 * Evaluates one object of `kind` as the audit does: objects being deleted and objects in excluded
 * namespaces are skipped; the findings of untrusted context rules are dropped. Prepares the object
 * in place (secrets redacted, integers as BigInt); keeps nothing of it but metadata and findings.
 */
export function evaluateObject(kind: Pick<AuditKind, 'group' | 'version' | 'kind'>, object: KubeObject, context: EvaluationContext): ObjectVerdict {
  const skipped = skipReason(kind, object, context);
  if (skipped) return { skipped };
  const ownNamespace = ownNamespaceOf(kind, object);
  const namespaceObject = ownNamespace ? context.namespaces.get(ownNamespace) : undefined;
  const namespaceLabels = ownNamespace ? context.namespaceLabels.get(ownNamespace) : undefined;
  const images = context.images?.of(object);
  const resource: Resource = {
    object,
    operation: AUDIT_OPERATION,
    ...(images ? { images } : {}),
    ...(namespaceObject ? { namespaceObject } : {}),
    ...(namespaceLabels ? { namespaceLabels } : {}),
  };
  const { untrusted, intern } = context;
  const evaluation = evaluate(context.ruleSet, resource, { phase: 'audit', ...(context.cluster ? { cluster: context.cluster } : {}) });
  const findings = untrusted.size > 0 ? evaluation.findings.filter((f) => !untrusted.has(f.ruleId)) : evaluation.findings;
  const evaluated = untrusted.size > 0 ? evaluation.evaluated.filter((id) => !untrusted.has(id)) : evaluation.evaluated;
  const node = ownerNodeOf(object, apiVersionOf(kind), kind.kind);
  return {
    audited: {
      ...node,
      findings: intern ? intern.findings(findings) : findings,
      evaluated: intern ? intern.ids(evaluated) : evaluated,
      ...(namespaceLabels ? { namespaceLabels } : {}),
    },
  };
}

/** An evaluated object with the version of it that was evaluated (to tell a later change from a replay). */
export interface AuditedVersion {
  kind: AuditKind;
  resourceVersion: string;
  audited: AuditedObject;
}

/**
 * Everything one audit read and kept, before owners are resolved and entries built: runAudit turns
 * it into an AuditResult; the controller keeps it and follows the cluster from there (it watches
 * each kind from `listVersions`, evaluates changed objects with `context`, attributes them with
 * `resolver`).
 */
export interface AuditSnapshot {
  startedAt: Date;
  /** The kinds read: audited, read for context rules, or both (Namespaces are `namespaceKind`). */
  kinds: AuditKind[];
  namespaceKind: AuditKind;
  context: EvaluationContext;
  /** Objects kept whole for the context rules, by kindKey (Namespaces included). */
  contextObjects: Map<string, KubeObject[]>;
  objects: AuditedVersion[];
  /** Knows every object read, and reads (metadata only) the owners no list read. */
  resolver: OwnerResolver;
  /** The resourceVersion of each kind's list, by kind label: where a watch of it starts. */
  listVersions: Map<string, string>;
  objectsByKind: Record<string, number>;
  skippedKinds: { kind: string; reason: string }[];
  notEvaluated: { excludedNamespaces: number; deleting: number };
  namespace?: string;
}

export async function runAudit(options: AuditOptions): Promise<AuditResult> {
  const snapshot = await auditSnapshot(options);
  const audited = snapshot.objects.map((o) => o.audited);
  await snapshot.resolver.resolve(audited, options.signal);
  const entries = buildEntries(audited, (node) => snapshot.resolver.chainOf(node), options.config.policy, snapshot.startedAt);
  return {
    startedAt: snapshot.startedAt,
    finishedAt: options.now(),
    objectsByKind: snapshot.objectsByKind,
    entries,
    skippedKinds: snapshot.skippedKinds,
    ...(snapshot.namespace !== undefined ? { namespace: snapshot.namespace } : {}),
    notEvaluated: snapshot.notEvaluated,
  };
}

/** Reads and evaluates the cluster (or one namespace); owners are not resolved yet. */
export async function auditSnapshot(options: AuditOptions): Promise<AuditSnapshot> {
  const { ruleSet, config, signal } = options;
  const api = options.api ?? (options.kc ? kubeApiFor(options.kc) : undefined);
  if (!api) throw new TypeError('runAudit needs kc or api');
  const startedAt = options.now();
  const namespace = options.namespace;
  const discovery = options.discovery ?? (await Discovery.load(api, signal));
  const plan = await planKinds(ruleSet, discovery, { ...(namespace !== undefined ? { namespace } : {}), ...(signal ? { signal } : {}) });
  const skippedKinds = [...plan.skipped];
  const objectsByKind: Record<string, number> = {};
  const listVersions = new Map<string, string>();
  const resolver = new OwnerResolver(metadataReader(api, discovery, options.pageSize ? { pageSize: options.pageSize } : {}));
  const images = options.images ? new AuditImages(options.images, ruleSet) : undefined;
  /** `prepare` runs on each page before its objects are handled (image resolution). */
  const read = async (kind: AuditKind, handle: (object: KubeObject, resourceVersion: string) => void, fieldSelector?: string, prepare?: (objects: KubeObject[]) => Promise<void>): Promise<boolean> => {
    signal?.throwIfAborted();
    let listed = 0;
    try {
      const pages = listPages(api, kind, {
        ...(kind.namespaced && namespace !== undefined ? { namespace } : {}),
        ...(fieldSelector ? { fieldSelector } : {}),
        ...(options.pageSize ? { pageSize: options.pageSize } : {}),
        ...(signal ? { signal } : {}),
      });
      let listVersion: string | undefined;
      for await (const page of pages) {
        await prepare?.(page.items);
        for (const object of page.items) handle(object, resourceVersionOf(object));
        listed = page.listed;
        listVersion = page.resourceVersion ?? listVersion;
        options.onProgress?.({ kind: kind.label, listed, ...(page.total !== undefined ? { total: page.total } : {}) });
      }
      if (listVersion !== undefined) listVersions.set(kind.label, listVersion);
      return true;
    } catch (error) {
      if (signal?.aborted) throw error;
      const message = (error as Error).message;
      // A kind both read for context and audited is tried twice; it is reported once.
      if (!skippedKinds.some((s) => s.kind === kind.label)) {
        skippedKinds.push({ kind: kind.label, reason: listed > 0 ? `listing stopped after ${listed} objects: ${message}` : `cannot be listed: ${message}` });
      }
      return false;
    } finally {
      objectsByKind[kind.label] = (objectsByKind[kind.label] ?? 0) + listed;
    }
  };

  // Namespaces first: their labels decide namespace modes and namespaceSelectors of every object.
  const namespaceKind = await namespaceResource(discovery, signal);
  const namespaces = new Map<string, KubeObject>();
  const namespaceLabelsOf = new Map<string, Record<string, string>>();
  const keep = (object: KubeObject): KubeObject => {
    prepareObject(object);
    resolver.remember(ownerNodeOf(object));
    return object;
  };
  const namespacesRead = await read(namespaceKind, (object) => {
    namespaces.set(nameOf(object), keep(object));
    namespaceLabelsOf.set(nameOf(object), ownerNodeOf(object).labels);
  }, namespace !== undefined ? `metadata.name=${namespace}` : undefined);
  if (!namespacesRead) throw new AuditError(`cannot audit without the cluster's Namespaces: ${skippedKinds.find((s) => s.kind === 'Namespace')?.reason ?? ''}`);
  if (namespace !== undefined && !namespaces.has(namespace)) throw new AuditError(`namespace "${namespace}" not found`);

  // Context kinds, kept whole (less managedFields) for the rules that declared them.
  const wanted = wantedKinds(ruleSet);
  const collected = new Map<string, KubeObject[]>([[kindKey('', 'Namespace'), [...namespaces.values()]]]);
  const untrusted = new Set<string>();
  for (const kind of plan.kinds.filter((k) => k.context && !isNamespaceKind(k))) {
    const objects: KubeObject[] = [];
    if (await read(kind, (object) => objects.push(keep(object)))) collected.set(kindKey(kind.group, kind.kind), objects);
    // A context kind that could not be read would make its rules report what is not there.
    else for (const id of wanted.context.get(kindKey(kind.group, kind.kind)) ?? []) untrusted.add(id);
  }
  const contextKinds = plan.kinds.filter((k) => k.context);
  const cluster: ClusterContext | undefined = contextKinds.length > 0
    ? clusterContextOf(contextKinds.flatMap((k) => collected.get(kindKey(k.group, k.kind)) ?? []))
    : undefined;

  const context: EvaluationContext = {
    ruleSet,
    namespaces,
    namespaceLabels: namespaceLabelsOf,
    ...(cluster ? { cluster } : {}),
    untrusted,
    excluded: options.includeExcludedNamespaces ? [] : config.policy.excludedNamespaces,
    intern: interner(),
    ...(images ? { images } : {}),
  };
  const objects: AuditedVersion[] = [];
  const notEvaluated = { excludedNamespaces: 0, deleting: 0 };
  const evaluateOne = (kind: AuditKind, object: KubeObject, resourceVersion: string): void => {
    const verdict = evaluateObject(kind, object, context);
    if ('skipped' in verdict) {
      if (verdict.skipped === 'deleting') notEvaluated.deleting++;
      else notEvaluated.excludedNamespaces++;
      return;
    }
    resolver.remember(verdict.audited);
    objects.push({ kind, resourceVersion, audited: verdict.audited });
  };
  for (const kind of plan.kinds.filter((k) => k.audited)) {
    const kept = collected.get(kindKey(kind.group, kind.kind));
    const prepare = images ? (objects: KubeObject[]) => resolveImages(kind, objects, context, signal) : undefined;
    if (kept) {
      await prepare?.(kept);
      for (const object of kept) evaluateOne(kind, object, resourceVersionOf(object));
    } else {
      await read(kind, (object, resourceVersion) => evaluateOne(kind, object, resourceVersion), undefined, prepare);
    }
  }

  return {
    startedAt,
    kinds: plan.kinds,
    namespaceKind,
    context,
    contextObjects: collected,
    objects,
    resolver,
    listVersions,
    objectsByKind,
    skippedKinds,
    notEvaluated,
    ...(namespace !== undefined ? { namespace } : {}),
  };
}

/** The audit could not run at all (as opposed to a kind it could not read, which is reported). */
export class AuditError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AuditError';
  }
}

export async function namespaceResource(discovery: Discovery, signal: AbortSignal | undefined): Promise<AuditKind> {
  const found = await discovery.find('', 'Namespace', signal);
  if ('error' in found) throw new AuditError(`the cluster serves no Namespaces: ${found.error}`);
  return { ...found, label: 'Namespace', audited: false, context: false };
}

/**
 * Pods of one ReplicaSet give identical findings, and 3,000 Pods give the same few rule-id lists:
 * each distinct one is kept once, and the audited objects share it.
 */
export interface Interner {
  findings(list: Finding[]): readonly Finding[];
  ids(list: string[]): readonly string[];
}

export function interner(): Interner {
  const findings = new Map<string, Finding>();
  const ids = new Map<string, readonly string[]>();
  const none: readonly Finding[] = Object.freeze([]);
  return {
    findings(list) {
      if (list.length === 0) return none;
      return list.map((f) => {
        const key = [f.code, f.result, f.message, f.paths.join('\n'), f.containers.join('\n'), f.images.join('\n')].join('\u0000');
        const seen = findings.get(key);
        if (seen) return seen;
        findings.set(key, f);
        return f;
      });
    },
    ids(list) {
      const key = list.join('\u0000');
      let seen = ids.get(key);
      if (!seen) {
        seen = Object.freeze([...list]);
        ids.set(key, seen);
      }
      return seen;
    },
  };
}

function nameOf(object: KubeObject): string {
  const metadata = object['metadata'];
  const name = isRecord(metadata) ? metadata['name'] : undefined;
  return typeof name === 'string' ? name : '';
}

function resourceVersionOf(object: KubeObject): string {
  const metadata = object['metadata'];
  const version = isRecord(metadata) ? metadata['resourceVersion'] : undefined;
  return typeof version === 'string' ? version : '';
}
