/**
 * Serves the certificate in a directory and follows it as it rotates (cert-manager renewing the
 * Secret, the kubelet swapping the mounted files), without a restart: the API server calls the
 * webhook on every admission, so a restart is an outage window. Each change is read and verified
 * in full (cert-files.ts) and swapped in only when valid; a half-written or mismatched set keeps
 * the last good certificate serving and is reported. Listeners get the new options and call
 * `server.setSecureContext(options)`: new handshakes use the new certificate, open connections
 * finish on the old one. (SNICallback is no alternative: a client dialling an IP sends no SNI.)
 */
import type { SecureContextOptions } from 'node:tls';
import { readCertDir, type LoadedCertDir } from '../certs/cert-files.js';
import { watchPaths, type PathWatcher } from '../fs/watch-paths.js';
import { tlsOptionsFromPem } from './tls-options.js';

export interface CertState {
  /** For `https.createServer` and `server.setSecureContext`. */
  options: SecureContextOptions;
  notAfter: Date;
  serialNumber: string;
  /** The CA, for a webhook configuration's caBundle. */
  caPem: string;
  loadedAt: Date;
  certs: LoadedCertDir;
}

export interface CertReloaderOptions {
  dir: string;
  debounceMs?: number;
  pollMs?: number;
  /** A rejected change, or a failing watch or listener. The last good certificate keeps serving. */
  onError?: (error: Error) => void;
  now?: () => Date;
  signal?: AbortSignal;
}

export type CertListener = (state: CertState) => void;

export class CertReloader {
  #state: CertState;
  #lastError: Error | undefined;
  #watcher: PathWatcher | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  readonly #listeners = new Set<CertListener>();
  readonly #options: CertReloaderOptions;
  readonly #now: () => Date;

  private constructor(options: CertReloaderOptions, state: CertState) {
    this.#options = options;
    this.#now = options.now ?? (() => new Date());
    this.#state = state;
  }

  /** Loads the directory (throwing CertFileError if it is not servable) and starts watching it. */
  static async start(options: CertReloaderOptions): Promise<CertReloader> {
    const now = options.now ?? (() => new Date());
    const reloader = new CertReloader(options, stateOf(await readCertDir(options.dir, now()), now()));
    reloader.#watcher = watchPaths({
      paths: [options.dir],
      ...(options.debounceMs !== undefined ? { debounceMs: options.debounceMs } : {}),
      ...(options.pollMs !== undefined ? { pollMs: options.pollMs } : {}),
      onChange: async () => void (await reloader.reload()),
      onError: (error) => reloader.#report(error),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    await reloader.#watcher.ready;
    return reloader;
  }

  get current(): CertState {
    return this.#state;
  }

  /** Why the last change was rejected; undefined once a good certificate has loaded since. */
  get lastError(): Error | undefined {
    return this.#lastError;
  }

  /** Called after each swap; returns a function that unsubscribes. */
  onReload(listener: CertListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Seconds until the serving certificate expires (negative once it has): a gauge for alerts. */
  expirySeconds(now: Date = this.#now()): number {
    return (this.#state.notAfter.getTime() - now.getTime()) / 1000;
  }

  /** Reads the directory now (the watcher calls this; so can SIGHUP). True when a new certificate was swapped in. */
  reload(): Promise<boolean> {
    const run = this.#queue.then(() => this.#reloadNow());
    this.#queue = run.catch(() => undefined);
    return run;
  }

  close(): void {
    this.#watcher?.close();
    this.#listeners.clear();
  }

  async #reloadNow(): Promise<boolean> {
    let certs: LoadedCertDir;
    try {
      certs = await readCertDir(this.#options.dir, this.#now());
    } catch (error) {
      this.#lastError = error as Error;
      this.#report(error as Error);
      return false;
    }
    this.#lastError = undefined;
    const old = this.#state.certs;
    if (old.certPem === certs.certPem && old.keyPem === certs.keyPem && old.caPem === certs.caPem) return false;
    this.#state = stateOf(certs, this.#now());
    for (const listener of this.#listeners) {
      try {
        listener(this.#state);
      } catch (error) {
        this.#report(error as Error);
      }
    }
    return true;
  }

  #report(error: Error): void {
    this.#options.onError?.(error);
  }
}

function stateOf(certs: LoadedCertDir, loadedAt: Date): CertState {
  return {
    options: tlsOptionsFromPem(certs),
    notAfter: certs.notAfter,
    serialNumber: certs.serialNumber,
    caPem: certs.caPem,
    loadedAt,
    certs,
  };
}
