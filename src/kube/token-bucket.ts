/**
 * A token bucket: at most `ratePerSecond` operations a second on average, with bursts of up to
 * `burst`. Palisade's writes to the API server (report writes and deletes) go through one, so an
 * audit of a large cluster does not flood the API server or trip API Priority and Fairness.
 *
 * Takers are served in order. The clock and the wait are options, so tests run on a fake clock
 * instead of sleeping.
 */
import { setTimeout as delay } from 'node:timers/promises';

export interface TokenBucketOptions {
  /** Tokens added a second; a positive finite number. */
  ratePerSecond: number;
  /** Tokens the bucket holds at most (and starts with). Default: the rate, rounded up (at least 1). */
  burst?: number;
  /** Milliseconds, monotonic. Default performance.now(). */
  now?: () => number;
  /** Waits `ms`; rejects when the signal aborts. Default a timer. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** The default wait: a real timer that an AbortSignal cancels. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return delay(ms, undefined, signal ? { signal } : {});
}

export class TokenBucket {
  readonly #rate: number;
  readonly #burst: number;
  readonly #now: () => number;
  readonly #sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  #tokens: number;
  #last: number;
  /** The previous taker's turn: takers queue behind it, so they are served in order. */
  #queue: Promise<void> = Promise.resolve();

  constructor(options: TokenBucketOptions) {
    const rate = options.ratePerSecond;
    if (typeof rate !== 'number' || !Number.isFinite(rate) || rate <= 0) {
      throw new RangeError(`ratePerSecond must be a positive number, got ${String(rate)}`);
    }
    const burst = options.burst ?? Math.max(1, Math.ceil(rate));
    if (!Number.isInteger(burst) || burst < 1) throw new RangeError(`burst must be a positive integer, got ${String(burst)}`);
    this.#rate = rate;
    this.#burst = burst;
    this.#now = options.now ?? (() => performance.now());
    this.#sleep = options.sleep ?? sleep;
    this.#tokens = burst;
    this.#last = this.#now();
  }

  /** Tokens available now (fractional), for tests and metrics. */
  get available(): number {
    this.#refill();
    return this.#tokens;
  }

  /** Resolves when the caller may go ahead; rejects with the signal's reason when it aborts first. */
  take(signal?: AbortSignal): Promise<void> {
    const turn = this.#queue.then(() => this.#acquire(signal));
    this.#queue = turn.catch(() => undefined);
    return turn;
  }

  #refill(): void {
    const now = this.#now();
    const elapsed = Math.max(0, now - this.#last);
    this.#last = now;
    this.#tokens = Math.min(this.#burst, this.#tokens + (elapsed * this.#rate) / 1000);
  }

  async #acquire(signal: AbortSignal | undefined): Promise<void> {
    for (;;) {
      signal?.throwIfAborted();
      this.#refill();
      if (this.#tokens >= 1) {
        this.#tokens -= 1;
        return;
      }
      await this.#sleep(Math.max(1, Math.ceil(((1 - this.#tokens) * 1000) / this.#rate)), signal);
    }
  }
}
