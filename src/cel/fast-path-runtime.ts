/**
 * The run-time helpers of the CEL fast path (fast-path.ts): each mirrors what cel-js does for one
 * operation on the values of the subset (plain maps, arrays, strings, int as bigint, double,
 * bool, null, cel-js Optionals), and throws BAIL outside it or FAST_ERROR where cel-js raises an
 * error. Generated code calls them; keeping them here, as ordinary functions, keeps the generated
 * code small and these semantics in one reviewable place.
 */
import { Optional } from '@marcbachmann/cel-js';
import { subsetTypeName } from './fast-path-methods.js';
import { isPlainMap } from './plain-map.js';
import { BAIL, FAST_ERROR } from './fast-path-signals.js';

export { BAIL, FAST_ERROR };

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const hasOwn = Object.hasOwn as (o: object, k: PropertyKey) => boolean;
export const OptionalClass = Optional as unknown as {
  new (v?: unknown): { hasValue(): boolean; value(): unknown; orValue(d?: unknown): unknown };
  of(v: unknown): unknown;
  none(): unknown;
};

export function isEscape(error: unknown): boolean {
  // BAIL and the budget error must never be absorbed by && / || / all / exists.
  return error !== FAST_ERROR;
}

/** A map of the subset: see plain-map.ts. */
export const isPlainObject = isPlainMap;

/** A value cel-js can type (debugType); anything else is outside the subset. */
export function checked(v: unknown): unknown {
  const type = typeof v;
  if (type === 'string' || type === 'bigint' || type === 'boolean' || type === 'number') return v;
  if (type === 'object' && (v === null || Array.isArray(v) || isPlainObject(v as object))) return v;
  throw BAIL;
}

/** A JSON-made map: the common receiver, tested first (a map with its own "constructor" key takes the long way). */
function isObjectLiteral(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && (v as { constructor?: unknown }).constructor === Object;
}

/** `left.name`, on a dyn receiver (cel-js fieldAccess). */
export function field(left: unknown, name: string): unknown {
  if (isObjectLiteral(left)) {
    const v = hasOwn(left, name) ? left[name] : undefined;
    if (v === undefined) throw FAST_ERROR;
    return checked(v);
  }
  if (typeof left === 'object') {
    if (left === null) throw FAST_ERROR;
    if (left instanceof OptionalClass) return optionalField(left, name);
    if (!Array.isArray(left) && isPlainObject(left)) {
      const v = hasOwn(left, name) ? (left as Record<string, unknown>)[name] : undefined;
      if (v === undefined) throw FAST_ERROR;
      return checked(v);
    }
  }
  throw BAIL;
}

/** `left.?name` (cel-js #getOptionalField). */
export function optionalField(left: unknown, name: string): unknown {
  let obj = left;
  if (obj instanceof OptionalClass) {
    obj = obj.orValue(undefined);
    if (obj === undefined) return OptionalClass.none();
  }
  if (typeof obj === 'object') {
    if (obj === null || Array.isArray(obj)) return OptionalClass.none();
    if (isPlainObject(obj)) {
      const v = hasOwn(obj, name) ? (obj as Record<string, unknown>)[name] : undefined;
      if (v === undefined) return OptionalClass.none();
      return OptionalClass.of(checked(v));
    }
    throw BAIL;
  }
  if (typeof obj === 'string' || typeof obj === 'bigint' || typeof obj === 'number' || typeof obj === 'boolean') {
    return OptionalClass.none();
  }
  throw BAIL;
}

/** `left[index]` (cel-js fieldAccess with an evaluated key). */
export function index(left: unknown, key: unknown): unknown {
  if (Array.isArray(left)) {
    if (typeof key !== 'bigint') throw BAIL;
    const i = Number(key);
    if (i < 0 || i >= left.length) throw FAST_ERROR;
    return checked(left[i]);
  }
  if (left === null) {
    if (typeof key === 'string') throw FAST_ERROR;
    throw BAIL;
  }
  if (typeof left === 'object' && isPlainObject(left) && !(left instanceof OptionalClass)) {
    if (typeof key !== 'string') throw BAIL;
    const v = hasOwn(left, key) ? (left as Record<string, unknown>)[key] : undefined;
    if (v === undefined) throw FAST_ERROR;
    return checked(v);
  }
  throw BAIL;
}

