/**
 * Image references as Kubernetes and container runtimes read them
 * (`[registry[:port]/]repository[:tag][@digest]`), normalised the way the kubelet pulls them:
 * no registry means Docker Hub (`docker.io`, whose API host is `registry-1.docker.io`), a
 * one-component Docker Hub repository is under `library/`, and no tag and no digest means
 * `latest`.
 *
 * Parsed by hand, character classes only: a reference comes from an object a user wrote, and the
 * grammar's usual regular expression backtracks exponentially on some inputs.
 */

export interface ImageReference {
  /** Registry host, with port when given: `registry.example.com:5000`, `docker.io`. */
  registry: string;
  /** Repository path within the registry: `library/nginx`, `team/app`. */
  repository: string;
  tag?: string;
  /** `sha256:<64 hex>` (or another algorithm's `name:hex`). */
  digest?: string;
}

export const DOCKER_HUB = 'docker.io';
/** Where Docker Hub's registry API is served. */
export const DOCKER_HUB_API = 'registry-1.docker.io';
const MAX_LENGTH = 4096;

export class ImageReferenceError extends Error {}

const isLowerAlnum = (c: string): boolean => (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
const isTagChar = (c: string): boolean => isLowerAlnum(c) || (c >= 'A' && c <= 'Z') || c === '_' || c === '.' || c === '-';
const isHex = (c: string): boolean => (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');

/** A path component: lower-case letters and digits, separated by one `.`, one or two `_`, or `-`s. */
function validComponent(component: string): boolean {
  if (component === '' || !isLowerAlnum(component[0] ?? '') || !isLowerAlnum(component[component.length - 1] ?? '')) return false;
  for (let i = 1; i < component.length; i++) {
    const c = component[i] ?? '';
    if (isLowerAlnum(c)) continue;
    const previous = component[i - 1] ?? '';
    if (c === '-' && (isLowerAlnum(previous) || previous === '-')) continue;
    if (c === '.' && isLowerAlnum(previous)) continue;
    if (c === '_' && (isLowerAlnum(previous) || (previous === '_' && component[i - 2] !== '_' && isLowerAlnum(component[i - 2] ?? '')))) continue;
    return false;
  }
  return true;
}

/** A registry host: DNS labels (letters, digits, `-`) joined by `.`, or an IPv6 literal in brackets, and an optional port. */
function validRegistry(host: string): boolean {
  let name = host;
  const colon = host.lastIndexOf(':');
  if (colon > host.lastIndexOf(']')) {
    const port = host.slice(colon + 1);
    if (port === '' || port.length > 5 || [...port].some((c) => c < '0' || c > '9')) return false;
    name = host.slice(0, colon);
  }
  if (name.startsWith('[')) return name.endsWith(']') && name.length > 2 && [...name.slice(1, -1)].every((c) => isHex(c.toLowerCase()) || c === ':' || c === '.');
  return name.split('.').every((label) => label !== '' && !label.startsWith('-') && !label.endsWith('-') && [...label].every((c) => isLowerAlnum(c.toLowerCase()) || c === '-'));
}

function validDigest(digest: string): boolean {
  const colon = digest.indexOf(':');
  if (colon < 1) return false;
  const algorithm = digest.slice(0, colon);
  const hex = digest.slice(colon + 1);
  if (![...algorithm].every((c) => isLowerAlnum(c) || c === '+' || c === '.' || c === '_' || c === '-')) return false;
  if (algorithm === 'sha256') return hex.length === 64 && [...hex].every(isHex);
  if (algorithm === 'sha512') return hex.length === 128 && [...hex].every(isHex);
  return hex.length >= 32 && [...hex].every((c) => isHex(c) || (c >= 'A' && c <= 'F'));
}

/** A reference as quoted in a message: at most 100 characters of it. */
function quoted(text: string): string {
  return JSON.stringify(text.length > 100 ? `${text.slice(0, 100)}…` : text);
}

/** Parses and normalises an image reference; throws ImageReferenceError saying what is wrong. */
export function parseReference(text: string): ImageReference {
  if (text === '') throw new ImageReferenceError('the image reference is empty');
  if (text.length > MAX_LENGTH) throw new ImageReferenceError(`the image reference is longer than ${MAX_LENGTH} characters`);
  let rest = text;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!validDigest(digest)) throw new ImageReferenceError(`${quoted(text)}: ${quoted(digest)} is not a digest (expected sha256:<64 hex digits>)`);
  }
  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (tag === '' || tag.length > 128 || !(isTagChar(tag[0] ?? '') && tag[0] !== '.' && tag[0] !== '-') || ![...tag].every(isTagChar)) {
      throw new ImageReferenceError(`${quoted(text)}: ${quoted(tag)} is not a valid tag`);
    }
  }
  const parts = rest.split('/');
  const first = parts[0] ?? '';
  const hasRegistry = parts.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost' || first !== first.toLowerCase());
  let registry = hasRegistry ? first : DOCKER_HUB;
  const path = hasRegistry ? parts.slice(1) : parts;
  if (hasRegistry && !validRegistry(registry)) throw new ImageReferenceError(`${quoted(text)}: ${quoted(registry)} is not a registry host`);
  if (registry === 'index.docker.io' || registry === DOCKER_HUB_API) registry = DOCKER_HUB;
  if (path.length === 0 || !path.every(validComponent)) throw new ImageReferenceError(`${quoted(text)}: the repository ${quoted(path.join('/'))} must be lower-case letters and digits, with . _ - separators`);
  const repository = registry === DOCKER_HUB && path.length === 1 ? `library/${path[0] ?? ''}` : path.join('/');
  if (repository.length > 255) throw new ImageReferenceError(`${quoted(text)}: the repository name is longer than 255 characters`);
  return { registry, repository, ...(tag !== undefined ? { tag } : digest === undefined ? { tag: 'latest' } : {}), ...(digest !== undefined ? { digest } : {}) };
}

/** The reference written out in full: `docker.io/library/nginx:1.27@sha256:…`. */
export function formatReference(ref: ImageReference): string {
  return `${ref.registry}/${ref.repository}${ref.tag !== undefined ? `:${ref.tag}` : ''}${ref.digest !== undefined ? `@${ref.digest}` : ''}`;
}

/** The repository, with its registry: what key patterns and deny lists match. */
export function repositoryOf(ref: ImageReference): string {
  return `${ref.registry}/${ref.repository}`;
}

/** The host to call for a registry (Docker Hub's API lives elsewhere). */
export function apiHost(registry: string): string {
  return registry === DOCKER_HUB ? DOCKER_HUB_API : registry;
}
