/**
 * A fast path for CEL evaluation: compiles a parsed cel-js AST into a tree of JavaScript closures,
 * for the subset of CEL most rule expressions use. Anything outside the subset makes
 * compileFastPath() return undefined, and the expression runs on cel-js alone.
 *
 * At run time the closure never decides anything it is unsure of. Three outcomes leave it:
 *
 * - a value: the same value cel-js would return (checked by test/cel/fast-path.test.ts);
 * - BAIL: a runtime shape the subset does not cover (a uint, a timestamp, `-` overflow…). The
 *   caller re-runs the expression on cel-js from the start;
 * - FAST_ERROR: a case where cel-js is known to raise *some* error (no such key, index out of
 *   bounds, non-bool condition). Inside `&&`, `||`, all() and exists() it is absorbed exactly as
 *   cel-js absorbs errors; if it escapes, the caller re-runs on cel-js, which produces the exact
 *   error message. Errors are rare, so their cost does not matter.
 *
 * The iteration budget is counted by the `tick` callback once per comprehension body evaluation,
 * the same count the instrumented cel-js program makes (see instrument.ts); its error propagates
 * straight out and is never absorbed (run() checks the budget after every run in any case).
 */
import { Optional, type ASTNode } from '@marcbachmann/cel-js';
import { fastMethod, subsetTypeName } from './fast-path-methods.js';
import { BAIL, FAST_ERROR } from './fast-path-signals.js';

export { BAIL, FAST_ERROR };

type Activation = Record<string, unknown>;
type Fn = (act: Activation) => unknown;

export interface FastProgram {
  (act: Activation): unknown;
}

class Unsupported extends Error {}

const COMPARISONS = new Set(['<', '<=', '>', '>=']);
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const hasOwn = Object.hasOwn as (o: object, k: PropertyKey) => boolean;
const OptionalClass = Optional as unknown as {
  new (v?: unknown): { hasValue(): boolean; value(): unknown; orValue(d?: unknown): unknown };
  of(v: unknown): unknown;
  none(): unknown;
};

/**
 * Compiles `ast` to a closure, or returns undefined when the expression is outside the subset.
 * `tick` is called once per comprehension iteration and throws when the budget is exceeded.
 */
/** Why an expression is outside the subset (undefined when it is inside), for reports. */
export function fastPathGap(ast: ASTNode): string | undefined {
  try {
    new Compiler(() => {}, { path: () => '', pathField: () => '' }).compile(ast, new Map());
    return undefined;
  } catch (error) {
    if (error instanceof Unsupported) return error.message || 'unsupported';
    throw error;
  }
}

export function compileFastPath(ast: ASTNode, tick: () => void, hooks: FastPathHooks = {}): FastProgram | undefined {
  const compiler = new Compiler(tick, hooks);
  try {
    return compiler.compile(ast, new Map());
  } catch (error) {
    if (error instanceof Unsupported) return undefined;
    throw error;
  }
}

/** Palisade functions the closure may call directly (registered in the environment). */
export interface FastPathHooks {
  /** path(node) */
  path?: (node: unknown) => string;
  /** path(node, field) */
  pathField?: (node: unknown, field: string) => string;
}

type Scope = ReadonlyMap<string, { slot: number }>;

function isEscape(error: unknown): boolean {
  // BAIL and the budget error must never be absorbed by && / || / all / exists.
  return error !== FAST_ERROR;
}

function isPlainObject(v: object): boolean {
  const c = (v as { constructor?: unknown }).constructor;
  return c === Object || c === undefined;
}

/** A value cel-js can type (debugType); anything else is outside the subset. */
function checked(v: unknown): unknown {
  if (typeof v === 'object') {
    if (v === null || Array.isArray(v) || isPlainObject(v)) return v;
    throw BAIL;
  }
  if (typeof v === 'function' || typeof v === 'symbol' || v === undefined) throw BAIL;
  return v;
}

