/**
 * CEL's value semantics for library functions that take `dyn` or generic lists: the type name of a
 * value, heterogeneous equality (`1 == 1.0`) and ordering. cel-js keeps these private, and the
 * Kubernetes list functions (indexOf, min, isSorted, …) need exactly the CEL rules, not JavaScript's.
 */
import {
  isBytes,
  isDuration,
  isList,
  isMap,
  isTimestamp,
  isTypeValue,
  isUint,
  mapEntries,
  toArray,
} from './runtime-types.js';

/** Library value classes (Quantity, IP, …) carry their CEL type name and their own equality. */
export interface LibraryValue {
  equals(other: unknown): boolean;
}

interface LibraryClass {
  readonly celTypeName: string;
}

function libraryTypeName(value: object): string | undefined {
  const ctor: unknown = value.constructor;
  if (typeof ctor === 'function' && 'celTypeName' in ctor) {
    const name = (ctor as LibraryClass).celTypeName;
    if (typeof name === 'string') return name;
  }
  return undefined;
}

function isLibraryValue(value: unknown): value is LibraryValue & object {
  return typeof value === 'object' && value !== null && libraryTypeName(value) !== undefined;
}

/** The CEL type name of a runtime value, as CEL error messages spell it. */
export function celTypeName(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return 'string';
    case 'bigint':
      return 'int';
    case 'number':
      return 'double';
    case 'boolean':
      return 'bool';
    case 'undefined':
      return 'unknown';
  }
  if (value === null) return 'null_type';
  if (isUint(value)) return 'uint';
  if (isBytes(value)) return 'bytes';
  if (isList(value)) return 'list';
  if (isTimestamp(value)) return 'google.protobuf.Timestamp';
  if (isDuration(value)) return 'google.protobuf.Duration';
  if (isTypeValue(value)) return 'type';
  if (typeof value === 'object') {
    const name = libraryTypeName(value);
    if (name) return name;
  }
  if (isMap(value)) return 'map';
  return 'unknown';
}

/** int, uint and double as one JavaScript numeric value (bigint or number), or undefined. */
export function numericValue(value: unknown): bigint | number | undefined {
  if (typeof value === 'bigint' || typeof value === 'number') return value;
  if (isUint(value)) return value.valueOf();
  return undefined;
}

/** CEL equality: numbers compare across int, uint and double; lists and maps deeply. */
export function celEquals(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  const na = numericValue(a);
  const nb = numericValue(b);
  if (na !== undefined || nb !== undefined) {
    // A bigint and a number compare exactly with ==; NaN equals nothing.
    return na !== undefined && nb !== undefined && na == nb;
  }
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (isBytes(a) || isBytes(b)) return isBytes(a) && isBytes(b) && bytesEqual(a, b);
  if (isTimestamp(a) || isTimestamp(b)) {
    return isTimestamp(a) && isTimestamp(b) && a.getTime() === b.getTime();
  }
  if (isDuration(a) || isDuration(b)) {
    return isDuration(a) && isDuration(b) && a.seconds === b.seconds && a.nanos === b.nanos;
  }
  if (isTypeValue(a) || isTypeValue(b)) return isTypeValue(a) && isTypeValue(b) && a.name === b.name;
  if (isLibraryValue(a) || isLibraryValue(b)) {
    return isLibraryValue(a) && isLibraryValue(b) && a.constructor === b.constructor && a.equals(b);
  }
  if (isList(a) || isList(b)) return isList(a) && isList(b) && listsEqual(toArray(a), toArray(b));
  if (isMap(a) && isMap(b)) return mapsEqual(mapEntries(a), mapEntries(b));
  return false;
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function listsEqual(a: readonly unknown[], b: readonly unknown[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!celEquals(a[i], b[i])) return false;
  return true;
}

function mapsEqual(a: [unknown, unknown][], b: [unknown, unknown][]): boolean {
  if (a.length !== b.length) return false;
  // String keys (every key of a map read from an object) are looked up directly, so comparing
  // two maps stays linear; other keys fall back to CEL equality on each entry.
  const byString = new Map<string, unknown>();
  for (const [k, v] of b) if (typeof k === 'string') byString.set(k, v);
  for (const [key, value] of a) {
    if (typeof key === 'string') {
      if (!byString.has(key) || !celEquals(value, byString.get(key))) return false;
      continue;
    }
    const match = b.find(([otherKey]) => celEquals(key, otherKey));
    if (!match || !celEquals(value, match[1])) return false;
  }
  return true;
}

/**
 * CEL ordering for the comparable types (numbers across int/uint/double, string, bool, bytes,
 * timestamp, duration). Throws on NaN and on values of types that do not order together.
 */
export function celCompare(a: unknown, b: unknown): -1 | 0 | 1 {
  const na = numericValue(a);
  const nb = numericValue(b);
  if (na !== undefined && nb !== undefined) {
    if (Number.isNaN(na) || Number.isNaN(nb)) throw new Error('NaN values cannot be ordered');
    return na < nb ? -1 : na > nb ? 1 : 0;
  }
  if (typeof a === 'string' && typeof b === 'string') return compareStrings(a, b);
  if (typeof a === 'boolean' && typeof b === 'boolean') return a === b ? 0 : a ? 1 : -1;
  if (isBytes(a) && isBytes(b)) return compareBytes(a, b);
  if (isTimestamp(a) && isTimestamp(b)) return sign(a.getTime() - b.getTime());
  if (isDuration(a) && isDuration(b)) {
    if (a.seconds !== b.seconds) return a.seconds < b.seconds ? -1 : 1;
    return sign(a.nanos - b.nanos);
  }
  throw new Error(`no such overload: cannot compare ${celTypeName(a)} with ${celTypeName(b)}`);
}

function sign(n: number): -1 | 0 | 1 {
  return n < 0 ? -1 : n > 0 ? 1 : 0;
}

/**
 * Orders strings by Unicode code point, as Go compares UTF-8 bytes. JavaScript's `<` compares
 * UTF-16 units, which puts U+10000 and above before U+E000..U+FFFF.
 */
export function compareStrings(a: string, b: string): -1 | 0 | 1 {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codeUnitRank(x) < codeUnitRank(y) ? -1 : 1;
  }
  return sign(a.length - b.length);
}

/** Surrogates (code points above U+FFFF) rank after every other UTF-16 unit. */
function codeUnitRank(unit: number): number {
  if (unit >= 0xd800 && unit <= 0xdfff) return unit + 0x2000;
  if (unit >= 0xe000) return unit - 0x800;
  return unit;
}

function compareBytes(a: Uint8Array, b: Uint8Array): -1 | 0 | 1 {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    if (x !== y) return x < y ? -1 : 1;
  }
  return sign(a.length - b.length);
}
