/**
 * The Kubernetes URL library (k8s.io/apiserver/pkg/cel/library/urls.go):
 *
 *   url(<string>) <URL>      isURL(<string>) <bool>     (an absolute URI or an absolute path)
 *   <URL>.getScheme() / getHost() / getHostname() / getPort() / getEscapedPath() <string>
 *   <URL>.getQuery() <map<string, list<string>>>
 *
 * A component that is absent is ''. getHost keeps IPv6 brackets and the port, getHostname drops
 * both. Validity follows Go's url.ParseRequestURI; the value follows url.Parse (go-url.ts).
 */
import type { Environment } from '@marcbachmann/cel-js';
import {
  escapedPath,
  hostname,
  parseQuery,
  parseRequestURI,
  parseURL,
  port,
  URLParseError,
  type GoURL,
} from './go-url.js';

export class CelURL {
  static readonly celTypeName = 'kubernetes.URL';
  readonly #url: GoURL;

  constructor(url: GoURL) {
    this.#url = url;
  }

  get scheme(): string {
    return this.#url.scheme;
  }

  get host(): string {
    return this.#url.host;
  }

  get hostname(): string {
    return hostname(this.#url);
  }

  get port(): string {
    return port(this.#url);
  }

  get escapedPath(): string {
    return escapedPath(this.#url);
  }

  /** A map with no prototype, so a query key such as `__proto__` is just a key. */
  query(): Record<string, string[]> {
    const out: Record<string, string[]> = Object.create(null) as Record<string, string[]>;
    for (const [key, values] of parseQuery(this.#url.rawQuery)) out[key] = values;
    return out;
  }

  equals(other: unknown): boolean {
    if (!(other instanceof CelURL)) return false;
    const a = this.#url;
    const b = other.#url;
    return (Object.keys(a) as (keyof GoURL)[]).every((k) => a[k] === b[k]);
  }
}

export function parseCelURL(text: string): CelURL {
  try {
    parseRequestURI(text);
    return new CelURL(parseURL(text));
  } catch (error) {
    if (error instanceof URLParseError) {
      throw new URLParseError(`url: invalid URL ${JSON.stringify(text)}: ${error.message}`);
    }
    throw error;
  }
}

export function isURL(text: string): boolean {
  try {
    parseRequestURI(text);
    return true;
  } catch (error) {
    if (error instanceof URLParseError) return false;
    throw error;
  }
}

export function registerURLFunctions(env: Environment): void {
  const U = CelURL.celTypeName;
  // No fields: the getters of the class must not become CEL fields.
  env.registerType(U, { ctor: CelURL, fields: {} });
  env.registerFunction(`url(string): ${U}`, parseCelURL);
  env.registerFunction('isURL(string): bool', isURL);
  env.registerFunction(`${U}.getScheme(): string`, (u: CelURL) => u.scheme);
  env.registerFunction(`${U}.getHost(): string`, (u: CelURL) => u.host);
  env.registerFunction(`${U}.getHostname(): string`, (u: CelURL) => u.hostname);
  env.registerFunction(`${U}.getPort(): string`, (u: CelURL) => u.port);
  env.registerFunction(`${U}.getEscapedPath(): string`, (u: CelURL) => u.escapedPath);
  env.registerFunction(`${U}.getQuery(): map<string, list<string>>`, (u: CelURL) => u.query());
  env.registerOperator(`${U} == ${U}`, (a: CelURL, b: CelURL) => a.equals(b));
}
