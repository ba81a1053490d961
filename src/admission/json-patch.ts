/**
 * JSON Patch (RFC 6902) over JSON Pointers (RFC 6901): the patch format of a mutating admission
 * webhook's response. Pure and dependency-free.
 *
 * applyPatch() checks every operation against the document as it stands when the operation is
 * reached, and throws a JsonPatchError naming the operation and what is wrong with it: a path
 * that does not exist for remove, replace or a copy/move source, an add whose parent does not
 * exist, an array index out of range or not a number, a failed test. It never modifies the
 * document it is given; it returns a new one. A patch applies whole or not at all, as the RFC
 * requires.
 */
import { setKey } from '../json/set-key.js';

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export const JSON_PATCH_OPS = ['add', 'remove', 'replace', 'test', 'copy', 'move'] as const;
export type JsonPatchOpName = (typeof JSON_PATCH_OPS)[number];

export type JsonPatchOp =
  | { op: 'add'; path: string; value: JsonValue }
  | { op: 'remove'; path: string }
  | { op: 'replace'; path: string; value: JsonValue }
  | { op: 'test'; path: string; value: JsonValue }
  | { op: 'copy'; from: string; path: string }
  | { op: 'move'; from: string; path: string };

export class JsonPatchError extends Error {
  /** Index of the operation in the patch. */
  readonly index: number;
  readonly operation: JsonPatchOp;
  constructor(index: number, operation: JsonPatchOp, reason: string) {
    super(`operation ${index} (${describeOp(operation)}): ${reason}`);
    this.name = 'JsonPatchError';
    this.index = index;
    this.operation = operation;
  }
}

/** A JSON Pointer that cannot be read: not empty and not starting with '/', or a bad '~' escape. */
export class JsonPointerError extends Error {
  constructor(pointer: string, reason: string) {
    super(`invalid JSON pointer ${JSON.stringify(pointer)}: ${reason}`);
    this.name = 'JsonPointerError';
  }
}

/** One reference token, escaped for a JSON Pointer: `~` → `~0`, `/` → `~1` (in that order). */
export function escapePointer(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** A pointer from its unescaped reference tokens: ['a/b', 'c'] → '/a~1b/c'. '' is the whole document. */
export function formatPointer(segments: readonly (string | number)[]): string {
  return segments.map((s) => `/${escapePointer(String(s))}`).join('');
}

/** The unescaped reference tokens of a pointer: '/a~1b/c' → ['a/b', 'c']; '' → []. */
export function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw new JsonPointerError(pointer, "must be empty or start with '/'");
  return pointer
    .slice(1)
    .split('/')
    .map((token) => {
      if (/~(?![01])/.test(token)) throw new JsonPointerError(pointer, "'~' must be followed by 0 or 1");
      return token.replace(/~1/g, '/').replace(/~0/g, '~');
    });
}

/**
 * Applies the operations in order to a copy of `document` and returns the copy. Throws a
 * JsonPatchError at the first operation that does not apply; `document` is left as it was either
 * way.
 */
export function applyPatch(document: unknown, ops: readonly JsonPatchOp[]): unknown {
  const root: Root = { doc: cloneJson(document) };
  ops.forEach((op, index) => applyOperationTo(root, op, index));
  return root.doc;
}

/**
 * Applies one operation to `root.doc` in place, or throws and leaves it as it was. For callers
 * that apply operations one by one to their own copy and drop those that fail (engine/mutate.ts).
 */
export function applyOperation(root: { doc: unknown }, op: JsonPatchOp, index = 0): void {
  applyOperationTo(root, op, index);
}

interface Root {
  doc: unknown;
}

type Container = Record<string, unknown> | unknown[];

function applyOperationTo(root: Root, op: JsonPatchOp, index: number): void {
  const fail = (reason: string): never => {
    throw new JsonPatchError(index, op, reason);
  };
  checkShape(op, fail);
  const path = parseOrFail(op.path, 'path', fail);
  switch (op.op) {
    case 'add':
      add(root, path, cloneJson(op.value), fail);
      return;
    case 'remove':
      remove(root, path, fail);
      return;
    case 'replace':
      replace(root, path, cloneJson(op.value), fail);
      return;
    case 'test': {
      const actual = get(root.doc, path, fail);
      if (!jsonEqual(actual, op.value)) fail(`test failed: the value at ${op.path} is not ${preview(op.value)}`);
      return;
    }
    case 'copy': {
      const from = parseOrFail(op.from, 'from', fail);
      add(root, path, cloneJson(get(root.doc, from, fail, 'from')), fail);
      return;
    }
    case 'move': {
      const from = parseOrFail(op.from, 'from', fail);
      if (from.length < path.length && from.every((s, i) => s === path[i])) {
        fail('"from" must not be a parent of "path" (a value cannot be moved into itself)');
      }
      if (from.length === path.length && from.every((s, i) => s === path[i])) {
        get(root.doc, from, fail, 'from');
        return;
      }
      const value = get(root.doc, from, fail, 'from');
      const undo = remove(root, from, fail);
      try {
        add(root, path, value, fail);
      } catch (error) {
        undo();
        throw error;
      }
      return;
    }
  }
}

/** Patches come from CEL and HTTP bodies: their shape is checked, not trusted to the types. */
function checkShape(op: JsonPatchOp, fail: (reason: string) => never): void {
  const record = op as unknown;
  if (typeof record !== 'object' || record === null || Array.isArray(record)) fail('an operation must be an object');
  const o = record as Record<string, unknown>;
  if (!(JSON_PATCH_OPS as readonly unknown[]).includes(o['op'])) fail(`"op" must be one of ${JSON_PATCH_OPS.join(', ')}`);
  if (typeof o['path'] !== 'string') fail('"path" must be a string');
  if ((o['op'] === 'add' || o['op'] === 'replace' || o['op'] === 'test') && !('value' in o)) fail(`"${String(o['op'])}" needs a "value"`);
  if ((o['op'] === 'copy' || o['op'] === 'move') && typeof o['from'] !== 'string') fail(`"${String(o['op'])}" needs a "from" string`);
}

