/**
 * A small OCI distribution client: what image verification needs and nothing more — a manifest
 * by tag or digest (images, OCI indexes and Docker manifest lists alike), and a blob by digest.
 *
 * Safety first, because a registry is someone else's server in the admission path:
 * - every byte is checked: a manifest or blob asked for by digest must hash to it, and a tag's
 *   digest is computed from the bytes received (the registry's Docker-Content-Digest header is
 *   only compared, never trusted);
 * - responses are read up to a size limit and the request is dropped past it;
 * - redirects (registries send blob reads to storage) are followed at most three times, never
 *   from HTTPS to HTTP, and credentials are never sent to another host;
 * - every call takes an AbortSignal: the caller's deadline bounds retries and waits alike;
 * - retries (network errors, 429, 5xx) back off exponentially, within the deadline.
 *
 * Authentication follows the registry's challenge: anonymous first; on 401 with `Bearer realm=…`
 * a token is fetched from the realm (with the registry's credentials, when there are some, as
 * Basic) and cached until it expires; on `Basic` the credentials are sent directly.
 */
import { createHash } from 'node:crypto';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { setTimeout as delay } from 'node:timers/promises';
import { rootCertificates } from 'node:tls';
import { apiHost, type ImageReference } from './reference.js';

export const MANIFEST_TYPES = {
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
} as const;
const ACCEPT_MANIFESTS = Object.values(MANIFEST_TYPES).join(', ');

/** An OCI descriptor, as an index or the referrers API lists it. */
export interface Descriptor {
  mediaType: string;
  digest: string;
  size?: number;
  artifactType?: string;
}

