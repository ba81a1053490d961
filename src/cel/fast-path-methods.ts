/**
 * String and list methods of the fast path (fast-path.ts): `x.split(sep)`, `x.substring(i, j)`,
 * `x.indexOf(y)`, `x.matches(re)`… Each mirrors the implementation cel-js (or Palisade's library)
 * runs for the same call, on the same UTF-16 indexes, so values agree exactly; test/cel/fast-path.test.ts
 * checks that on every built-in rule expression. A receiver or argument of another type BAILs (cel-js
 * decides, possibly with another overload); a case where cel-js raises an error is FAST_ERROR.
 */
import { re2Find, re2FindAll, re2Matches } from './library/regex.js';
import { celTypeName } from './library/values.js';
import { BAIL, FAST_ERROR } from './fast-path-signals.js';
import { isPlainMap } from './plain-map.js';

/** A method with its receiver and arguments already evaluated. */
export type FastMethod = (receiver: unknown, args: readonly unknown[]) => unknown;

function str(v: unknown): string {
  if (typeof v !== 'string') throw BAIL;
  return v;
}

function int(v: unknown): number {
  if (typeof v !== 'bigint') throw BAIL;
  return Number(v);
}

/** Runs a regex function (text, pattern, limit?) whose errors (a bad pattern) are evaluation errors in cel-js. */
function guarded<T>(run: (text: string, pattern: string, limit?: bigint) => T, text: string, pattern: string, limit?: bigint): T {
  try {
    return run(text, pattern, limit);
  } catch {
    throw FAST_ERROR;
  }
}

function substring(s: string, start: number, end: number = s.length): string {
  if (start < 0 || start > s.length) throw FAST_ERROR;
  if (end < start || end > s.length) throw FAST_ERROR;
  return s.substring(start, end);
}

function splitLimited(s: string, sep: string, limit: number): string[] {
  if (limit === 0) return [];
  const parts = s.split(sep);
  if (limit < 0 || parts.length <= limit) return parts;
  const limited = parts.slice(0, limit - 1);
  limited.push(parts.slice(limit - 1).join(sep));
  return limited;
}

/**
 * The runtime type cel-js gives a value when it picks an overload (debugTypeDeep): a list or map is
 * typed by its first element or entry, an empty one as dyn. Undefined outside the subset.
 */
type DeepType = string | { list: DeepType } | { key: DeepType; value: DeepType };

/** The CEL type name of a value inside the subset (plain maps, arrays, scalars), else undefined. */
export function subsetTypeName(v: unknown): string | undefined {
  if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
    if (!isPlainMap(v)) return undefined;
  } else if (typeof v === 'function' || typeof v === 'symbol' || v === undefined) {
    return undefined;
  }
  return celTypeName(v);
}

function deepType(v: unknown): DeepType | undefined {
  const name = subsetTypeName(v);
  if (name === 'list') {
    const list = v as unknown[];
    return list.length === 0 ? { list: 'dyn' } : wrapList(deepType(list[0]));
  }
  if (name === 'map') {
    for (const key in v as Record<string, unknown>) return wrapMap(deepType((v as Record<string, unknown>)[key]));
    return { key: 'dyn', value: 'dyn' };
  }
  return name;
}

function wrapList(element: DeepType | undefined): DeepType | undefined {
  return element === undefined ? undefined : { list: element };
}

function wrapMap(value: DeepType | undefined): DeepType | undefined {
  return value === undefined ? undefined : { key: 'string', value };
}

/** Whether two deep types match the way cel-js matches an overload's parameter (dyn matches all). */
function typesMatch(a: DeepType, b: DeepType): boolean {
  if (a === 'dyn' || b === 'dyn') return true;
  if (typeof a === 'string' || typeof b === 'string') return a === b;
  if ('list' in a) return 'list' in b && typesMatch(a.list, b.list);
  return 'key' in b && typesMatch(a.key, b.key) && typesMatch(a.value, b.value);
}

/**
 * `list.indexOf(x)` / `lastIndexOf(x)`, with the fast path's CEL equality. cel-js resolves
 * `list<A>.indexOf(A)` against the list's first element, so an item of another type is its
 * "no matching overload" error: that case, and anything the deep types cannot tell, BAILs.
 */
function listIndex(list: unknown[], item: unknown, equal: (a: unknown, b: unknown) => boolean, last: boolean): bigint {
  // The common case, strings in a list of strings, needs no deep types: identity is equality.
  if (typeof item === 'string' && typeof list[0] === 'string') {
    return BigInt(last ? list.lastIndexOf(item) : list.indexOf(item));
  }
  const listType = deepType(list);
  const itemType = deepType(item);
  if (listType === undefined || itemType === undefined || !typesMatch((listType as { list: DeepType }).list, itemType)) throw BAIL;
  if (last) {
    for (let i = list.length - 1; i >= 0; i--) if (equal(list[i], item)) return BigInt(i);
  } else {
    for (let i = 0; i < list.length; i++) if (equal(list[i], item)) return BigInt(i);
  }
  return -1n;
}

/** The method for `name/arity`, or undefined when the fast path does not cover it. */
export function fastMethod(name: string, arity: number, equal: (a: unknown, b: unknown) => boolean): FastMethod | undefined {
  switch (`${name}/${arity}`) {
    case 'lowerAscii/0':
      return (r) => str(r).toLowerCase();
    case 'upperAscii/0':
      return (r) => str(r).toUpperCase();
    case 'trim/0':
      return (r) => str(r).trim();
    case 'split/1':
      return (r, [sep]) => str(r).split(str(sep));
    case 'split/2':
      return (r, [sep, limit]) => splitLimited(str(r), str(sep), int(limit));
    case 'substring/1':
      return (r, [start]) => substring(str(r), int(start));
    case 'substring/2':
      return (r, [start, end]) => substring(str(r), int(start), int(end));
    case 'indexOf/1':
    case 'lastIndexOf/1': {
      const last = name === 'lastIndexOf';
      return (r, [x]) => {
        if (Array.isArray(r)) return listIndex(r, x, equal, last);
        const s = str(r);
        return BigInt(last ? s.lastIndexOf(str(x)) : s.indexOf(str(x)));
      };
    }
    case 'matches/1':
      return (r, [pattern]) => {
        const text = str(r);
        const p = str(pattern);
        return guarded(re2Matches, text, p);
      };
    case 'find/1':
      return (r, [pattern]) => {
        const text = str(r);
        const p = str(pattern);
        return guarded(re2Find, text, p);
      };
    case 'findAll/1':
    case 'findAll/2':
      return (r, [pattern, limit]) => {
        const text = str(r);
        const p = str(pattern);
        if (limit !== undefined && typeof limit !== 'bigint') throw BAIL;
        return guarded(re2FindAll, text, p, limit as bigint | undefined);
      };
    default:
      return undefined;
  }
}
