/**
 * Self-managed certificates (`palisade serve --cert-secret NAME`): the CA and serving certificate
 * live in one Secret of type kubernetes.io/tls in Palisade's namespace, shared by every replica.
 * Each replica, at start and then every `checkIntervalMs`, reads the Secret, lets planRotation()
 * decide what it should hold now, writes it back if that changed (with the resourceVersion it read,
 * so two replicas racing cannot both win: the loser re-reads and adopts the winner's set), and
 * writes the result into the certificate directory, where the CertReloader picks it up and the
 * webhook reconciler puts the CA bundle into caBundle.
 *
 * Key material goes to the Secret and to the certificate directory (0600) only; it is never logged.
 */
import { CoreV1Api, type KubeConfig, type V1Secret } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { writeCertDir } from '../certs/cert-files.js';
import { planRotation, type ManagedCertSet, type RotationOptions } from '../certs/rotation.js';

export interface CertSecretOptions extends RotationOptions {
  kc: KubeConfig;
  namespace: string;
  name: string;
  certDir: string;
  log: Logger;
  /** How often to re-check (default 1 h): rotations, and changes another replica made. */
  checkIntervalMs?: number;
  now?: () => Date;
}

const KEYS = { caPem: 'ca.crt', caKeyPem: 'ca.key', nextCaPem: 'next-ca.crt', nextCaKeyPem: 'next-ca.key', certPem: 'tls.crt', keyPem: 'tls.key' } as const;
const MAX_ATTEMPTS = 4;
export const DEFAULT_CERT_CHECK_INTERVAL_MS = 60 * 60 * 1000;

export class CertSecretManager {
  readonly #options: CertSecretOptions;
  readonly #api: CoreV1Api;
  #timer: NodeJS.Timeout | undefined;
  #written = '';
  /** The last check's error, for readiness; undefined after a good check. */
  lastError: string | undefined;

  constructor(options: CertSecretOptions) {
    this.#options = options;
    this.#api = options.kc.makeApiClient(CoreV1Api);
  }

  /** Makes sure the Secret holds a good set and the directory holds the same. Throws when it cannot. */
  async sync(): Promise<void> {
    const { log } = this.#options;
    for (let attempt = 1; ; attempt++) {
      const current = await this.#read();
      const now = this.#options.now?.() ?? new Date();
      const plan = planRotation(current ? fromSecret(current) : undefined, now, this.#options);
      if (plan.changes.length === 0) {
        await this.#writeDir(plan.set);
        this.lastError = undefined;
        return;
      }
      try {
        await (current ? this.#replace(current, plan.set) : this.#create(plan.set));
      } catch (error) {
        const code = statusOf(error);
        // 409: another replica wrote first (create or replace). Its set wins; decide again on it.
        if ((code === 409 || code === 404) && attempt < MAX_ATTEMPTS) continue;
        throw error;
      }
      log.info({ secret: `${this.#options.namespace}/${this.#options.name}`, changes: plan.changes }, 'certificate Secret updated');
      await this.#writeDir(plan.set);
      this.lastError = undefined;
      return;
    }
  }

  /** Re-checks every interval until stop(); errors are logged and kept for readiness, never thrown. */
  start(): void {
    const interval = this.#options.checkIntervalMs ?? DEFAULT_CERT_CHECK_INTERVAL_MS;
    let running = false;
    this.#timer = setInterval(() => {
      // A check that outlasts the interval (key generation, a slow API server) is not run twice at once.
      if (running) return;
      running = true;
      this.sync()
        .catch((error: unknown) => {
          this.lastError = String((error as Error).message ?? error);
          this.#options.log.error({ err: this.lastError }, 'certificate Secret check failed; serving the last good certificate');
        })
        .finally(() => (running = false));
    }, interval);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
  }

  async #read(): Promise<V1Secret | undefined> {
    try {
      return await this.#api.readNamespacedSecret({ name: this.#options.name, namespace: this.#options.namespace });
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw error;
    }
  }

  async #create(set: ManagedCertSet): Promise<void> {
    await this.#api.createNamespacedSecret({ namespace: this.#options.namespace, body: this.#secret(set) });
  }

  async #replace(current: V1Secret, set: ManagedCertSet): Promise<void> {
    const body = this.#secret(set);
    body.metadata = { ...current.metadata, ...body.metadata, labels: { ...current.metadata?.labels, ...body.metadata?.labels } };
    await this.#api.replaceNamespacedSecret({ name: this.#options.name, namespace: this.#options.namespace, body });
  }

  #secret(set: ManagedCertSet): V1Secret {
    const data: Record<string, string> = {};
    for (const [field, key] of Object.entries(KEYS)) {
      const value = set[field as keyof ManagedCertSet];
      if (value) data[key] = Buffer.from(value).toString('base64');
    }
    return {
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'kubernetes.io/tls',
      metadata: { name: this.#options.name, namespace: this.#options.namespace, labels: { 'app.kubernetes.io/managed-by': 'palisade' } },
      data,
    };
  }

  /** The CertReloader watches the directory: write only when the set differs from what is there. */
  async #writeDir(set: ManagedCertSet): Promise<void> {
    const fingerprint = `${set.caPem}${set.certPem}`;
    if (fingerprint === this.#written) return;
    await writeCertDir(this.#options.certDir, { caPem: set.caPem, certPem: set.certPem, keyPem: set.keyPem });
    this.#written = fingerprint;
  }
}

function fromSecret(secret: V1Secret): Partial<ManagedCertSet> {
  const out: Partial<ManagedCertSet> = {};
  for (const [field, key] of Object.entries(KEYS)) {
    const value = secret.data?.[key];
    if (value) out[field as keyof ManagedCertSet] = Buffer.from(value, 'base64').toString('utf8');
  }
  return out;
}

function statusOf(error: unknown): number | undefined {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'number' ? code : undefined;
}