function parseObject(body: Buffer, what: string): Record<string, unknown> {
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch {
    throw new RegistryError(`${what} is not JSON`);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw new RegistryError(`${what} is not a JSON object`);
  return json as Record<string, unknown>;
}

export interface RegistryCredentials {
  username: string;
  password: string;
}

export interface RegistrySettings {
  /** PEM CA bundle trusted for this registry (besides the system's). */
  ca?: string;
  /** Plain HTTP: only for a registry on loopback or in a test. */
  insecure?: boolean;
  credentials?: RegistryCredentials;
}

export const REGISTRY_CLIENT_DEFAULTS = {
  maxManifestBytes: 4 * 1024 * 1024,
  attempts: 3,
  initialBackoffMs: 100,
  maxBackoffMs: 2_000,
  maxRedirects: 3,
} as const;

export interface RegistryClientOptions {
  /** Settings by registry host (as in the reference: `registry.example.com:5000`, `docker.io`). */
  registries?: (registry: string) => RegistrySettings | undefined;
  maxManifestBytes?: number;
  attempts?: number;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** Waits between retries; rejects when the signal aborts. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

/** Why a registry call failed, in words for a finding; `status` when the registry answered. */
export class RegistryError extends Error {
  readonly status: number | undefined;
  /** A lost connection is worth another try; a response over the limit or a bad redirect is not. */
  readonly retryable: boolean;
  constructor(message: string, options: { status?: number; retryable?: boolean } = {}) {
    super(message);
    this.status = options.status;
    this.retryable = options.retryable ?? false;
  }
}

export interface Manifest {
  /** `sha256:…` of the bytes received. */
  digest: string;
  mediaType: string;
  json: Record<string, unknown>;
}

interface Response {
  status: number;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

interface Token {
  value: string;
  expiresAt: number;
}

function sha256(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** Checks bytes against a digest; only sha256 and sha512 are known. */
export function digestMatches(bytes: Buffer, digest: string): boolean {
  const [algorithm, hex] = digest.split(':');
  if (algorithm !== 'sha256' && algorithm !== 'sha512') return false;
  return createHash(algorithm).update(bytes).digest('hex') === hex;
}

/** `Bearer realm="…",service="…",scope="…"` → its parameters (quoted values, commas inside quotes). */
export function parseChallenge(header: string): { scheme: string; params: Record<string, string> } {
  const space = header.indexOf(' ');
  const scheme = (space < 0 ? header : header.slice(0, space)).toLowerCase();
  const params: Record<string, string> = {};
  let rest = space < 0 ? '' : header.slice(space + 1);
  while (rest.length > 0) {
    const eq = rest.indexOf('=');
    if (eq < 0) break;
    const key = rest.slice(0, eq).trim().toLowerCase();
    rest = rest.slice(eq + 1);
    let value: string;
    if (rest.startsWith('"')) {
      const end = rest.indexOf('"', 1);
      value = end < 0 ? rest.slice(1) : rest.slice(1, end);
      rest = end < 0 ? '' : rest.slice(end + 1);
    } else {
      const comma = rest.indexOf(',');
      value = (comma < 0 ? rest : rest.slice(0, comma)).trim();
      rest = comma < 0 ? '' : rest.slice(comma);
    }
    params[key] = value;
    rest = rest.replace(/^\s*,\s*/, '');
  }
  return { scheme, params };
}

const abortableSleep = (ms: number, signal: AbortSignal): Promise<void> => delay(ms, undefined, { signal });

export class RegistryClient {
  readonly #registries: (registry: string) => RegistrySettings | undefined;
  readonly #maxManifestBytes: number;
  readonly #attempts: number;
  readonly #initialBackoffMs: number;
  readonly #maxBackoffMs: number;
  readonly #sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  /** `registry scope` → bearer token. */
  readonly #tokens = new Map<string, Token>();

  constructor(options: RegistryClientOptions = {}) {
    const d = REGISTRY_CLIENT_DEFAULTS;
    this.#registries = options.registries ?? (() => undefined);
    this.#maxManifestBytes = options.maxManifestBytes ?? d.maxManifestBytes;
    this.#attempts = options.attempts ?? d.attempts;
    this.#initialBackoffMs = options.initialBackoffMs ?? d.initialBackoffMs;
    this.#maxBackoffMs = options.maxBackoffMs ?? d.maxBackoffMs;
    this.#sleep = options.sleep ?? abortableSleep;
  }

  /**
   * The manifest `reference` (a tag or a digest) of the image's repository. Asked by digest, the
   * bytes must hash to it. A 404 is a RegistryError with status 404.
   */
  async manifest(image: ImageReference, reference: string, signal: AbortSignal): Promise<Manifest> {
    const path = `/v2/${image.repository}/manifests/${encodeURIComponent(reference)}`;
    const res = await this.#get(image, path, { accept: ACCEPT_MANIFESTS }, this.#maxManifestBytes, signal);
    const digest = sha256(res.body);
    if (reference.includes(':') && !digestMatches(res.body, reference)) {
      throw new RegistryError(`the registry's manifest for ${reference} does not match that digest`);
    }
    const header = res.headers['docker-content-digest'];
    if (typeof header === 'string' && header.startsWith('sha256:') && header !== digest) {
      throw new RegistryError(`the registry says the manifest is ${header}, but its bytes are ${digest}`);
    }
    const record = parseObject(res.body, `the manifest ${reference}`);
    const declared = typeof record['mediaType'] === 'string' ? record['mediaType'] : undefined;
    const contentType = String(res.headers['content-type'] ?? '').split(';')[0]?.trim() ?? '';
    return { digest, mediaType: declared ?? contentType, json: record };
  }

  /**
   * The manifests that refer to `digest` (OCI 1.1 referrers), of `artifactType`: the referrers API
   * where the registry has it, else the index the referrers tag schema keeps under `sha256-<hex>`.
   * Descriptors only, as the registry lists them; no referrers is an empty list.
   */
  async referrers(image: ImageReference, digest: string, artifactType: string, signal: AbortSignal): Promise<Descriptor[]> {
    let index: Record<string, unknown>;
    try {
      const path = `/v2/${image.repository}/referrers/${encodeURIComponent(digest)}?artifactType=${encodeURIComponent(artifactType)}`;
      const res = await this.#get(image, path, { accept: MANIFEST_TYPES.ociIndex }, this.#maxManifestBytes, signal);
      index = parseObject(res.body, `the referrers of ${digest}`);
    } catch (error) {
      // Registries without the API answer 404 (or 400, 405, 501; some refuse it, 401 or 403, while
      // they serve manifests); the tag schema is the fallback, and what it answers counts.
      if (!(error instanceof RegistryError) || ![400, 401, 403, 404, 405, 501].includes(error.status ?? 0)) throw error;
      try {
        index = (await this.manifest(image, digest.replace(':', '-'), signal)).json;
      } catch (fallback) {
        if (fallback instanceof RegistryError && fallback.status === 404) return [];
        throw fallback;
      }
    }
    const manifests = Array.isArray(index['manifests']) ? (index['manifests'] as unknown[]) : [];
    return manifests.filter((m): m is Descriptor => typeof m === 'object' && m !== null && typeof (m as Descriptor).digest === 'string' && typeof (m as Descriptor).mediaType === 'string');
  }

  /** The blob `digest`, at most `maxBytes`; its bytes must hash to the digest. */
  async blob(image: ImageReference, digest: string, maxBytes: number, signal: AbortSignal): Promise<Buffer> {
    const res = await this.#get(image, `/v2/${image.repository}/blobs/${encodeURIComponent(digest)}`, {}, maxBytes, signal);
    if (!digestMatches(res.body, digest)) throw new RegistryError(`the blob ${digest} received does not match its digest`);
    return res.body;
  }

  /** GET with authentication, retries and redirects; any status but 200 is a RegistryError. */
  async #get(image: ImageReference, path: string, headers: Record<string, string>, maxBytes: number, signal: AbortSignal): Promise<Response> {
    const settings = this.#registries(image.registry) ?? {};
    const base = new URL(`${settings.insecure ? 'http' : 'https'}://${apiHost(image.registry)}`);
    const scope = `repository:${image.repository}:pull`;
    let authorization = this.#cachedAuthorization(image.registry, scope);
    let challenged = false;
    for (let attempt = 1; ; attempt++) {
      let res: Response;
      try {
        res = await this.#follow(new URL(path, base), { ...headers, ...(authorization ? { authorization } : {}) }, settings, maxBytes, signal);
      } catch (error) {
        if (signal.aborted) throw signal.reason as Error;
        if (error instanceof RegistryError && error.retryable && attempt < this.#attempts) {
          await this.#backoff(attempt, signal);
          continue;
        }
        throw error;
      }
      if (res.status === 401 && !challenged) {
        challenged = true;
        authorization = await this.#authorize(image.registry, scope, String(res.headers['www-authenticate'] ?? ''), settings, signal);
        if (authorization) {
          attempt -= 1;
          continue;
        }
      }
      // 501: the registry does not have this API (referrers); asking again will not change that.
      if ((res.status === 429 || (res.status >= 500 && res.status !== 501)) && attempt < this.#attempts) {
        await this.#backoff(attempt, signal, retryAfterMs(res.headers['retry-after']));
        continue;
      }
      if (res.status === 200) return res;
      throw new RegistryError(`${image.registry} answered ${res.status}${describeErrors(res.body)}`, { status: res.status });
    }
  }

  async #backoff(attempt: number, signal: AbortSignal, atLeastMs = 0): Promise<void> {
    const ms = Math.min(this.#maxBackoffMs, Math.max(atLeastMs, this.#initialBackoffMs * 2 ** (attempt - 1)));
    await this.#sleep(ms, signal);
  }

  #cachedAuthorization(registry: string, scope: string): string | undefined {
    const token = this.#tokens.get(`${registry} ${scope}`);
    if (token && token.expiresAt > Date.now()) return `Bearer ${token.value}`;
    return undefined;
  }

  /** Answers a 401's challenge: a bearer token from the realm, or Basic credentials. */
  async #authorize(registry: string, scope: string, header: string, settings: RegistrySettings, signal: AbortSignal): Promise<string | undefined> {
    const { scheme, params } = parseChallenge(header);
    const basic = settings.credentials ? `Basic ${Buffer.from(`${settings.credentials.username}:${settings.credentials.password}`).toString('base64')}` : undefined;
    if (scheme === 'basic') return basic;
    if (scheme !== 'bearer' || !params['realm']) return undefined;
    let realm: URL;
    try {
      realm = new URL(params['realm']);
    } catch {
      throw new RegistryError(`${registry} names a token service that is not a URL`);
    }
    if (realm.protocol !== 'https:' && !(settings.insecure && realm.protocol === 'http:')) throw new RegistryError(`${registry} names a token service over plain HTTP`);
    if (params['service']) realm.searchParams.set('service', params['service']);
    realm.searchParams.set('scope', params['scope'] ?? scope);
    // The registry's credentials go to the token service it names (Docker Hub's is another host),
    // over HTTPS only (checked above), as docker and the kubelet do.
    const res = await this.#follow(realm, basic ? { authorization: basic } : {}, settings, 64 * 1024, signal);
    if (res.status !== 200) throw new RegistryError(`the token service of ${registry} answered ${res.status}`, { status: res.status });
    let body: { token?: unknown; access_token?: unknown; expires_in?: unknown };
    try {
      body = JSON.parse(res.body.toString('utf8')) as typeof body;
    } catch {
      throw new RegistryError(`the token service of ${registry} did not answer JSON`);
    }
    const value = typeof body.token === 'string' ? body.token : typeof body.access_token === 'string' ? body.access_token : undefined;
    if (!value) throw new RegistryError(`the token service of ${registry} gave no token`);
    const seconds = typeof body.expires_in === 'number' && body.expires_in > 0 ? body.expires_in : 60;
    // Used until shortly before it expires.
    this.#tokens.set(`${registry} ${scope}`, { value, expiresAt: Date.now() + Math.max(0, seconds - 10) * 1000 });
    return `Bearer ${value}`;
  }

  /** One GET, following redirects (never to plain HTTP from HTTPS; credentials only to the same host). */
  async #follow(url: URL, headers: Record<string, string>, settings: RegistrySettings, maxBytes: number, signal: AbortSignal): Promise<Response> {
    let current = url;
    let sent = headers;
    for (let hop = 0; ; hop++) {
      const res = await once(current, sent, settings, maxBytes, signal);
      if (res.status < 300 || res.status >= 400 || res.status === 304) return res;
      const location = res.headers.location;
      if (!location) return res;
      if (hop >= REGISTRY_CLIENT_DEFAULTS.maxRedirects) throw new RegistryError(`more than ${REGISTRY_CLIENT_DEFAULTS.maxRedirects} redirects from ${url.host}`);
      const next = new URL(location, current);
      if (current.protocol === 'https:' && next.protocol !== 'https:') throw new RegistryError(`${url.host} redirected to plain HTTP`);
      if (next.protocol !== 'https:' && next.protocol !== 'http:') throw new RegistryError(`${url.host} redirected to ${next.protocol}`);
      if (next.host !== current.host) {
        const { authorization: _dropped, ...rest } = sent;
        sent = rest;
      }
      current = next;
    }
  }
}

