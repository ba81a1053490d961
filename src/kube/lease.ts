/**
 * Leader election on a coordination.k8s.io Lease, the way Kubernetes controllers do it: the holder
 * renews the lease every `renewMs`; a candidate takes it over once `renewTime + leaseDuration` has
 * passed; every write carries the resourceVersion it read, so two replicas can never both win (the
 * loser gets 409 Conflict). A leader that cannot renew before the lease would expire steps down
 * at once, before another replica may take over.
 */
import { CoordinationV1Api, V1MicroTime, type KubeConfig, type V1Lease } from '@kubernetes/client-node';
import type { Logger } from 'pino';

export interface LeaseOptions {
  kc: KubeConfig;
  namespace: string;
  name: string;
  identity: string;
  log: Logger;
  leaseDurationSeconds?: number;
  renewMs?: number;
  retryMs?: number;
  onStartedLeading: () => void;
  onStoppedLeading: () => void;
  now?: () => Date;
}

export class LeaseElector {
  readonly #options: LeaseOptions;
  readonly #api: CoordinationV1Api;
  #leading = false;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  #lastRenew = 0;

  constructor(options: LeaseOptions) {
    this.#options = options;
    this.#api = options.kc.makeApiClient(CoordinationV1Api);
  }

  get leading(): boolean {
    return this.#leading;
  }

  start(): void {
    this.#stopped = false;
    void this.#tick();
  }

  /**
   * Stops campaigning. A leader releases the lease so another replica takes over at once; with
   * `release: false` it just stops renewing (what a crash looks like to the others).
   */
  async stop(options: { release?: boolean } = {}): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    if (this.#leading) {
      this.#setLeading(false);
      if (options.release === false) return;
      await this.#release().catch((error: unknown) => this.#options.log.warn({ err: String(error) }, 'could not release the lease'));
    }
  }

  async #tick(): Promise<void> {
    if (this.#stopped) return;
    const { log } = this.#options;
    const duration = (this.#options.leaseDurationSeconds ?? 15) * 1000;
    try {
      const won = await this.#tryAcquireOrRenew();
      if (won) this.#lastRenew = this.#now().getTime();
      if (won !== this.#leading) this.#setLeading(won);
    } catch (error) {
      log.warn({ err: describe(error) }, 'lease request failed');
      // Step down before the lease can expire and be taken by another replica.
      if (this.#leading && this.#now().getTime() - this.#lastRenew > duration * 0.8) this.#setLeading(false);
    }
    if (this.#stopped) return;
    const wait = this.#leading ? (this.#options.renewMs ?? duration / 3) : (this.#options.retryMs ?? duration / 5);
    this.#timer = setTimeout(() => void this.#tick(), wait);
    this.#timer.unref();
  }

  async #tryAcquireOrRenew(): Promise<boolean> {
    const { namespace, name, identity } = this.#options;
    const now = this.#now();
    let lease: V1Lease;
    try {
      lease = await this.#api.readNamespacedLease({ name, namespace });
    } catch (error) {
      if ((error as { code?: number }).code !== 404) throw error;
      await this.#api.createNamespacedLease({ namespace, body: this.#fresh(now, 0) });
      return true;
    }
    const spec = lease.spec ?? {};
    const holder = spec.holderIdentity;
    const renewed = spec.renewTime ? new Date(spec.renewTime).getTime() : 0;
    const expired = renewed + (spec.leaseDurationSeconds ?? 15) * 1000 < now.getTime();
    if (holder && holder !== identity && !expired) return false;
    const transitions = (spec.leaseTransitions ?? 0) + (holder === identity ? 0 : 1);
    const body: V1Lease = {
      ...lease,
      spec: {
        ...this.#fresh(now, transitions).spec,
        ...(holder === identity && spec.acquireTime ? { acquireTime: spec.acquireTime } : {}),
      },
    };
    try {
      await this.#api.replaceNamespacedLease({ name, namespace, body });
      return true;
    } catch (error) {
      if ((error as { code?: number }).code === 409) return false; // another replica wrote first
      throw error;
    }
  }

  async #release(): Promise<void> {
    const { namespace, name, identity } = this.#options;
    const lease = await this.#api.readNamespacedLease({ name, namespace });
    if (lease.spec?.holderIdentity !== identity) return;
    await this.#api.replaceNamespacedLease({ name, namespace, body: { ...lease, spec: { ...lease.spec, holderIdentity: undefined, leaseDurationSeconds: 1 } } });
  }

  #fresh(now: Date, transitions: number): V1Lease {
    const { namespace, name, identity } = this.#options;
    const time = new V1MicroTime(now.getTime());
    return {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name, namespace },
      spec: { holderIdentity: identity, leaseDurationSeconds: this.#options.leaseDurationSeconds ?? 15, acquireTime: time, renewTime: time, leaseTransitions: transitions },
    };
  }

  #setLeading(leading: boolean): void {
    this.#leading = leading;
    this.#options.log.info({ identity: this.#options.identity, leading }, leading ? 'became the active auditor' : 'stopped being the active auditor');
    if (leading) this.#options.onStartedLeading();
    else this.#options.onStoppedLeading();
  }

  #now(): Date {
    return (this.#options.now ?? (() => new Date()))();
  }
}

function describe(error: unknown): string {
  const body = (error as { body?: unknown }).body;
  return typeof body === 'string' ? body.slice(0, 300) : ((error as Error)?.message ?? String(error));
}
