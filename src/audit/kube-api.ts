/**
 * The audit's one door to the API server: GET a path, get JSON back. Discovery, paged lists and
 * metadata-only owner reads all go through `KubeApi`, so tests can hand the audit a fake cluster
 * made of data files, and the controller can later share one client.
 *
 * The real client takes credentials from a client-node KubeConfig (`applyToHTTPSOptions`: CA,
 * client certificates, tokens, exec plugins, proxies), fresh for every request so that rotating
 * tokens keep working through a long audit, and sends it with node:https.
 */
import { request as httpRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';

export interface GetOptions {
  /** Query parameters; undefined values are left out. */
  query?: Readonly<Record<string, string | number | undefined>>;
  /** Accept header, e.g. the PartialObjectMetadata form. Default: application/json. */
  accept?: string;
  signal?: AbortSignal;
}

export interface KubeApi {
  /** GETs `path` (e.g. /api/v1/pods) and returns the decoded JSON; throws KubeApiError otherwise. */
  get(path: string, options?: GetOptions): Promise<unknown>;
}

/** A response other than 2xx, with the Kubernetes Status reason when the server sent one. */
export class KubeApiError extends Error {
  readonly status: number;
  /** metav1.Status reason: NotFound, Forbidden, Expired, … (empty when the body was not a Status). */
  readonly reason: string;
  constructor(status: number, reason: string, message: string) {
    super(message);
    this.name = 'KubeApiError';
    this.status = status;
    this.reason = reason;
  }
}

/** `Accept` for metadata-only reads: the server strips spec and status (PartialObjectMetadata[List]). */
export const METADATA_ACCEPT = 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1';
export const METADATA_LIST_ACCEPT = 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1';

const DEFAULT_TIMEOUT_MS = 60_000;

export interface KubeApiOptions {
  /** A request that has sent nothing for this long fails (default 60 s). */
  timeoutMs?: number;
}

export function kubeApiFor(kc: KubeConfig, options: KubeApiOptions = {}): KubeApi {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  return {
    async get(path, getOptions = {}) {
      const cluster = kc.getCurrentCluster();
      if (!cluster) throw new KubeApiError(0, '', 'the kubeconfig names no current cluster');
      const url = new URL(cluster.server.replace(/\/+$/, '') + path);
      for (const [key, value] of Object.entries(getOptions.query ?? {})) {
        if (value !== undefined) url.searchParams.set(key, String(value));
      }
      const requestOptions: RequestOptions & { headers: Record<string, string> } = { headers: {} };
      await kc.applyToHTTPSOptions(requestOptions);
      requestOptions.method = 'GET';
      requestOptions.headers['Accept'] = getOptions.accept ?? 'application/json';
      requestOptions.timeout = timeoutMs;
      try {
        return await send(url, requestOptions, getOptions.signal);
      } finally {
        // applyToHTTPSOptions makes a fresh agent each time; let its socket go.
        (requestOptions.agent as { destroy?: () => void } | undefined)?.destroy?.();
      }
    },
  };
}

function send(url: URL, options: RequestOptions, signal: AbortSignal | undefined): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const request = (url.protocol === 'http:' ? httpRequest : httpsRequest)(url, { ...options, ...(signal ? { signal } : {}) }, (response) => {
      readBody(response).then((text) => {
        const status = response.statusCode ?? 0;
        if (status >= 200 && status < 300) {
          try {
            resolve(JSON.parse(text) as unknown);
          } catch {
            reject(new KubeApiError(status, '', `GET ${url.pathname}: the response is not JSON`));
          }
          return;
        }
        reject(errorOf(status, text, url.pathname));
      }, reject);
    });
    request.on('timeout', () => request.destroy(new Error(`GET ${url.pathname}: no response within ${options.timeout ?? 0} ms`)));
    request.on('error', reject);
    request.end();
  });
}

function readBody(response: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    response.on('data', (chunk: Buffer) => chunks.push(chunk));
    response.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    response.on('error', reject);
  });
}

function errorOf(status: number, text: string, path: string): KubeApiError {
  let reason = '';
  let message = text.trim().slice(0, 500);
  try {
    const body = JSON.parse(text) as unknown;
    if (typeof body === 'object' && body !== null) {
      const record = body as Record<string, unknown>;
      if (typeof record['reason'] === 'string') reason = record['reason'];
      if (typeof record['message'] === 'string') message = record['message'];
    }
  } catch {
    // Not a Status object: keep the (shortened) text.
  }
  return new KubeApiError(status, reason, `GET ${path}: ${status}${reason ? ` ${reason}` : ''}${message ? `: ${message}` : ''}`);
}
