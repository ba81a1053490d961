/**
 * Strict, BigInt-aware equality of two CEL results as cel-js represents them: an int (bigint) never
 * equals a double (number), unlike CEL's own `==`; NaN equals NaN, so an expected NaN can match.
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
} from '../../../src/cel/library/runtime-types.js';
import type { LibraryValue } from '../../../src/cel/library/values.js';

export function deepEqual(actual: unknown, expected: unknown): boolean {
  if (typeof actual === 'number' && typeof expected === 'number') {
    return actual === expected || (Number.isNaN(actual) && Number.isNaN(expected));
  }
  if (typeof actual !== 'object' || typeof expected !== 'object' || actual === null || expected === null) {
    return actual === expected;
  }
  if (isUint(actual) || isUint(expected)) {
    return isUint(actual) && isUint(expected) && actual.valueOf() === expected.valueOf();
  }
  if (isBytes(actual) || isBytes(expected)) {
    return isBytes(actual) && isBytes(expected) && Buffer.from(actual).equals(Buffer.from(expected));
  }
  if (isTimestamp(actual) || isTimestamp(expected)) {
    return isTimestamp(actual) && isTimestamp(expected) && actual.getTime() === expected.getTime();
  }
  if (isDuration(actual) || isDuration(expected)) {
    return isDuration(actual) && isDuration(expected) && actual.seconds === expected.seconds && actual.nanos === expected.nanos;
  }
  if (isTypeValue(actual) || isTypeValue(expected)) {
    return isTypeValue(actual) && isTypeValue(expected) && actual.name === expected.name;
  }
  if (isList(actual) || isList(expected)) {
    if (!isList(actual) || !isList(expected)) return false;
    const a = toArray(actual);
    const e = toArray(expected);
    return a.length === e.length && a.every((item, i) => deepEqual(item, e[i]));
  }
  if (isMap(actual) && isMap(expected)) {
    const a = mapEntries(actual);
    const e = mapEntries(expected);
    return a.length === e.length && e.every(([key, value]) => a.some(([k, v]) => sameKey(k, key) && deepEqual(v, value)));
  }
  if (actual.constructor === expected.constructor && 'equals' in actual) {
    return (actual as LibraryValue).equals(expected);
  }
  return false;
}

/**
 * cel-js stores map literals as plain objects, so every key arrives as a string: an int key 1 is
 * "1". Keys therefore compare by their string form (a known cel-js limitation, not ours to hide
 * elsewhere: values still compare strictly).
 */
function sameKey(actual: unknown, expected: unknown): boolean {
  if (deepEqual(actual, expected)) return true;
  const text = (k: unknown): string | undefined =>
    typeof k === 'string' || typeof k === 'bigint' || typeof k === 'boolean' ? String(k) : isUint(k) ? String(k.valueOf()) : undefined;
  const a = text(actual);
  return a !== undefined && a === text(expected);
}
