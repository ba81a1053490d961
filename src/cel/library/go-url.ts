/**
 * The parts of Go's net/url that Kubernetes' url() library relies on: ParseRequestURI (validity),
 * Parse (the value), EscapedPath, Hostname, Port and Query. Ported rule for rule, because what
 * counts as a URL ('https://a:b:c/' is not, 'mailto:x' is) must agree with the API server.
 * Every routine is a single pass over its input.
 */
import { parseAddress } from './ip-address.js';
import { escape, unescape, URLParseError, validEncoded } from './url-escape.js';

export { URLParseError };

export interface GoURL {
  scheme: string;
  opaque: string;
  /** Raw userinfo, undefined when absent. */
  user: string | undefined;
  host: string;
  path: string;
  rawPath: string;
  forceQuery: boolean;
  rawQuery: string;
  fragment: string;
}

function validOptionalPort(port: string): boolean {
  return port === '' || /^:[0-9]*$/.test(port);
}

function validUserinfo(s: string): boolean {
  return /^[A-Za-z0-9\-._:~!$&'()*+,;=%@]*$/.test(s);
}

function getScheme(raw: string): [string, string] {
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i] ?? '';
    if (/[a-zA-Z]/.test(c)) continue;
    if (/[0-9+\-.]/.test(c)) {
      if (i === 0) return ['', raw];
      continue;
    }
    if (c === ':') {
      if (i === 0) throw new URLParseError('missing protocol scheme');
      return [raw.slice(0, i), raw.slice(i + 1)];
    }
    return ['', raw];
  }
  return ['', raw];
}

function parseHost(host: string): string {
  if (host.startsWith('[')) {
    const close = host.lastIndexOf(']');
    if (close < 0) throw new URLParseError("missing ']' in host");
    const colonPort = host.slice(close + 1);
    if (!validOptionalPort(colonPort)) throw new URLParseError(`invalid port ${JSON.stringify(colonPort)} after host`);
    const hostname = host.slice(1, close);
    const zoneAt = hostname.indexOf('%25');
    const address = unescape(zoneAt >= 0 ? hostname.slice(0, zoneAt) : hostname, 'host');
    const zone = zoneAt >= 0 ? unescape(hostname.slice(zoneAt), 'zone') : '';
    // Only an IPv6 address may sit in brackets (RFC 3986; Go enforces it since 1.25.2).
    let bytes: Uint8Array;
    try {
      bytes = parseAddress(address).bytes;
    } catch {
      throw new URLParseError(`invalid IPv6 host ${JSON.stringify(address)}`);
    }
    if (bytes.length === 4) throw new URLParseError('invalid IP-literal');
    return `[${address}${zone}]${colonPort}`;
  }
  const colon = host.lastIndexOf(':');
  if (colon >= 0 && !validOptionalPort(host.slice(colon))) {
    throw new URLParseError(`invalid port ${JSON.stringify(host.slice(colon))} after host`);
  }
  return unescape(host, 'host');
}

function parseAuthority(authority: string): { user: string | undefined; host: string } {
  const at = authority.lastIndexOf('@');
  const host = parseHost(at < 0 ? authority : authority.slice(at + 1));
  if (at < 0) return { user: undefined, host };
  const userinfo = authority.slice(0, at);
  if (!validUserinfo(userinfo)) throw new URLParseError('invalid userinfo');
  const colon = userinfo.indexOf(':');
  // Validates the escapes of the user name and the password (Go decodes them; we only need the check).
  unescape(colon >= 0 ? userinfo.slice(0, colon) : userinfo, 'userPassword');
  if (colon >= 0) unescape(userinfo.slice(colon + 1), 'userPassword');
  return { user: userinfo, host };
}

