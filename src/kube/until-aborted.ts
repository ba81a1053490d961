/**
 * Races a promise against an AbortSignal, for client-node's generated APIs, which take none.
 *
 * The listener is removed as soon as the race is decided. The signals handed in live long (a
 * leadership term, the process): a listener left on one keeps the race's promise, and so its
 * result — a page of stored reports — reachable until the signal aborts, which leaked every page
 * and response of every full audit for as long as the replica led.
 */
export async function untilAborted<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return work;
  signal.throwIfAborted();
  let onAbort: (() => void) | undefined;
  const stopped = new Promise<never>((_resolve, reject) => {
    onAbort = () => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([work, stopped]);
  } finally {
    if (onAbort) signal.removeEventListener('abort', onAbort);
  }
}