/** `left[?key]` (cel-js #getOptionalField through the list or map type). */
export function optionalIndex(left: unknown, key: unknown): unknown {
  let obj = left;
  if (obj instanceof OptionalClass) {
    obj = obj.orValue(undefined);
    if (obj === undefined) return OptionalClass.none();
  }
  if (Array.isArray(obj)) {
    if (typeof key !== 'bigint') throw BAIL;
    const i = Number(key);
    return i < 0 || i >= obj.length ? OptionalClass.none() : OptionalClass.of(checked(obj[i]));
  }
  if (typeof obj === 'object' && obj !== null && isPlainObject(obj)) {
    if (typeof key !== 'string') throw BAIL;
    const v = hasOwn(obj, key) ? (obj as Record<string, unknown>)[key] : undefined;
    return v === undefined ? OptionalClass.none() : OptionalClass.of(checked(v));
  }
  throw BAIL;
}

/** The name of a value's CEL type, for `type(a) == type(b)`; BAIL outside the subset. */
export function typeName(v: unknown): string {
  const name = subsetTypeName(v);
  if (name === undefined) throw BAIL;
  return name;
}

/** CEL equality as cel-js implements it (isEqual), for the value kinds of the subset. */
export function equal(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  const ta = typeof a;
  const tb = typeof b;
  if (ta === 'bigint') return tb === 'number' ? a == b : false; // eslint-disable-line eqeqeq
  if (ta === 'number') return tb === 'bigint' ? a == b : false; // eslint-disable-line eqeqeq
  if (ta === 'string' || ta === 'boolean') {
    if (tb === 'object' && b !== null && !Array.isArray(b) && !isPlainObject(b as object)) throw BAIL;
    return false;
  }
  if (ta !== 'object' || tb !== 'object') {
    if (ta === 'object' && a !== null && !Array.isArray(a) && !isPlainObject(a as object)) throw BAIL;
    return false;
  }
  if (a === null || b === null) {
    const other = (a === null ? b : a) as object;
    if (!Array.isArray(other) && !isPlainObject(other)) throw BAIL;
    return false;
  }
  const aList = Array.isArray(a);
  const bList = Array.isArray(b);
  if (!aList && !isPlainObject(a as object)) throw BAIL;
  if (!bList && !isPlainObject(b as object)) throw BAIL;
  if (aList !== bList) return false;
  if (aList) {
    const x = a as unknown[];
    const y = b as unknown[];
    if (x.length !== y.length) return false;
    for (let i = 0; i < x.length; i++) if (!equal(x[i], y[i])) return false;
    return true;
  }
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  const keys = Object.keys(x);
  if (keys.length !== Object.keys(y).length) return false;
  for (const key of keys) if (!(key in y && equal(x[key], y[key]))) return false;
  return true;
}

export function codePoints(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n--;
        i++;
      }
    }
  }
  return n;
}

export function size(v: unknown): bigint {
  if (typeof v === 'string') return BigInt(codePoints(v));
  if (Array.isArray(v)) return BigInt(v.length);
  if (typeof v === 'object' && v !== null && isPlainObject(v) && !(v instanceof OptionalClass)) {
    return BigInt(Object.keys(v).length);
  }
  throw BAIL;
}

export function iterable(v: unknown): readonly unknown[] {
  if (Array.isArray(v)) return v;
  if (typeof v === 'object' && v !== null && isPlainObject(v) && !(v instanceof OptionalClass)) return Object.keys(v);
  throw BAIL;
}

export function compare(op: string, a: unknown, b: unknown): boolean {
  const ta = typeof a;
  const tb = typeof b;
  const numeric = (ta === 'bigint' || ta === 'number') && (tb === 'bigint' || tb === 'number');
  if (!numeric && !(ta === 'string' && tb === 'string')) throw BAIL;
  const x = a as number;
  const y = b as number;
  switch (op) {
    case '<':
      return x < y;
    case '<=':
      return x <= y;
    case '>':
      return x > y;
    default:
      return x >= y;
  }
}

export function add(a: unknown, b: unknown): unknown {
  if (typeof a === 'string' && typeof b === 'string') return a + b;
  if (typeof a === 'bigint' && typeof b === 'bigint') {
    const r = a + b;
    if (r < INT64_MIN || r > INT64_MAX) throw BAIL;
    return r;
  }
  if (Array.isArray(a) && Array.isArray(b)) return a.concat(b);
  throw BAIL;
}

export function membership(a: unknown, b: unknown): boolean {
  if (Array.isArray(b)) {
    for (const v of b) if (equal(a, v)) return true;
    return false;
  }
  if (typeof b === 'object' && b !== null && isPlainObject(b) && !(b instanceof OptionalClass)) {
    if (typeof a !== 'string') throw BAIL;
    return hasOwn(b, a) ? (b as Record<string, unknown>)[a] !== undefined : false;
  }
  throw BAIL;
}

export function optionalOf(v: unknown): { hasValue(): boolean; value(): unknown; orValue(d?: unknown): unknown } {
  if (v instanceof OptionalClass) return v;
  throw BAIL;
}

