/**
 * The Kubernetes list library (k8s.io/apiserver/pkg/cel/library/lists.go):
 *
 *   <list<T>>.sum() <T>          int, uint, double, duration; 0 of that type for an empty list
 *   <list<T>>.min() / .max() <T> comparable T; an empty list is an error
 *   <list<T>>.isSorted() <bool>  comparable T
 *   <list<T>>.indexOf(<T>) / .lastIndexOf(<T>) <int>   CEL equality, -1 when absent
 *
 * One overload per element type keeps the type checker strict (`['a'].sum()` does not compile).
 * Lists read from objects are `dyn`, so every handler checks its elements at run time too. As in
 * Kubernetes, min/max/isSorted skip a comparison that fails (NaN, int against string).
 */
import type { Environment } from '@marcbachmann/cel-js';
import { isDuration, isList, isUint, makeUint, toArray, ZERO_DURATION, type DurationValue } from './runtime-types.js';
import { celCompare, celEquals, celTypeName } from './values.js';

const DURATION = 'google.protobuf.Duration';
const TIMESTAMP = 'google.protobuf.Timestamp';
const SUMMABLE = ['int', 'uint', 'double', DURATION] as const;
const COMPARABLE = ['int', 'uint', 'double', 'bool', 'string', 'bytes', DURATION, TIMESTAMP] as const;

const MAX_INT = 2n ** 63n - 1n;
const MIN_INT = -(2n ** 63n);

function elements(list: unknown, fn: string): readonly unknown[] {
  if (!isList(list)) throw new Error(`${fn}: no such overload for ${celTypeName(list)}`);
  return toArray(list);
}

function mismatch(fn: string, a: unknown, b: unknown): Error {
  return new Error(`${fn}: no such overload: cannot combine ${celTypeName(a)} with ${celTypeName(b)}`);
}

/** The sum of a list; `zero` is the result for an empty list (from the overload's type). */
export function sum(list: unknown, zero: unknown): unknown {
  const items = elements(list, 'sum');
  if (items.length === 0) return zero;
  let acc: unknown = items[0];
  for (let i = 1; i < items.length; i++) acc = add(acc, items[i]);
  return acc;
}

function add(a: unknown, b: unknown): unknown {
  if (typeof a === 'bigint' && typeof b === 'bigint') {
    const r = a + b;
    if (r > MAX_INT || r < MIN_INT) throw new Error('sum: integer overflow');
    return r;
  }
  if (typeof a === 'number' && typeof b === 'number') return a + b;
  if (isUint(a) && isUint(b)) return makeUint(a.valueOf() + b.valueOf());
  if (isDuration(a) && isDuration(b)) return a.addDuration(b);
  throw mismatch('sum', a, b);
}

/** Elements must be of an ordered type even when there is nothing to compare them with. */
function comparable(item: unknown, fn: string): unknown {
  const type = celTypeName(item);
  if (!(COMPARABLE as readonly string[]).includes(type)) {
    throw new Error(`${fn}: no such overload: ${type} values cannot be ordered`);
  }
  return item;
}

/**
 * Kubernetes' min, max and isSorted ignore a comparison that fails (NaN, or an int against a
 * string in a dyn list): the pair simply counts as "not out of order".
 */
function compareLoosely(a: unknown, b: unknown): -1 | 0 | 1 {
  try {
    return celCompare(a, b);
  } catch {
    return 0;
  }
}

function extreme(list: unknown, fn: 'min' | 'max'): unknown {
  const items = elements(list, fn);
  if (items.length === 0) throw new Error(`${fn} called on empty list`);
  const prefer = fn === 'min' ? 1 : -1;
  let result = comparable(items[0], fn);
  for (let i = 1; i < items.length; i++) {
    const item = comparable(items[i], fn);
    // Like Kubernetes, the first of equal elements wins ([1, 1.0].max() is the int 1).
    if (compareLoosely(result, item) === prefer) result = item;
  }
  return result;
}

export function min(list: unknown): unknown {
  return extreme(list, 'min');
}

export function max(list: unknown): unknown {
  return extreme(list, 'max');
}

export function isSorted(list: unknown): boolean {
  const items = elements(list, 'isSorted');
  for (const item of items) comparable(item, 'isSorted');
  for (let i = 1; i < items.length; i++) {
    if (compareLoosely(items[i - 1], items[i]) === 1) return false;
  }
  return true;
}

export function indexOf(list: unknown, item: unknown): bigint {
  const items = elements(list, 'indexOf');
  for (let i = 0; i < items.length; i++) if (celEquals(items[i], item)) return BigInt(i);
  return -1n;
}

export function lastIndexOf(list: unknown, item: unknown): bigint {
  const items = elements(list, 'lastIndexOf');
  for (let i = items.length - 1; i >= 0; i--) if (celEquals(items[i], item)) return BigInt(i);
  return -1n;
}

const ZEROS: Readonly<Record<(typeof SUMMABLE)[number], () => unknown>> = {
  int: () => 0n,
  uint: () => makeUint(0n),
  double: () => 0,
  [DURATION]: (): DurationValue => ZERO_DURATION,
};

export function registerListFunctions(env: Environment): void {
  for (const type of SUMMABLE) {
    const zero = ZEROS[type];
    env.registerFunction(`list<${type}>.sum(): ${type}`, (list: unknown) => sum(list, zero()));
  }
  for (const type of COMPARABLE) {
    env.registerFunction(`list<${type}>.min(): ${type}`, min);
    env.registerFunction(`list<${type}>.max(): ${type}`, max);
    env.registerFunction(`list<${type}>.isSorted(): bool`, isSorted);
  }
  env.registerFunction('list<A>.indexOf(A): int', indexOf);
  env.registerFunction('list<A>.lastIndexOf(A): int', lastIndexOf);
}