/** One request; the body is read up to maxBytes, past which the request is dropped. */
function once(url: URL, headers: Record<string, string>, settings: RegistrySettings, maxBytes: number, signal: AbortSignal): Promise<Response> {
  return new Promise((resolve, reject) => {
    const options = {
      method: 'GET',
      headers: { 'user-agent': 'palisade', ...headers },
      signal,
      // `ca` replaces Node's trust store: the registry's CA is added to it, so a token service or
      // blob storage with a public certificate is still trusted.
      ...(url.protocol === 'https:' ? { minVersion: 'TLSv1.2' as const, ...(settings.ca ? { ca: [...rootCertificates, settings.ca] } : {}) } : {}),
    };
    const req = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, options, (res) => {
      const declared = Number(res.headers['content-length']);
      if (Number.isFinite(declared) && declared > maxBytes) {
        req.destroy();
        reject(new RegistryError(`${url.host} sent ${declared} bytes, over the limit of ${maxBytes}`));
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > maxBytes) {
          req.destroy();
          reject(new RegistryError(`${url.host} sent more than the limit of ${maxBytes} bytes`));
          return;
        }
        chunks.push(chunk);
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', (error) => reject(signal.aborted ? (signal.reason as Error) : new RegistryError(`${url.host}: ${error.message}`, { retryable: true })));
    });
    req.on('error', (error) => reject(signal.aborted ? (signal.reason as Error) : new RegistryError(`${url.host}: ${(error as NodeJS.ErrnoException).code ?? error.message}`, { retryable: true })));
    req.end();
  });
}

function retryAfterMs(header: string | string[] | undefined): number {
  const seconds = Number(Array.isArray(header) ? header[0] : header);
  return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : 0;
}

/** The registry's error codes (`{"errors":[{"code":"MANIFEST_UNKNOWN"}]}`), briefly. */
function describeErrors(body: Buffer): string {
  try {
    const parsed = JSON.parse(body.subarray(0, 4096).toString('utf8')) as { errors?: { code?: unknown }[] };
    const codes = (parsed.errors ?? []).map((e) => e.code).filter((c): c is string => typeof c === 'string' && /^[A-Z_]{1,40}$/.test(c));
    return codes.length > 0 ? ` (${codes.slice(0, 3).join(', ')})` : '';
  } catch {
    return '';
  }
}