/** `a - b` on ints. */
export function minus(a: unknown, b: unknown): bigint {
  if (typeof a !== 'bigint' || typeof b !== 'bigint') throw BAIL;
  const v = a - b;
  if (v < INT64_MIN || v > INT64_MAX) throw BAIL;
  return v;
}

/** `-x` on an int. */
export function negate(x: unknown): bigint {
  if (typeof x !== 'bigint' || x === INT64_MIN) throw BAIL;
  return -x;
}

/** `!x` */
export function not(x: unknown): boolean {
  if (typeof x === 'boolean') return !x;
  throw BAIL;
}

/** `string(x)` for strings and ints. */
export function toStringValue(x: unknown): string {
  if (typeof x === 'string') return x;
  if (typeof x === 'bigint') return String(x);
  throw BAIL;
}

/** One entry of a map literal, in order: string keys only, no duplicates (cel-js rejects them). */
export function mapEntry(out: Record<string, unknown>, key: unknown, value: unknown): void {
  if (typeof key !== 'string' || key === '__proto__' || key === 'constructor' || key === 'prototype') throw BAIL;
  if (hasOwn(out, key)) throw BAIL;
  out[key] = value;
}

/** `has(root.a.b.c)`: every step but the last must exist (else no such key); the last decides. */
export function hasPath(root: unknown, names: readonly string[]): boolean {
  let obj = root;
  const last = names.length - 1;
  for (let i = 0; i <= last; i++) {
    let v: unknown;
    if (obj === null || typeof obj === 'string' || typeof obj === 'bigint' || typeof obj === 'number' || typeof obj === 'boolean') {
      v = undefined;
    } else if (typeof obj === 'object' && !Array.isArray(obj) && isPlainObject(obj)) {
      v = hasOwn(obj, names[i]!) ? (obj as Record<string, unknown>)[names[i]!] : undefined;
      if (v !== undefined) checked(v);
    } else {
      throw BAIL;
    }
    if (v === undefined) {
      if (i === last) return false;
      throw FAST_ERROR;
    }
    obj = v;
  }
  return true;
}

/** `list.join(sep)`: strings only. */
export function join(list: unknown, separator: unknown): string {
  if (!Array.isArray(list) || typeof separator !== 'string') throw BAIL;
  for (const item of list) if (typeof item !== 'string') throw BAIL;
  return list.join(separator);
}

/** `x.startsWith(y)`, `endsWith`, `contains` on strings. */
export function stringTest(method: 'startsWith' | 'endsWith' | 'includes', x: unknown, y: unknown): boolean {
  if (typeof x !== 'string' || typeof y !== 'string') throw BAIL;
  return x[method](y);
}

/** The value of `opt.value()`: an error when empty. */
export function optionalValue(v: unknown): unknown {
  const o = optionalOf(v);
  if (!o.hasValue()) throw FAST_ERROR;
  return o.value();
}

/**
 * One `.?name` step of an optional chain that ends in orValue(), hasValue() or value(), with
 * undefined for "none" instead of an Optional object (values of the subset are never undefined).
 * Same cases as optionalField().
 */
export function optionalFieldStep(left: unknown, name: string): unknown {
  if (isObjectLiteral(left)) {
    const v = hasOwn(left, name) ? left[name] : undefined;
    return v === undefined ? undefined : checked(v);
  }
  let obj = left;
  if (obj instanceof OptionalClass) obj = obj.orValue(undefined);
  if (obj === undefined) return undefined;
  if (typeof obj === 'object') {
    if (obj === null || Array.isArray(obj)) return undefined;
    if (isPlainObject(obj)) {
      const v = hasOwn(obj, name) ? (obj as Record<string, unknown>)[name] : undefined;
      return v === undefined ? undefined : checked(v);
    }
    throw BAIL;
  }
  if (typeof obj === 'string' || typeof obj === 'bigint' || typeof obj === 'number' || typeof obj === 'boolean') return undefined;
  throw BAIL;
}

/** One `[?key]` step of such a chain; same cases as optionalIndex(). */
export function optionalIndexStep(left: unknown, key: unknown): unknown {
  let obj = left;
  if (obj instanceof OptionalClass) obj = obj.orValue(undefined);
  if (obj === undefined) return undefined;
  if (Array.isArray(obj)) {
    if (typeof key !== 'bigint') throw BAIL;
    const i = Number(key);
    return i < 0 || i >= obj.length ? undefined : checked(obj[i]);
  }
  if (typeof obj === 'object' && obj !== null && isPlainObject(obj)) {
    if (typeof key !== 'string') throw BAIL;
    const v = hasOwn(obj, key) ? (obj as Record<string, unknown>)[key] : undefined;
    return v === undefined ? undefined : checked(v);
  }
  throw BAIL;
}
