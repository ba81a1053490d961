/**
 * What the controller remembers of the cluster between audits: per object only a fingerprint
 * (uid + resourceVersion) and what the audit keeps of it (AuditedObject: metadata for attribution,
 * findings, evaluated rule ids), never the object; per owner the objects it stands for and its
 * current AuditEntry. Changes mark owners dirty; `attribute` and `rebuild` bring the dirty owners'
 * entries up to date, so only they are re-reported.
 *
 * Pure bookkeeping: owner chains come from a function (OwnerResolver.chainOf), time is passed in.
 */
import { buildEntries, ownerKey, type AuditedObject } from '../audit/entries.js';
import type { OwnerNode } from '../audit/owners.js';
import type { AuditEntry } from '../audit/types.js';
import type { PolicyConfig } from '../policy/types.js';

export interface TrackedObject {
  uid: string;
  /** The kind label (`apps/Deployment`): a relist of the kind finds its objects by it. */
  kind: string;
  resourceVersion: string;
  audited: AuditedObject;
  /** The owner key it is attributed to; '' until attributed. */
  owner: string;
}

export class Inventory {
  readonly #objects = new Map<string, TrackedObject>();
  /** Owner key → uids of the objects attributed to it. */
  readonly #members = new Map<string, Set<string>>();
  /** Namespace → uids of the objects in it (a namespace's change re-evaluates them). */
  readonly #byNamespace = new Map<string, Set<string>>();
  readonly #entries = new Map<string, AuditEntry>();
  /** Objects changed since the last attribution. */
  readonly #pending = new Set<string>();
  /** Owners whose entry may have changed. */
  readonly #dirty = new Set<string>();

  get size(): number {
    return this.#objects.size;
  }

  get(uid: string): TrackedObject | undefined {
    return this.#objects.get(uid);
  }

  /** True when the object is tracked at exactly this version (a replayed event). */
  has(uid: string, resourceVersion: string): boolean {
    return this.#objects.get(uid)?.resourceVersion === resourceVersion;
  }

  /** Tracks (or replaces) an evaluated object; it is attributed at the next `attribute`. */
  put(kind: string, resourceVersion: string, audited: AuditedObject): void {
    const uid = audited.ref.uid;
    if (!uid) return;
    const previous = this.#objects.get(uid);
    const owner = previous?.owner ?? '';
    if (owner) this.#dirty.add(owner);
    this.#objects.set(uid, { uid, kind, resourceVersion, audited, owner });
    const namespace = audited.ref.namespace;
    if (namespace) add(this.#byNamespace, namespace, uid);
    this.#pending.add(uid);
  }

  /** Forgets an object (deleted, or no longer evaluated); its owner is re-reported. */
  remove(uid: string): boolean {
    const tracked = this.#objects.get(uid);
    if (!tracked) return false;
    this.#objects.delete(uid);
    this.#pending.delete(uid);
    if (tracked.owner) {
      removeFrom(this.#members, tracked.owner, uid);
      this.#dirty.add(tracked.owner);
    }
    const namespace = tracked.audited.ref.namespace;
    if (namespace) removeFrom(this.#byNamespace, namespace, uid);
    return true;
  }

  /** Tracked objects of one kind (optionally in one namespace), for a relist to compare with. */
  uidsOf(kind: string, namespace?: string): string[] {
    const out: string[] = [];
    const pool = namespace === undefined ? this.#objects.keys() : (this.#byNamespace.get(namespace) ?? new Set<string>()).values();
    for (const uid of pool) if (this.#objects.get(uid)?.kind === kind) out.push(uid);
    return out;
  }

  /** The kinds that have tracked objects in a namespace. */
  kindsIn(namespace: string): Set<string> {
    const kinds = new Set<string>();
    for (const uid of this.#byNamespace.get(namespace) ?? []) {
      const kind = this.#objects.get(uid)?.kind;
      if (kind) kinds.add(kind);
    }
    return kinds;
  }

  /** Nodes waiting for attribution: changed objects and the members of dirty owners. */
  nodesToAttribute(): OwnerNode[] {
    const uids = new Set(this.#pending);
    for (const owner of this.#dirty) for (const uid of this.#members.get(owner) ?? []) uids.add(uid);
    return [...uids].flatMap((uid) => {
      const tracked = this.#objects.get(uid);
      return tracked ? [tracked.audited] : [];
    });
  }

  /**
   * Attributes the changed objects, and re-attributes the members of every dirty owner (an owner
   * deleted, orphaned or adopted moves what it stood for). Call the resolver's resolve first.
   */
  attribute(chainOf: (node: OwnerNode) => OwnerNode[]): void {
    const uids = new Set(this.#pending);
    for (const owner of this.#dirty) for (const uid of this.#members.get(owner) ?? []) uids.add(uid);
    this.#pending.clear();
    for (const uid of uids) {
      const tracked = this.#objects.get(uid);
      if (!tracked) continue;
      const chain = chainOf(tracked.audited);
      const top = chain[chain.length - 1] ?? tracked.audited;
      const key = ownerKey(top.ref);
      if (key === tracked.owner) {
        this.#dirty.add(key);
        continue;
      }
      if (tracked.owner) {
        removeFrom(this.#members, tracked.owner, uid);
        this.#dirty.add(tracked.owner);
      }
      tracked.owner = key;
      add(this.#members, key, uid);
      this.#dirty.add(key);
    }
  }

  /**
   * Rebuilds the entries of the dirty owners; returns each dirty owner's entry before and after
   * (undefined: none, because it has no objects left).
   */
  rebuild(chainOf: (node: OwnerNode) => OwnerNode[], policy: PolicyConfig, now: Date): OwnerChange[] {
    const changes: OwnerChange[] = [];
    for (const key of this.#dirty) {
      const before = this.#entries.get(key);
      const members = [...(this.#members.get(key) ?? [])].flatMap((uid) => {
        const tracked = this.#objects.get(uid);
        return tracked ? [tracked.audited] : [];
      });
      const after = members.length === 0 ? undefined : buildEntries(members, chainOf, policy, now).find((e) => ownerKey(e.owner) === key);
      if (after) this.#entries.set(key, after);
      else this.#entries.delete(key);
      changes.push({ key, ...(before ? { before } : {}), ...(after ? { after } : {}) });
    }
    this.#dirty.clear();
    return changes;
  }

  get dirty(): boolean {
    return this.#dirty.size > 0 || this.#pending.size > 0;
  }

  entries(): AuditEntry[] {
    return [...this.#entries.values()];
  }

  entry(key: string): AuditEntry | undefined {
    return this.#entries.get(key);
  }
}

export interface OwnerChange {
  key: string;
  before?: AuditEntry;
  after?: AuditEntry;
}

function add(map: Map<string, Set<string>>, key: string, value: string): void {
  const set = map.get(key);
  if (set) set.add(value);
  else map.set(key, new Set([value]));
}

function removeFrom(map: Map<string, Set<string>>, key: string, value: string): void {
  const set = map.get(key);
  if (!set) return;
  set.delete(value);
  if (set.size === 0) map.delete(key);
}
