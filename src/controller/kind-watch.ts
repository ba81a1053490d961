/**
 * One kind, followed for as long as the loop leads: a watch from the resourceVersion of the list
 * the audit read, started again whenever it ends, the way client-go's reflector keeps a watch:
 *
 * - the server ends a watch after `timeoutSeconds` (normal): watch again from the last version seen;
 * - 410 Gone (the version was compacted away, or an ERROR event saying so): the kind is listed
 *   again (`relist`, which brings the loop's state up to date) and watched from that list;
 * - any other error (the API server restarting, a refused connection, a 5xx): watch again after a
 *   capped exponential backoff with jitter;
 * - a watch that has said nothing, not even a bookmark, for `staleAfterMs` is presumed dead
 *   (a half-open connection) and restarted.
 *
 * Events go to `onEvent` in the order received; the version to resume from moves with every event
 * and bookmark. Handlers must be idempotent: a restarted watch may repeat what a relist saw.
 */
import { isExpired } from '../audit/list.js';
import type { WatchApi, WatchEvent } from './watch-stream.js';
import { watchError } from './watch-stream.js';

export type RestartReason = 'gone' | 'error' | 'stale';

/** All the timings of a watch in one place. */
export const WATCH_DEFAULTS = {
  initialBackoffMs: 500,
  maxBackoffMs: 15_000,
  /** The server ends each watch after a random 5–10 minutes (as client-go asks). */
  minTimeoutSeconds: 300,
  /** Silence (no event, no bookmark) after which a watch is restarted. Bookmarks come about every minute. */
  staleAfterMs: 12 * 60_000,
  /** A watch that ends this soon after it started, having said nothing, counts as a failure. */
  minHealthyMs: 1_000,
} as const;

export interface WatchTiming {
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  minTimeoutSeconds?: number;
  staleAfterMs?: number;
  minHealthyMs?: number;
  /** How often the staleness watchdog looks. Default staleAfterMs / 4. */
  watchdogMs?: number;
  /** Milliseconds, monotonic. */
  now?: () => number;
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** 0 ≤ x < 1, for jitter. */
  random?: () => number;
}

export interface KindWatchOptions {
  api: WatchApi;
  /** The collection path, e.g. /apis/apps/v1/deployments. */
  path: string;
  /** The kind, as in metrics and logs (`apps/Deployment`). */
  label: string;
  /** Where the watch starts: the list's resourceVersion. */
  resourceVersion: string;
  onEvent: (event: WatchEvent) => void;
  /** Lists the kind again (after 410 Gone) and returns the list's resourceVersion. */
  relist: (signal: AbortSignal) => Promise<string>;
  onRestart?: (reason: RestartReason, detail: string) => void;
  timing?: WatchTiming;
}

function settings(timing: WatchTiming = {}) {
  const staleAfterMs = timing.staleAfterMs ?? WATCH_DEFAULTS.staleAfterMs;
  const initialBackoffMs = timing.initialBackoffMs ?? WATCH_DEFAULTS.initialBackoffMs;
  const maxBackoffMs = timing.maxBackoffMs ?? WATCH_DEFAULTS.maxBackoffMs;
  if (!(initialBackoffMs > 0) || !(maxBackoffMs >= initialBackoffMs)) throw new RangeError(`watch backoff: need 0 < initial (${initialBackoffMs}) ≤ max (${maxBackoffMs})`);
  if (!(staleAfterMs > 0)) throw new RangeError(`staleAfterMs must be positive, got ${staleAfterMs}`);
  return {
    initialBackoffMs,
    maxBackoffMs,
    minTimeoutSeconds: timing.minTimeoutSeconds ?? WATCH_DEFAULTS.minTimeoutSeconds,
    staleAfterMs,
    minHealthyMs: timing.minHealthyMs ?? WATCH_DEFAULTS.minHealthyMs,
    watchdogMs: timing.watchdogMs ?? Math.max(10, Math.floor(staleAfterMs / 4)),
    now: timing.now ?? (() => performance.now()),
    sleep: timing.sleep ?? abortableSleep,
    random: timing.random ?? Math.random,
  };
}

export function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason as Error);
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal.reason as Error);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

class StaleWatch extends Error {
  constructor(silentMs: number) {
    super(`no event or bookmark for ${Math.round(silentMs / 1000)} s`);
    this.name = 'StaleWatch';
  }
}

export class KindWatch {
  readonly #options: KindWatchOptions;
  readonly #s: ReturnType<typeof settings>;
  #resourceVersion: string;
  #lastHeard = 0;
  #attempt: AbortController | undefined;
  #failures = 0;

