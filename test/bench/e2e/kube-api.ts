/**
 * The smallest client for the test control plane's API server: HTTPS with the bearer token, one
 * keep-alive agent, JSON in and out. The benchmark's Pod creates go through `send` as well, so
 * setup calls and measured calls pay the same client costs.
 */
import { Agent, request, type AgentOptions } from 'node:https';
import type { IncomingHttpHeaders } from 'node:http';

export interface ApiResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

export class KubeApi {
  readonly #url: URL;
  readonly #auth: string;
  readonly #agent: Agent;

  constructor(server: string, token: string, options: { maxSockets?: number } = {}) {
    this.#url = new URL(server);
    this.#auth = `Bearer ${token}`;
    const agentOptions: AgentOptions = {
      keepAlive: true,
      maxSockets: options.maxSockets ?? 32,
      // The harness's API server serves a self-signed certificate on 127.0.0.1 (its kubeconfig says
      // insecure-skip-tls-verify too); nothing leaves loopback, so it is not verified here.
      rejectUnauthorized: false,
    };
    this.#agent = new Agent(agentOptions);
  }

  /** One request; the body is read in full. Rejects only on a transport error. */
  send(method: string, path: string, body?: string): Promise<ApiResponse> {
    return new Promise((resolve, reject) => {
      const req = request(
        {
          protocol: 'https:',
          hostname: this.#url.hostname,
          port: this.#url.port,
          method,
          path,
          agent: this.#agent,
          headers: {
            authorization: this.#auth,
            accept: 'application/json',
            ...(body === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  /** A request that must answer one of `ok` (default 2xx); the parsed body. */
  async json(method: string, path: string, body?: unknown, ok: readonly number[] = []): Promise<unknown> {
    const res = await this.send(method, path, body === undefined ? undefined : JSON.stringify(body));
    const fine = ok.length > 0 ? ok.includes(res.status) : res.status >= 200 && res.status < 300;
    if (!fine) throw new Error(`${method} ${path}: HTTP ${res.status}: ${statusMessage(res.body)}`);
    return res.body === '' ? undefined : (JSON.parse(res.body) as unknown);
  }

  close(): void {
    this.#agent.destroy();
  }
}

/** The `message` of a Kubernetes Status body, or the body itself. */
export function statusMessage(body: string): string {
  try {
    const parsed = JSON.parse(body) as unknown;
    if (parsed && typeof parsed === 'object' && 'message' in parsed && typeof parsed.message === 'string') return parsed.message;
  } catch {
    // not JSON: fall through
  }
  return body.slice(0, 500);
}
