/**
 * Names and label values for stored reports. A report's name is derived from its owner alone
 * (`palisade-deployment-web`), so every audit run and every replica computes the same name and
 * updates the report in place instead of creating a new one. Kubernetes limits (DNS-1123 subdomain
 * names of at most 253 characters, label values of at most 63) are met by cutting and appending a
 * hash of the full identity, so two owners never share a name because of the cut.
 */
import { createHash } from 'node:crypto';

export const MAX_NAME_LENGTH = 253;
export const MAX_LABEL_VALUE_LENGTH = 63;
/** Room kept at the end of a base name for a part suffix (`-2` … `-99999`). */
const PART_ROOM = 6;
const HASH_LENGTH = 10;

/** API groups whose kinds are well known enough to leave out of the name (`deployment`, not `deployment.apps`). */
const PLAIN_GROUPS = new Set(['', 'apps', 'batch', 'rbac.authorization.k8s.io', 'networking.k8s.io', 'policy']);

/** First characters of the hex SHA-256 of the text. */
export function shortHash(text: string, length = HASH_LENGTH): string {
  return createHash('sha256').update(text).digest('hex').slice(0, length);
}

/** The group of `apps/v1` (`apps`); the core group of `v1` is ''. */
export function apiGroupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash === -1 ? '' : apiVersion.slice(0, slash);
}

const SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export function isDnsSubdomain(name: string): boolean {
  return name.length <= MAX_NAME_LENGTH && SUBDOMAIN.test(name);
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** A namespace name (DNS-1123 label): safe to put in a shell command unquoted. */
export function isDnsLabel(name: string): boolean {
  return name.length <= MAX_LABEL_VALUE_LENGTH && DNS_LABEL.test(name);
}

/**
 * Lowercases and replaces what a DNS-1123 subdomain does not allow: any other character becomes
 * `-`, a run of separators containing a dot becomes one dot, and the ends are trimmed.
 */
function toSubdomainChars(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9.-]/g, '-')
    .replace(/-*\.[-.]*/g, '.')
    .replace(/-+/g, '-')
    .replace(/^[-.]+|[-.]+$/g, '');
}

function trimEnd(text: string): string {
  return text.replace(/[-.]+$/, '');
}

export interface OwnerIdentity {
  apiVersion: string;
  kind: string;
  name: string;
}

/**
 * `palisade-<kind>-<name>`, with the API group after the kind when it is not a well-known one
 * (`palisade-rollout.argoproj.io-web`), so a CRD kind that shares a name with a built-in one cannot
 * collide. When the owner's name had to be changed to be valid (uppercase, `:` in an RBAC name) or
 * the result is too long, a hash of the exact identity is appended.
 */
export function reportBaseName(owner: OwnerIdentity): string {
  const group = apiGroupOf(owner.apiVersion);
  const kind = owner.kind.toLowerCase() + (PLAIN_GROUPS.has(group) ? '' : `.${group}`);
  const raw = `palisade-${kind}-${owner.name}`;
  const name = toSubdomainChars(raw);
  if (name === raw && isDnsSubdomain(name) && name.length <= MAX_NAME_LENGTH - PART_ROOM) return name;
  return hashedName(name, `${group}/${owner.kind}/${owner.name}`);
}

/** The name cut to fit, with a hash of `identity` appended. */
export function hashedName(name: string, identity: string): string {
  const keep = MAX_NAME_LENGTH - PART_ROOM - HASH_LENGTH - 1;
  return `${trimEnd(name.slice(0, keep))}-${shortHash(identity)}`;
}

/** Part 1 keeps the base name; parts 2… are `base-2`, `base-3`. */
export function partName(base: string, index: number): string {
  return index === 0 ? base : `${base}-${index + 1}`;
}

const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

export function isLabelValue(value: string): boolean {
  return value.length <= MAX_LABEL_VALUE_LENGTH && LABEL_VALUE.test(value);
}

/** The value itself when it is a valid label value, else a cut and hashed one that is. */
export function labelValue(value: string): string {
  if (isLabelValue(value)) return value;
  const cleaned = value.replace(/[^-A-Za-z0-9_.]/g, '-').replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '');
  const keep = MAX_LABEL_VALUE_LENGTH - HASH_LENGTH - 1;
  const head = cleaned.slice(0, keep).replace(/[^A-Za-z0-9]+$/, '');
  return head === '' ? shortHash(value) : `${head}-${shortHash(value)}`;
}

/**
 * At most `max` UTF-16 units, ending in `…` when cut; a surrogate pair is never split, so the
 * result stays valid UTF-8 when stored.
 */
export function cut(text: string, max: number): string {
  if (text.length <= max) return text;
  let head = text.slice(0, Math.max(0, max - 1));
  const last = head.charCodeAt(head.length - 1);
  if (last >= 0xd800 && last <= 0xdbff) head = head.slice(0, -1);
  return `${head}…`;
}
