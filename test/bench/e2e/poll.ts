/** Polls an asynchronous check until it holds, the time is up (throws, naming what), or `signal` aborts. */
import { setTimeout as delay } from 'node:timers/promises';

export async function until(check: () => Promise<boolean>, what: string, options: { timeoutMs: number; intervalMs?: number; signal?: AbortSignal }): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    options.signal?.throwIfAborted();
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${options.timeoutMs} ms waiting for ${what}`);
    await delay(options.intervalMs ?? 200, undefined, options.signal ? { signal: options.signal } : {});
  }
}
