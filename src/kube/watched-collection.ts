/**
 * A live copy of one kind of object (Namespaces, Palisade's Rules and Exceptions), kept by a
 * client-node informer, made robust the way its examples advise: the informer stops on most
 * errors (410 Gone relists by itself), so it is restarted with capped exponential backoff; a
 * watchdog restarts a watch that has gone silent longer than the server-side watch timeout.
 * Handlers are idempotent: any change only schedules one debounced `onChange`.
 */
import { makeInformer, type Informer, type KubeConfig, type KubernetesListObject, type KubernetesObject, type ObjectCache } from '@kubernetes/client-node';
import type { Logger } from 'pino';

export interface WatchedCollectionOptions<T extends KubernetesObject> {
  kc: KubeConfig;
  /** The watch path, e.g. /api/v1/namespaces or /apis/palisade.dev/v1alpha1/rules. */
  path: string;
  list: () => Promise<KubernetesListObject<T>>;
  log: Logger;
  /** Called (debounced) after objects were added, changed or removed. */
  onChange?: () => void;
  debounceMs?: number;
  maxBackoffMs?: number;
  /** A watch with no event for this long is restarted (the API server ends watches after 5–10 min). */
  staleAfterMs?: number;
}

export class WatchedCollection<T extends KubernetesObject> {
  readonly #options: WatchedCollectionOptions<T>;
  #informer: (Informer<T> & ObjectCache<T>) | undefined;
  #synced = false;
  #stopped = false;
  #backoffMs = 0;
  #lastEvent = Date.now();
  #timers = new Set<NodeJS.Timeout>();
  #debounce: NodeJS.Timeout | undefined;
  #lastError: string | undefined;
  /** Which informer is current: bumped by #replaceInformer before it stops the one it replaces. */
  #generation = 0;
  /** The restart under way, if any, and whether another was asked for while it ran. */
  #restarting: Promise<void> | undefined;
  #restartAgain = false;

  constructor(options: WatchedCollectionOptions<T>) {
    this.#options = options;
  }

  /** True once the first list has completed (readiness). */
  get synced(): boolean {
    return this.#synced;
  }

  get lastError(): string | undefined {
    return this.#lastError;
  }

  list(): readonly T[] {
    return this.#informer?.list() ?? [];
  }

  get(name: string, namespace?: string): T | undefined {
    return this.#informer?.get(name, namespace);
  }

  async start(): Promise<void> {
    this.#stopped = false;
    await this.#run();
    const stale = this.#options.staleAfterMs ?? 15 * 60_000;
    const watchdog = setInterval(() => {
      if (Date.now() - this.#lastEvent > stale) {
        this.#options.log.warn({ path: this.#options.path }, 'watch silent for too long; restarting it');
        void this.#restart();
      }
    }, Math.min(stale, 60_000));
    watchdog.unref();
    this.#timers.add(watchdog);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    if (this.#debounce) clearTimeout(this.#debounce);
    await this.#informer?.stop();
  }

  async #run(): Promise<void> {
    const { kc, path, list, log } = this.#options;
    const generation = this.#generation;
    const informer = makeInformer(kc, path, list);
    const changed = (): void => {
      this.#lastEvent = Date.now();
      this.#scheduleChange();
    };
    informer.on('add', changed);
    informer.on('update', changed);
    informer.on('delete', changed);
    informer.on('connect', () => {
      this.#lastEvent = Date.now();
    });
    // client-node's start() resolves even when its list fails (it reports the failure as an
    // 'error' event first), so only a start without one is a sync.
    let failed = false;
    informer.on('error', (error: unknown) => {
      // #restart stops the informer it replaces, which reports its own stop as an error ("the user
      // aborted a request"): that one must not schedule a restart, or every restart ends the next
      // informer, twice a second, forever.
      if (generation !== this.#generation) return;
      failed = true;
      this.#lastError = String((error as Error)?.message ?? error);
      if ((error as { code?: unknown })?.code === 404) {
        // A cluster without Palisade's CRDs simply has none of these resources.
        log.info({ path }, 'not served (its CRD is not installed); looking again with backoff');
      } else {
        log.warn({ path, err: this.#lastError }, 'watch failed; restarting with backoff');
      }
      this.#scheduleRestart();
    });
    this.#informer = informer;
    try {
      await informer.start();
      if (failed) return;
      this.#synced = true;
      this.#backoffMs = 0;
      this.#lastError = undefined;
      this.#lastEvent = Date.now();
      this.#scheduleChange();
    } catch (error) {
      this.#lastError = String((error as Error)?.message ?? error);
      log.warn({ path, err: this.#lastError }, 'list failed; retrying with backoff');
      this.#scheduleRestart();
    }
  }

  #scheduleRestart(): void {
    if (this.#stopped) return;
    const max = this.#options.maxBackoffMs ?? 30_000;
    this.#backoffMs = Math.min(max, this.#backoffMs === 0 ? 500 : this.#backoffMs * 2);
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      void this.#restart();
    }, this.#backoffMs);
    timer.unref();
    this.#timers.add(timer);
  }

  /**
   * One restart at a time. The watchdog and a backoff timer can fall due together, and a slow list
   * keeps a restart going for seconds: two overlapping restarts would each start an informer, and
   * the one not kept in #informer would watch on, never stopped. A restart asked for while one runs
   * is run once after it.
   */
  #restart(): Promise<void> {
    if (this.#restarting) {
      this.#restartAgain = true;
      return this.#restarting;
    }
    const run = async (): Promise<void> => {
      do {
        this.#restartAgain = false;
        await this.#replaceInformer();
      } while (this.#restartAgain && !this.#stopped);
    };
    this.#restarting = run().finally(() => {
      this.#restarting = undefined;
    });
    return this.#restarting;
  }

  async #replaceInformer(): Promise<void> {
    if (this.#stopped) return;
    this.#generation += 1;
    await this.#informer?.stop().catch(() => undefined);
    if (this.#stopped) return;
    this.#lastEvent = Date.now();
    await this.#run();
  }

  #scheduleChange(): void {
    const onChange = this.#options.onChange;
    if (!onChange) return;
    if (this.#debounce) clearTimeout(this.#debounce);
    this.#debounce = setTimeout(onChange, this.#options.debounceMs ?? 100);
    this.#debounce.unref();
  }
}
