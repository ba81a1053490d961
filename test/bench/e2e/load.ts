/**
 * Closed-loop load: `concurrency` workers, each creating one Pod at a time (POST
 * /api/v1/namespaces/NS/pods, a unique name each) for `seconds` or until `signal` aborts; a
 * request started before the end is waited for and counted. Throughput is the Pods created over the time from the first
 * request to the last answer. Anything but 201 Created is a failure, kept with its message.
 */
import { performance } from 'node:perf_hooks';
import { statusMessage, type KubeApi } from './kube-api.js';

export interface LoadOptions {
  namespace: string;
  concurrency: number;
  /** Unique per Pod in the namespace. */
  name: (seq: number) => string;
  body: (name: string) => string;
  seconds: number;
  signal: AbortSignal;
}

export interface LoadResult {
  created: number;
  failed: number;
  /** Up to five distinct failure messages. */
  failures: string[];
  elapsedMs: number;
  podsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export async function createPods(api: KubeApi, options: LoadOptions): Promise<LoadResult> {
  const latencies: number[] = [];
  const failures = new Set<string>();
  let failed = 0;
  let seq = 0;
  const path = `/api/v1/namespaces/${options.namespace}/pods`;
  // A timer of our own, not AbortSignal.any([signal, AbortSignal.timeout(ms)]): on Node 20 the
  // timeout signal can be garbage-collected while only the combined signal refers to it, and then
  // it never fires.
  let done = false;
  const end = (): void => void (done = true);
  const timer = setTimeout(end, options.seconds * 1000);
  options.signal.addEventListener('abort', end, { once: true });
  const worker = async (): Promise<void> => {
    while (!done && !options.signal.aborted) {
      const body = options.body(options.name(seq++));
      const start = performance.now();
      try {
        const res = await api.send('POST', path, body);
        if (res.status === 201) latencies.push(performance.now() - start);
        else {
          failed++;
          if (failures.size < 5) failures.add(`HTTP ${res.status}: ${statusMessage(res.body)}`);
        }
      } catch (error) {
        failed++;
        if (failures.size < 5) failures.add((error as Error).message);
      }
    }
  };
  const started = performance.now();
  try {
    await Promise.all(Array.from({ length: options.concurrency }, worker));
  } finally {
    clearTimeout(timer);
    options.signal.removeEventListener('abort', end);
  }
  const elapsedMs = performance.now() - started;
  latencies.sort((a, b) => a - b);
  return {
    created: latencies.length,
    failed,
    failures: [...failures],
    elapsedMs,
    podsPerSecond: (latencies.length * 1000) / elapsedMs,
    p50Ms: quantile(latencies, 0.5),
    p99Ms: quantile(latencies, 0.99),
    maxMs: latencies[latencies.length - 1] ?? 0,
  };
}

/** Nearest-rank quantile of sorted values. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? 0;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  if (sorted.length % 2 === 1) return sorted[mid] ?? 0;
  return ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}
