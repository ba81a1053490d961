/**
 * Waiting for something a watcher does in its own time: poll a condition until a deadline
 * instead of sleeping a fixed time, so tests are as fast as the machine allows and fail with a
 * message instead of flaking.
 */
import { setTimeout as delay } from 'node:timers/promises';

export async function waitFor(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await delay(10);
  }
}