/** `left.name`, on a dyn receiver (cel-js fieldAccess). */
function field(left: unknown, name: string): unknown {
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
function optionalField(left: unknown, name: string): unknown {
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
function index(left: unknown, key: unknown): unknown {
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
function optionalIndex(left: unknown, key: unknown): unknown {
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
function typeName(v: unknown): string {
  const name = subsetTypeName(v);
  if (name === undefined) throw BAIL;
  return name;
}

/** CEL equality as cel-js implements it (isEqual), for the value kinds of the subset. */
function equal(a: unknown, b: unknown): boolean {
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

function codePoints(s: string): number {
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

function size(v: unknown): bigint {
  if (typeof v === 'string') return BigInt(codePoints(v));
  if (Array.isArray(v)) return BigInt(v.length);
  if (typeof v === 'object' && v !== null && isPlainObject(v) && !(v instanceof OptionalClass)) {
    return BigInt(Object.keys(v).length);
  }
  throw BAIL;
}

function iterable(v: unknown): readonly unknown[] {
  if (Array.isArray(v)) return v;
  if (typeof v === 'object' && v !== null && isPlainObject(v) && !(v instanceof OptionalClass)) return Object.keys(v);
  throw BAIL;
}

function compare(op: string, a: unknown, b: unknown): boolean {
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

function add(a: unknown, b: unknown): unknown {
  if (typeof a === 'string' && typeof b === 'string') return a + b;
  if (typeof a === 'bigint' && typeof b === 'bigint') {
    const r = a + b;
    if (r < INT64_MIN || r > INT64_MAX) throw BAIL;
    return r;
  }
  if (Array.isArray(a) && Array.isArray(b)) return a.concat(b);
  throw BAIL;
}

function membership(a: unknown, b: unknown): boolean {
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

function optionalOf(v: unknown): { hasValue(): boolean; value(): unknown; orValue(d?: unknown): unknown } {
  if (v instanceof OptionalClass) return v;
  throw BAIL;
}

class Compiler {
  #slots = 0;
  readonly #values: unknown[] = [];
  readonly #tick: () => void;
  readonly #hooks: FastPathHooks;

  constructor(tick: () => void, hooks: FastPathHooks) {
    this.#tick = tick;
    this.#hooks = hooks;
  }

  compile(ast: ASTNode, scope: Scope): Fn {
    const sub = (n: ASTNode): Fn => this.compile(n, scope);
    const node = ast as unknown as { op: string; args: unknown };
    const args = node.args as never;
    switch (node.op) {
      case 'value': {
        const v = node.args;
        if (v === null || typeof v === 'string' || typeof v === 'bigint' || typeof v === 'boolean' || typeof v === 'number') {
          return () => v;
        }
        throw new Unsupported();
      }
      case 'id':
        return this.#identifier(node.args as string, scope);
      case '.': {
        const [left, name] = args as [ASTNode, string];
        const l = sub(left);
        return (act) => field(l(act), name);
      }
      case '.?': {
        const [left, name] = args as [ASTNode, string];
        const l = sub(left);
        return (act) => optionalField(l(act), name);
      }
      case '[]': {
        const [left, key] = args as [ASTNode, ASTNode];
        const l = sub(left);
        const k = sub(key);
        return (act) => index(l(act), k(act));
      }
      case '[?]': {
        const [left, key] = args as [ASTNode, ASTNode];
        const l = sub(left);
        const k = sub(key);
        return (act) => {
          // cel-js evaluates the key first.
          const kv = k(act);
          return optionalIndex(l(act), kv);
        };
      }
      case 'list': {
        const items = (args as ASTNode[]).map(sub);
        return (act) => {
          const out = new Array(items.length);
          // cel-js evaluates list items last to first.
          for (let i = items.length - 1; i >= 0; i--) out[i] = items[i]!(act);
          return out;
        };
      }
      case 'map': {
        const entries = (args as [ASTNode, ASTNode][]).map(([k, v]) => [sub(k), sub(v)] as const);
        return (act) => {
          const out: Record<string, unknown> = {};
          for (const [k, v] of entries) {
            const key = k(act);
            const value = v(act);
            if (typeof key !== 'string' || key === '__proto__' || key === 'constructor' || key === 'prototype') throw BAIL;
            if (hasOwn(out, key)) throw BAIL;
            out[key] = value;
          }
          return out;
        };
      }
      case '-': {
        const [l, r] = (args as ASTNode[]).map(sub) as [Fn, Fn];
        return (act) => {
          const a = l(act);
          const b = r(act);
          if (typeof a !== 'bigint' || typeof b !== 'bigint') throw BAIL;
          const v = a - b;
          if (v < INT64_MIN || v > INT64_MAX) throw BAIL;
          return v;
        };
      }
      case '-_': {
        const v = sub(node.args as ASTNode);
        return (act) => {
          const x = v(act);
          if (typeof x !== 'bigint' || x === INT64_MIN) throw BAIL;
          return -x;
        };
      }
      case '?:': {
        const [c, t, f] = (args as ASTNode[]).map(sub) as [Fn, Fn, Fn];
        return (act) => {
          const v = c(act);
          if (v === true) return t(act);
          if (v === false) return f(act);
          throw FAST_ERROR;
        };
      }
      case '!_': {
        const v = sub(node.args as ASTNode);
        return (act) => {
          const x = v(act);
          if (typeof x === 'boolean') return !x;
          throw BAIL;
        };
      }
      case '&&':
      case '||': {
        const [l, r] = (args as ASTNode[]).map(sub) as [Fn, Fn];
        const absorbing = node.op === '||'; // the value that decides the result alone
        return (act) => {
          let lv: unknown;
          try {
            lv = l(act);
          } catch (error) {
            if (isEscape(error)) throw error;
            lv = FAST_ERROR;
          }
          if (lv === absorbing) return absorbing;
          const rv = r(act);
          if (lv === !absorbing) {
            if (typeof rv === 'boolean') return rv;
            throw FAST_ERROR;
          }
          if (rv === absorbing) return absorbing;
          throw FAST_ERROR;
        };
      }
      case '==':
      case '!=': {
        const typed = this.#typeComparison(args as [ASTNode, ASTNode], scope);
        if (typed) return node.op === '==' ? typed : (act) => !typed(act);
        const [l, r] = (args as ASTNode[]).map(sub) as [Fn, Fn];
        if (node.op === '==') return (act) => equal(l(act), r(act));
        return (act) => !equal(l(act), r(act));
      }
      case '+': {
        const [l, r] = (args as ASTNode[]).map(sub) as [Fn, Fn];
        return (act) => add(l(act), r(act));
      }
      case 'in': {
        const [l, r] = (args as ASTNode[]).map(sub) as [Fn, Fn];
        return (act) => membership(l(act), r(act));
      }
      case 'call':
        return this.#call(args as [string, ASTNode[]], scope);
      case 'rcall':
        return this.#receiverCall(args as [string, ASTNode, ASTNode[]], scope);
      default:
        if (COMPARISONS.has(node.op)) {
          const op = node.op;
          const [l, r] = (args as ASTNode[]).map(sub) as [Fn, Fn];
          return (act) => compare(op, l(act), r(act));
        }
        throw new Unsupported(node.op);
    }
  }

  /**
   * `type(a) == type(b)`: compares type names. A type value is otherwise outside the subset, so
   * type() anywhere else leaves the expression to cel-js.
   */
  #typeComparison(args: [ASTNode, ASTNode], scope: Scope): Fn | undefined {
    const typeArg = (n: ASTNode): ASTNode | undefined => {
      const call = n as unknown as { op: string; args: [string, ASTNode[]] };
      return call.op === 'call' && call.args[0] === 'type' && call.args[1].length === 1 ? call.args[1][0] : undefined;
    };
    const [a, b] = args.map(typeArg);
    if (!a || !b) return undefined;
    const l = this.compile(a, scope);
    const r = this.compile(b, scope);
    return (act) => {
      const rv = r(act);
      return typeName(l(act)) === typeName(rv);
    };
  }

  #identifier(name: string, scope: Scope): Fn {
    const bound = scope.get(name);
    if (bound) {
      const values = this.#values;
      const slot = bound.slot;
      return () => values[slot];
    }
    if (name === 'cel' || name === 'optional') throw new Unsupported();
    return (act) => {
      const v = act[name];
      if (v === undefined) throw BAIL;
      return v;
    };
  }

  #bind(name: string, scope: Scope): [Scope, number] {
    const slot = this.#slots++;
    const inner = new Map(scope);
    inner.set(name, { slot });
    return [inner, slot];
  }

  #call([name, args]: [string, ASTNode[]], scope: Scope): Fn {
    if (name === 'has' && args.length === 1) return this.#has(args[0]!, scope);
    if (name === 'size' && args.length === 1) {
      const v = this.compile(args[0]!, scope);
      return (act) => size(v(act));
    }
    const { path, pathField } = this.#hooks;
    if (name === 'path' && args.length === 1 && path) {
      const node = this.compile(args[0]!, scope);
      return (act) => path(node(act));
    }
    if (name === 'path' && args.length === 2 && pathField) {
      const node = this.compile(args[0]!, scope);
      const fieldName = this.compile(args[1]!, scope);
      return (act) => {
        const f = fieldName(act);
        const n = node(act);
        if (typeof f !== 'string') throw BAIL;
        return pathField(n, f);
      };
    }
    if (name === 'string' && args.length === 1) {
      const v = this.compile(args[0]!, scope);
      return (act) => {
        const x = v(act);
        if (typeof x === 'string') return x;
        if (typeof x === 'bigint') return String(x);
        throw BAIL;
      };
    }
    throw new Unsupported(`${name}()`);
  }

  #has(arg: ASTNode, scope: Scope): Fn {
    // has(a.b.c): a and a.b must exist (else no such key), the last step decides.
    const names: string[] = [];
    let node = arg as unknown as { op: string; args: unknown };
    while (node.op === '.') {
      const [left, name] = node.args as [ASTNode, string];
      names.unshift(name);
      node = left as unknown as { op: string; args: unknown };
    }
    if (node.op !== 'id' || names.length === 0) throw new Unsupported();
    const root = this.#identifier(node.args as string, scope);
    const last = names.length - 1;
    return (act) => {
      let obj = root(act);
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
    };
  }

  #receiverCall([name, receiver, args]: [string, ASTNode, ASTNode[]], scope: Scope): Fn {
    const recv = receiver as unknown as { op: string; args: unknown };
    if (name === 'bind' && recv.op === 'id' && recv.args === 'cel' && !scope.has('cel') && args.length === 3) {
      const variable = args[0] as unknown as { op: string; args: unknown };
      if (variable.op !== 'id') throw new Unsupported();
      const init = this.compile(args[1]!, scope);
      const [inner, slot] = this.#bind(variable.args as string, scope);
      const body = this.compile(args[2]!, inner);
      const values = this.#values;
      return (act) => {
        values[slot] = init(act);
        return body(act);
      };
    }
    if (['all', 'exists', 'exists_one', 'map', 'filter'].includes(name)) {
      return this.#comprehension(name, receiver, args, scope);
    }
    const r = this.compile(receiver, scope);
    const a = args.map((n) => this.compile(n, scope));
    switch (`${name}/${args.length}`) {
      case 'size/0':
        return (act) => size(r(act));
      case 'startsWith/1':
      case 'endsWith/1':
      case 'contains/1': {
        const arg = a[0]!;
        const method = name === 'contains' ? 'includes' : (name as 'startsWith' | 'endsWith');
        return (act) => {
          // cel-js evaluates the arguments last to first.
          const y = arg(act);
          const x = r(act);
          if (typeof x !== 'string' || typeof y !== 'string') throw BAIL;
          return x[method](y);
        };
      }
      case 'join/0':
      case 'join/1': {
        const sep = a[0];
        return (act) => {
          const separator = sep ? sep(act) : '';
          const list = r(act);
          if (!Array.isArray(list) || typeof separator !== 'string') throw BAIL;
          for (const item of list) if (typeof item !== 'string') throw BAIL;
          return list.join(separator);
        };
      }
      case 'hasValue/0':
        return (act) => optionalOf(r(act)).hasValue();
      case 'value/0':
        return (act) => {
          const o = optionalOf(r(act));
          if (!o.hasValue()) throw FAST_ERROR;
          return o.value();
        };
      case 'orValue/1': {
        const arg = a[0]!;
        return (act) => {
          const o = optionalOf(r(act));
          return o.hasValue() ? o.value() : arg(act);
        };
      }
      default: {
        const method = fastMethod(name, args.length, equal);
        if (!method) throw new Unsupported(`.${name}/${args.length}`);
        return (act) => {
          // cel-js evaluates the arguments last to first, then the receiver.
          const values = new Array<unknown>(a.length);
          for (let i = a.length - 1; i >= 0; i--) values[i] = a[i]!(act);
          return method(r(act), values);
        };
      }
    }
  }

  #comprehension(name: string, receiver: ASTNode, args: ASTNode[], scope: Scope): Fn {
    const iterVar = args[0] as unknown as { op: string; args: unknown };
    if (iterVar?.op !== 'id') throw new Unsupported();
    if (!(args.length === 2 || (args.length === 3 && name === 'map'))) throw new Unsupported();
    const range = this.compile(receiver, scope);
    const [inner, slot] = this.#bind(iterVar.args as string, scope);
    const bodies = args.slice(1).map((n) => this.compile(n, inner));
    const values = this.#values;
    const tick = this.#tick;
    const body = bodies[0]!;
    switch (name) {
      case 'all':
      case 'exists': {
        const stopAt = name === 'exists'; // the accumulator value that ends the loop
        return (act) => {
          const items = iterable(range(act));
          let accu = !stopAt;
          let failed = false;
          for (let i = 0; i < items.length && accu !== stopAt; i++) {
            values[slot] = items[i];
            tick();
            let v: unknown;
            try {
              v = body(act);
            } catch (error) {
              if (isEscape(error)) throw error;
              failed = true;
              continue;
            }
            if (v === true) accu = true;
            else if (v === false) accu = false;
            else failed = true;
          }
          if (failed && accu !== stopAt) throw FAST_ERROR;
          return accu;
        };
      }
      case 'exists_one':
        return (act) => {
          const items = iterable(range(act));
          let count = 0;
          for (let i = 0; i < items.length; i++) {
            values[slot] = items[i];
            tick();
            const v = body(act);
            if (v === true) count++;
            else if (v !== false) throw FAST_ERROR;
          }
          return count === 1;
        };
      case 'filter':
        return (act) => {
          const items = iterable(range(act));
          const out: unknown[] = [];
          for (let i = 0; i < items.length; i++) {
            const item = items[i];
            values[slot] = item;
            tick();
            const v = body(act);
            if (v === true) out.push(item);
            else if (v !== false) throw FAST_ERROR;
          }
          return out;
        };
      default: {
        if (bodies.length === 1) {
          return (act) => {
            const items = iterable(range(act));
            const out: unknown[] = [];
            for (let i = 0; i < items.length; i++) {
              values[slot] = items[i];
              tick();
              out.push(body(act));
            }
            return out;
          };
        }
        const transform = bodies[1]!;
        return (act) => {
          const items = iterable(range(act));
          const out: unknown[] = [];
          for (let i = 0; i < items.length; i++) {
            values[slot] = items[i];
            tick();
            const v = body(act);
            if (v === true) {
              tick();
              out.push(transform(act));
            } else if (v !== false) throw FAST_ERROR;
          }
          return out;
        };
      }
    }
  }
}