function parseOrFail(pointer: string, member: string, fail: (reason: string) => never): string[] {
  try {
    return parsePointer(pointer);
  } catch (error) {
    return fail(`"${member}" is an ${(error as Error).message}`);
  }
}

/** The value at `path`; fails when any part of it does not exist. */
function get(doc: unknown, path: readonly string[], fail: (reason: string) => never, member = 'path'): unknown {
  let node = doc;
  for (let i = 0; i < path.length; i++) {
    const segment = path[i] as string;
    if (Array.isArray(node)) {
      const at = arrayIndex(segment, node.length, false, fail, path, i);
      node = node[at];
    } else if (isObject(node) && Object.hasOwn(node, segment)) {
      node = node[segment];
    } else {
      fail(`${member} ${formatPointer(path.slice(0, i + 1))} does not exist`);
    }
  }
  return node;
}

/** The container that holds the last token of `path` (the path must not be the root). */
function parent(doc: unknown, path: readonly string[], fail: (reason: string) => never): Container {
  const holder = get(doc, path.slice(0, -1), fail, 'parent');
  if (!Array.isArray(holder) && !isObject(holder)) {
    fail(`parent ${formatPointer(path.slice(0, -1))} is ${kindOf(holder)}, not an object or array`);
  }
  return holder as Container;
}

function add(root: Root, path: readonly string[], value: unknown, fail: (reason: string) => never): void {
  if (path.length === 0) {
    root.doc = value;
    return;
  }
  const holder = parent(root.doc, path, fail);
  const last = path[path.length - 1] as string;
  if (Array.isArray(holder)) {
    // '-' appends; an index may be one past the end (insert at the end).
    const at = last === '-' ? holder.length : arrayIndex(last, holder.length, true, fail, path, path.length - 1);
    holder.splice(at, 0, value);
  } else {
    setKey(holder, last, value);
  }
}

/** Removes the value at `path`; returns a function that puts it back. */
function remove(root: Root, path: readonly string[], fail: (reason: string) => never): () => void {
  if (path.length === 0) fail('the whole document cannot be removed');
  const holder = parent(root.doc, path, fail);
  const last = path[path.length - 1] as string;
  if (Array.isArray(holder)) {
    const at = arrayIndex(last, holder.length, false, fail, path, path.length - 1);
    const [removed] = holder.splice(at, 1);
    return () => void holder.splice(at, 0, removed);
  }
  if (!Object.hasOwn(holder, last)) fail(`path ${formatPointer(path)} does not exist`);
  const removed = holder[last];
  delete holder[last];
  return () => setKey(holder, last, removed);
}

function replace(root: Root, path: readonly string[], value: unknown, fail: (reason: string) => never): void {
  if (path.length === 0) {
    root.doc = value;
    return;
  }
  const holder = parent(root.doc, path, fail);
  const last = path[path.length - 1] as string;
  if (Array.isArray(holder)) {
    holder[arrayIndex(last, holder.length, false, fail, path, path.length - 1)] = value;
    return;
  }
  if (!Object.hasOwn(holder, last)) fail(`path ${formatPointer(path)} does not exist`);
  holder[last] = value;
}

/** An array index token: digits without leading zeros, below `length` (or equal to it, for an add). */
function arrayIndex(
  token: string,
  length: number,
  allowEnd: boolean,
  fail: (reason: string) => never,
  path: readonly string[],
  at: number,
): number {
  const where = formatPointer(path.slice(0, at + 1));
  if (token === '-') fail(`${where}: "-" (past the end of the array) can only end the path of an add`);
  if (!/^(0|[1-9][0-9]*)$/.test(token)) fail(`${where}: "${token}" is not an array index`);
  const index = Number(token);
  if (index > length || (index === length && !allowEnd)) {
    fail(`${where}: index ${index} is out of range (the array has ${length} item${length === 1 ? '' : 's'})`);
  }
  return index;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'missing';
  return `a ${typeof value}`;
}

/**
 * A deep copy of a JSON value. BigInt, which the engine uses for whole numbers, is kept as is.
 * Only plain data is expected: other objects are copied as plain objects of their own fields.
 */
export function cloneJson<T>(value: T): T {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map((v: unknown) => cloneJson(v)) as T;
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(value)) setKey(copy, key, cloneJson((value as Record<string, unknown>)[key]));
  return copy as T;
}

/** Deep equality as JSON sees it: member order does not matter, and 1n equals 1. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if ((typeof a === 'bigint' || typeof a === 'number') && (typeof b === 'bigint' || typeof b === 'number')) {
    // Loose equality compares a BigInt and a number by value.
    return a == b;
  }
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((v, i) => jsonEqual(v, b[i]));
  if (isObject(a) && isObject(b)) {
    const keys = Object.keys(a);
    if (keys.length !== Object.keys(b).length) return false;
    return keys.every((k) => Object.hasOwn(b, k) && jsonEqual(a[k], b[k]));
  }
  return false;
}

function describeOp(op: JsonPatchOp): string {
  const o: Record<string, unknown> = isObject(op) ? op : {};
  const name = typeof o['op'] === 'string' ? o['op'] : '?';
  const path = typeof o['path'] === 'string' ? o['path'] : '?';
  return typeof o['from'] === 'string' ? `${name} ${o['from']} → ${path}` : `${name} ${path}`;
}

function preview(value: unknown): string {
  const text = JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? Number(v) : v)) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