/** Go's url.parse(rawURL, viaRequest). */
function parse(raw: string, viaRequest: boolean): GoURL {
  if (/[\x00-\x1f\x7f]/.test(raw)) throw new URLParseError('invalid control character in URL');
  if (raw === '' && viaRequest) throw new URLParseError('empty url');
  const url: GoURL = {
    scheme: '',
    opaque: '',
    user: undefined,
    host: '',
    path: '',
    rawPath: '',
    forceQuery: false,
    rawQuery: '',
    fragment: '',
  };
  if (raw === '*') return { ...url, path: '*' };
  let [scheme, rest] = getScheme(raw);
  url.scheme = scheme.toLowerCase();
  const questions = rest.split('?').length - 1;
  if (rest.endsWith('?') && questions === 1) {
    url.forceQuery = true;
    rest = rest.slice(0, -1);
  } else if (questions > 0) {
    const q = rest.indexOf('?');
    url.rawQuery = rest.slice(q + 1);
    rest = rest.slice(0, q);
  }
  if (!rest.startsWith('/')) {
    if (url.scheme !== '') return { ...url, opaque: rest };
    if (viaRequest) throw new URLParseError('invalid URI for request');
    const segment = rest.split('/', 1)[0] ?? '';
    if (segment.includes(':')) throw new URLParseError('first path segment in URL cannot contain colon');
  }
  if ((url.scheme !== '' || (!viaRequest && !rest.startsWith('///'))) && rest.startsWith('//')) {
    let authority = rest.slice(2);
    const slash = authority.indexOf('/');
    rest = slash >= 0 ? authority.slice(slash) : '';
    if (slash >= 0) authority = authority.slice(0, slash);
    const parsed = parseAuthority(authority);
    url.user = parsed.user;
    url.host = parsed.host;
  }
  url.path = unescape(rest, 'path');
  url.rawPath = escape(url.path, 'path') === rest ? '' : rest;
  return url;
}

/** url.ParseRequestURI: an absolute URI or an absolute path; a '#' is not special. */
export function parseRequestURI(raw: string): GoURL {
  return parse(raw, true);
}

/** url.Parse: the fragment is cut off first. */
export function parseURL(raw: string): GoURL {
  const hash = raw.indexOf('#');
  const url = parse(hash >= 0 ? raw.slice(0, hash) : raw, false);
  if (hash >= 0) url.fragment = unescape(raw.slice(hash + 1), 'fragment');
  return url;
}

export function escapedPath(url: GoURL): string {
  if (url.rawPath !== '' && validEncoded(url.rawPath, 'path')) {
    try {
      if (unescape(url.rawPath, 'path') === url.path) return url.rawPath;
    } catch {
      // fall through to re-escaping Path, as Go does
    }
  }
  if (url.path === '*') return '*';
  return escape(url.path, 'path');
}

function splitHostPort(hostPort: string): [string, string] {
  let host = hostPort;
  let port = '';
  const colon = host.lastIndexOf(':');
  if (colon >= 0 && validOptionalPort(host.slice(colon))) {
    port = host.slice(colon + 1);
    host = host.slice(0, colon);
  }
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  return [host, port];
}

export function hostname(url: GoURL): string {
  return splitHostPort(url.host)[0];
}

export function port(url: GoURL): string {
  return splitHostPort(url.host)[1];
}

/** url.Values from RawQuery; malformed pairs (bad escapes, ';') are skipped, as Query() does. */
export function parseQuery(rawQuery: string): Map<string, string[]> {
  const values = new Map<string, string[]>();
  for (const pair of rawQuery.split('&')) {
    if (pair === '' || pair.includes(';')) continue;
    const eq = pair.indexOf('=');
    let key: string;
    let value: string;
    try {
      key = unescape(eq >= 0 ? pair.slice(0, eq) : pair, 'queryComponent');
      value = unescape(eq >= 0 ? pair.slice(eq + 1) : '', 'queryComponent');
    } catch (error) {
      if (error instanceof URLParseError) continue;
      throw error;
    }
    const list = values.get(key);
    if (list) list.push(value);
    else values.set(key, [value]);
  }
  return values;
}
