/**
 * Kubernetes watches as async iterables: `GET <collection>?watch=true&resourceVersion=…` answers
 * one JSON event a line (ADDED, MODIFIED, DELETED, BOOKMARK, ERROR) for as long as the server keeps
 * the request open (`timeoutSeconds`). `WatchApi` is the loop's one door to watches, as KubeApi is
 * its door to GETs, so the loop's tests drive it with scripted events.
 *
 * The real client sends the request with node:https and the credentials of a client-node
 * KubeConfig (`applyToHTTPSOptions`, fresh for every request, as src/audit/kube-api.ts does), and
 * reads the body line by line: only one event is ever held, never the collection.
 */
import { request as httpRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';
import { KubeApiError } from '../audit/kube-api.js';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

export interface WatchEvent {
  type: WatchEventType;
  /** The object (a metav1.Status for ERROR). Untrusted: narrow before use. */
  object: Record<string, unknown>;
}

export interface WatchQuery {
  resourceVersion?: string;
  /** The server ends the watch after this long (a normal end: the caller watches again). */
  timeoutSeconds?: number;
  allowWatchBookmarks?: boolean;
}

export interface WatchApi {
  /**
   * Watches the collection at `path` (e.g. /api/v1/pods). Yields events until the server ends the
   * watch; throws KubeApiError when the server refuses it, and the signal's reason when aborted.
   */
  watch(path: string, query: WatchQuery, signal: AbortSignal): AsyncIterable<WatchEvent>;
}

const EVENT_TYPES: readonly string[] = ['ADDED', 'MODIFIED', 'DELETED', 'BOOKMARK', 'ERROR'];

/** One line of a watch body as a WatchEvent, or undefined when it is not one. */
export function parseWatchLine(line: string): WatchEvent | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { type, object } = value as Record<string, unknown>;
  if (typeof type !== 'string' || !EVENT_TYPES.includes(type)) return undefined;
  if (typeof object !== 'object' || object === null || Array.isArray(object)) return undefined;
  return { type: type as WatchEventType, object: object as Record<string, unknown> };
}

/** An ERROR event's Status as a KubeApiError (410 Gone: the resourceVersion was compacted away). */
export function watchError(object: Record<string, unknown>, path: string): KubeApiError {
  const code = typeof object['code'] === 'number' ? object['code'] : 500;
  const reason = typeof object['reason'] === 'string' ? object['reason'] : '';
  const message = typeof object['message'] === 'string' ? object['message'] : 'watch error';
  return new KubeApiError(code, reason, `watch ${path}: ${code}${reason ? ` ${reason}` : ''}: ${message}`);
}

export function kubeWatchFor(kc: KubeConfig): WatchApi {
  return {
    async *watch(path, query, signal) {
      const cluster = kc.getCurrentCluster();
      if (!cluster) throw new KubeApiError(0, '', 'the kubeconfig names no current cluster');
      const url = new URL(cluster.server.replace(/\/+$/, '') + path);
      url.searchParams.set('watch', 'true');
      if (query.resourceVersion !== undefined) url.searchParams.set('resourceVersion', query.resourceVersion);
      if (query.timeoutSeconds !== undefined) url.searchParams.set('timeoutSeconds', String(query.timeoutSeconds));
      if (query.allowWatchBookmarks) url.searchParams.set('allowWatchBookmarks', 'true');
      const options: RequestOptions & { headers: Record<string, string> } = { headers: {} };
      await kc.applyToHTTPSOptions(options);
      options.method = 'GET';
      options.headers['Accept'] = 'application/json';
      try {
        const response = await open(url, options, signal);
        const status = response.statusCode ?? 0;
        if (status < 200 || status >= 300) throw await refusal(response, status, url.pathname);
        response.setEncoding('utf8');
        let buffer = '';
        for await (const chunk of response as AsyncIterable<string>) {
          buffer += chunk;
          let newline = buffer.indexOf('\n');
          while (newline !== -1) {
            const line = buffer.slice(0, newline).trim();
            buffer = buffer.slice(newline + 1);
            if (line !== '') {
              const event = parseWatchLine(line);
              if (event) yield event;
            }
            newline = buffer.indexOf('\n');
          }
        }
        const rest = buffer.trim();
        const last = rest === '' ? undefined : parseWatchLine(rest);
        if (last) yield last;
      } catch (error) {
        // Aborted mid-body, node reports a reset connection: say what happened.
        if (signal.aborted) throw signal.reason;
        throw error;
      } finally {
        (options.agent as { destroy?: () => void } | undefined)?.destroy?.();
      }
    },
  };
}

function open(url: URL, options: RequestOptions, signal: AbortSignal): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const request = (url.protocol === 'http:' ? httpRequest : httpsRequest)(url, { ...options, signal }, resolve);
    request.on('error', reject);
    request.end();
  });
}

async function refusal(response: IncomingMessage, status: number, path: string): Promise<KubeApiError> {
  const chunks: Buffer[] = [];
  for await (const chunk of response as AsyncIterable<Buffer>) chunks.push(chunk);
  const text = Buffer.concat(chunks).toString('utf8');
  try {
    const body = JSON.parse(text) as unknown;
    if (typeof body === 'object' && body !== null) return watchError({ code: status, ...(body as Record<string, unknown>) }, path);
  } catch {
    // Not a Status: keep the text.
  }
  return new KubeApiError(status, '', `watch ${path}: ${status}: ${text.trim().slice(0, 300)}`);
}
