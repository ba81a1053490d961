/**
 * Palisade keeps its own webhook configurations true to what it serves: after every successful
 * rule or configuration load, every certificate rotation, and every `resyncMs` (so a `helm
 * upgrade` that rewrote them is corrected without a restart), it renders them (src/webhook) and
 * writes only the fields it owns (each webhook's `rules` and `clientConfig.caBundle`, see
 * owned-fields.ts) into the stored objects, with the resourceVersion it read (a conflict is read
 * again); a missing configuration is created whole. Labels, failure policies, selectors and the
 * rest stay as the chart or an operator set them. A configuration it no longer renders (mutation
 * switched off) is deleted if Palisade created it. Runs never overlap; a failed run is retried with
 * backoff and reported in logs and readiness detail.
 */
import { KubernetesObjectApi, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { mergeOwnedFields, type StoredConfiguration } from '../webhook/owned-fields.js';
import type { WebhookConfiguration } from '../webhook/types.js';

export const FIELD_MANAGER = 'palisade';

export interface ReconcilerOptions {
  kc: KubeConfig;
  log: Logger;
  /** The configurations to hold now, and the names of those Palisade may own at all. */
  render: () => { objects: WebhookConfiguration[]; names: { validating: string; mutating: string } };
  maxBackoffMs?: number;
  /** Reconcile this often besides changes (default 5 minutes). */
  resyncMs?: number;
}

const MAX_ATTEMPTS = 4;

export class WebhookReconciler {
  readonly #options: ReconcilerOptions;
  readonly #client: KubernetesObjectApi;
  #running: Promise<void> = Promise.resolve();
  #pending = false;
  #retry: NodeJS.Timeout | undefined;
  #backoffMs = 0;
  #lastError: string | undefined;
  #applied = 0;
  #stopped = false;
  #resync: NodeJS.Timeout | undefined;

  constructor(options: ReconcilerOptions) {
    this.#options = options;
    this.#client = KubernetesObjectApi.makeApiClient(options.kc);
    this.#resync = setInterval(() => void this.trigger(), options.resyncMs ?? 5 * 60_000);
    this.#resync.unref();
  }

  get lastError(): string | undefined {
    return this.#lastError;
  }

  /** How many successful reconciliations have run (for tests and readiness). */
  get applied(): number {
    return this.#applied;
  }

  /** Asks for a reconciliation; calls made while one runs fold into the next. */
  trigger(): Promise<void> {
    if (this.#pending) return this.#running;
    this.#pending = true;
    this.#running = this.#running.then(async () => {
      this.#pending = false;
      await this.#reconcile();
    });
    return this.#running;
  }

  stop(): void {
    this.#stopped = true;
    if (this.#retry) clearTimeout(this.#retry);
    if (this.#resync) clearInterval(this.#resync);
  }

  async #reconcile(): Promise<void> {
    if (this.#stopped) return;
    const { log } = this.#options;
    try {
      const { objects, names } = this.#options.render();
      for (const object of objects) await this.#write(object);
      const kept = new Set(objects.map((o) => `${o.kind}/${o.metadata.name}`));
      for (const [kind, name] of [['ValidatingWebhookConfiguration', names.validating], ['MutatingWebhookConfiguration', names.mutating]] as const) {
        if (!kept.has(`${kind}/${name}`)) await this.#deleteIfOurs(kind, name);
      }
      this.#applied += 1;
      this.#backoffMs = 0;
      this.#lastError = undefined;
      log.info({ configurations: [...kept] }, 'webhook configurations reconciled');
    } catch (error) {
      this.#lastError = describe(error);
      this.#backoffMs = Math.min(this.#options.maxBackoffMs ?? 60_000, this.#backoffMs === 0 ? 1000 : this.#backoffMs * 2);
      log.error({ err: this.#lastError, retryInMs: this.#backoffMs }, 'reconciling webhook configurations failed');
      if (this.#retry) clearTimeout(this.#retry);
      this.#retry = setTimeout(() => void this.trigger(), this.#backoffMs);
      this.#retry.unref();
    }
  }

  /** Creates the configuration, or writes Palisade's fields into the stored one. */
  async #write(rendered: WebhookConfiguration): Promise<void> {
    const ref = { apiVersion: rendered.apiVersion, kind: rendered.kind, metadata: { name: rendered.metadata.name } };
    for (let attempt = 1; ; attempt++) {
      try {
        let stored: KubernetesObject;
        try {
          stored = await this.#client.read(ref);
        } catch (error) {
          if ((error as { code?: number }).code !== 404) throw error;
          await this.#client.create(rendered as unknown as KubernetesObject, undefined, undefined, FIELD_MANAGER);
          return;
        }
        const next = mergeOwnedFields(stored as unknown as StoredConfiguration, rendered);
        if (next) await this.#client.replace(next as unknown as KubernetesObject, undefined, undefined, FIELD_MANAGER);
        return;
      } catch (error) {
        // 409: changed (or created) by someone else since it was read: read it again.
        if ((error as { code?: number }).code === 409 && attempt < MAX_ATTEMPTS) continue;
        throw error;
      }
    }
  }

  async #deleteIfOurs(kind: string, name: string): Promise<void> {
    const ref = { apiVersion: 'admissionregistration.k8s.io/v1', kind, metadata: { name } };
    let existing: KubernetesObject;
    try {
      existing = await this.#client.read(ref);
    } catch (error) {
      if ((error as { code?: number }).code === 404) return;
      throw error;
    }
    if (existing.metadata?.labels?.['app.kubernetes.io/managed-by'] !== 'palisade') return;
    await this.#client.delete(ref);
  }
}

function describe(error: unknown): string {
  const body = (error as { body?: unknown }).body;
  if (typeof body === 'string') {
    try {
      const status = JSON.parse(body) as { message?: string };
      if (status.message) return status.message;
    } catch {
      return body.slice(0, 500);
    }
  }
  return (error as Error)?.message ?? String(error);
}
