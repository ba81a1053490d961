/**
 * The API server tells each webhook call how long it will wait: `?timeout=10s`. Palisade answers
 * within it; a request that has already waited past it in the queue is not evaluated (nobody is
 * listening for the answer, and skipping it sheds load).
 */
export const DEFAULT_TIMEOUT_SECONDS = 10;
const MAX_TIMEOUT_SECONDS = 30;

/** Parses the API server's `timeout` query value (a Go duration such as `10s`, `2500ms`, `1m`). */
export function parseTimeout(value: unknown): number {
  if (typeof value !== 'string') return DEFAULT_TIMEOUT_SECONDS;
  const match = /^(\d+(?:\.\d+)?)(ms|s|m)$/.exec(value.trim());
  if (!match) return DEFAULT_TIMEOUT_SECONDS;
  const amount = Number(match[1]);
  const seconds = match[2] === 'ms' ? amount / 1000 : match[2] === 'm' ? amount * 60 : amount;
  return seconds > 0 ? Math.min(seconds, MAX_TIMEOUT_SECONDS) : DEFAULT_TIMEOUT_SECONDS;
}

/**
 * How long image verification may take for one call: the configured cap, and never more than the
 * API server's timeout less a margin (evaluation and the answer still have to fit after it).
 */
export function verificationDeadlineMs(capMs: number, timeout: unknown): number {
  const timeoutMs = parseTimeout(timeout) * 1000;
  return Math.max(100, Math.min(capMs, timeoutMs - Math.max(1_000, timeoutMs / 5)));
}