  constructor(options: KindWatchOptions) {
    this.#options = options;
    this.#s = settings(options.timing);
    this.#resourceVersion = options.resourceVersion;
  }

  /** The version a restarted watch resumes from. */
  get resourceVersion(): string {
    return this.#resourceVersion;
  }

  /** Backoff before the next try after `failures` failures in a row: exponential, capped, jittered. */
  backoffMs(failures: number): number {
    const { initialBackoffMs, maxBackoffMs, random } = this.#s;
    const exponential = Math.min(maxBackoffMs, initialBackoffMs * 2 ** Math.max(0, failures - 1));
    return Math.round(exponential * (0.5 + 0.5 * random()));
  }

  /**
   * The watchdog's look: restarts the current watch when it has been silent too long. Called on a
   * timer by run(); tests call it with their clock.
   */
  checkStaleness(): boolean {
    const silent = this.#s.now() - this.#lastHeard;
    if (this.#attempt && !this.#attempt.signal.aborted && silent > this.#s.staleAfterMs) {
      this.#attempt.abort(new StaleWatch(silent));
      return true;
    }
    return false;
  }

  /** Watches until `signal` aborts; never throws otherwise. */
  async run(signal: AbortSignal): Promise<void> {
    const watchdog = setInterval(() => this.checkStaleness(), this.#s.watchdogMs);
    watchdog.unref();
    try {
      while (!signal.aborted) {
        const restart = await this.#once(signal);
        if (signal.aborted) return;
        if (restart === undefined) continue;
        const { reason, detail } = restart;
        this.#options.onRestart?.(reason, detail);
        try {
          if (reason === 'gone') {
            this.#resourceVersion = await this.#options.relist(signal);
            this.#failures = 0;
          } else {
            this.#failures += 1;
            await this.#s.sleep(this.backoffMs(this.#failures), signal);
          }
        } catch (error) {
          if (signal.aborted) return;
          // The relist failed (the API server is down): back off, then try the watch from the old version.
          this.#failures += 1;
          this.#options.onRestart?.('error', `relist failed: ${(error as Error).message}`);
          await this.#s.sleep(this.backoffMs(this.#failures), signal).catch(() => undefined);
        }
      }
    } finally {
      clearInterval(watchdog);
      this.#attempt?.abort();
    }
  }

  /** One watch request. Undefined: it ended normally (watch again at once); else why it must restart. */
  async #once(signal: AbortSignal): Promise<{ reason: RestartReason; detail: string } | undefined> {
    const attempt = new AbortController();
    const stop = (): void => attempt.abort(signal.reason);
    signal.addEventListener('abort', stop, { once: true });
    this.#attempt = attempt;
    const { path } = this.#options;
    const started = this.#s.now();
    this.#lastHeard = started;
    let heard = 0;
    try {
      const timeoutSeconds = Math.round(this.#s.minTimeoutSeconds * (1 + this.#s.random()));
      const events = this.#options.api.watch(path, { resourceVersion: this.#resourceVersion, timeoutSeconds, allowWatchBookmarks: true }, attempt.signal);
      for await (const event of events) {
        this.#lastHeard = this.#s.now();
        heard += 1;
        if (event.type === 'ERROR') throw watchError(event.object, path);
        const version = resourceVersionOf(event.object);
        if (event.type !== 'BOOKMARK') this.#options.onEvent(event);
        if (version) this.#resourceVersion = version;
        this.#failures = 0;
      }
      // The server ended the watch. One that ends at once, having said nothing, is not healthy.
      if (heard === 0 && this.#s.now() - started < this.#s.minHealthyMs) return { reason: 'error', detail: 'the watch ended at once' };
      return undefined;
    } catch (error) {
      if (signal.aborted) return undefined;
      if (attempt.signal.aborted && attempt.signal.reason instanceof StaleWatch) return { reason: 'stale', detail: attempt.signal.reason.message };
      if (isExpired(error) || (error as { status?: unknown }).status === 410) return { reason: 'gone', detail: (error as Error).message };
      return { reason: 'error', detail: (error as Error).message ?? String(error) };
    } finally {
      signal.removeEventListener('abort', stop);
      attempt.abort();
    }
  }
}

function resourceVersionOf(object: Record<string, unknown>): string | undefined {
  const metadata = object['metadata'];
  if (typeof metadata !== 'object' || metadata === null) return undefined;
  const version = (metadata as Record<string, unknown>)['resourceVersion'];
  return typeof version === 'string' && version !== '' ? version : undefined;
}
