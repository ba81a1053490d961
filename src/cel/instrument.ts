/**
 * Rewrites a parsed CEL expression before it is compiled for evaluation:
 *
 * - every comprehension body (all, exists, exists_one, map, filter) is wrapped as
 *   `__tick() ? body : body`, so each iteration is counted against the evaluation budget. The
 *   engine has no cost hooks and synchronous JavaScript cannot be interrupted, so counting
 *   iterations is what bounds a pathological rule or object. The conditional keeps the body's
 *   type and evaluates it once, and unlike `&&` it never absorbs the budget error.
 * - `matches` is routed to the RE2 implementation (`__re2Matches`): the built-in uses JavaScript's
 *   backtracking RegExp, and built-in overloads cannot be replaced.
 *
 * The same walk reports the free identifiers (for rule-class checks), the deepest comprehension
 * nesting (a load-time limit), map literal keys cel-js would drop, and reads of the
 * `metadata.managedFields` the engine leaves out of every object.
 */
import type { ASTNode } from '@marcbachmann/cel-js';

const COMPREHENSIONS = new Set(['all', 'exists', 'exists_one', 'map', 'filter']);
const NAMESPACES = new Set(['ip', 'strings', 'optional']);

export const TICK_FUNCTION = '__tick';
export const RE2_MATCHES_FUNCTION = '__re2Matches';

/** Keys cel-js leaves out of a map it builds (its guard against prototype pollution). */
export const DROPPED_MAP_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/** Variables whose `metadata.managedFields` the engine leaves out (src/engine/prepare.ts). */
const WITHOUT_MANAGED_FIELDS: ReadonlySet<string> = new Set(['object', 'oldObject', 'namespaceObject']);

export interface InstrumentedExpression {
  source: string;
  /** Identifiers the expression reads from its activation (comprehension variables excluded). */
  freeIdentifiers: Set<string>;
  /** 0 when there is no comprehension; 2 for a comprehension inside another. */
  comprehensionDepth: number;
  /** Literal keys of map literals that cel-js would silently leave out: `{"constructor": 1}` is `{}`. */
  droppedKeys: string[];
  /** The expression reads `object.metadata.managedFields` (or oldObject's, namespaceObject's). */
  readsManagedFields: boolean;
}

interface WalkState {
  free: Set<string>;
  maxDepth: number;
  droppedKeys: string[];
  readsManagedFields: boolean;
}

export function instrument(ast: ASTNode): InstrumentedExpression {
  const state: WalkState = { free: new Set(), maxDepth: 0, droppedKeys: [], readsManagedFields: false };
  const source = emit(ast, new Set(), 0, state);
  return { source, freeIdentifiers: state.free, comprehensionDepth: state.maxDepth, droppedKeys: state.droppedKeys, readsManagedFields: state.readsManagedFields };
}

function emit(node: ASTNode, bound: ReadonlySet<string>, depth: number, state: WalkState): string {
  const sub = (n: ASTNode): string => emit(n, bound, depth, state);
  if (isManagedFieldsRead(node, bound)) state.readsManagedFields = true;
  switch (node.op) {
    case 'value':
      return literal(node.args);
    case 'id':
      if (!bound.has(node.args)) state.free.add(node.args);
      return node.args;
    case '.':
      return `${wrap(node.args[0], sub)}.${node.args[1]}`;
    case '.?':
      return `${wrap(node.args[0], sub)}.?${node.args[1]}`;
    case '[]':
      return `${wrap(node.args[0], sub)}[${sub(node.args[1])}]`;
    case '[?]':
      return `${wrap(node.args[0], sub)}[?${sub(node.args[1])}]`;
    case 'call': {
      const [name, args] = node.args;
      const callee = name === 'matches' ? RE2_MATCHES_FUNCTION : name;
      return `${callee}(${args.map(sub).join(', ')})`;
    }
    case 'rcall':
      return emitReceiverCall(node.args, bound, depth, state);
    case 'list':
      return `[${node.args.map(sub).join(', ')}]`;
    case 'map':
      for (const [key] of node.args) if (key.op === 'value' && typeof key.args === 'string' && DROPPED_MAP_KEYS.has(key.args)) state.droppedKeys.push(key.args);
      return `{${node.args.map(([k, v]) => `${sub(k)}: ${sub(v)}`).join(', ')}}`;
    case '?:':
      return `(${sub(node.args[0])} ? ${sub(node.args[1])} : ${sub(node.args[2])})`;
    case '!_':
      return `!(${sub(node.args)})`;
    case '-_':
      return `-(${sub(node.args)})`;
    default:
      // Binary operators, && and ||: parenthesise every operand so precedence never changes.
      return `(${sub(node.args[0])}) ${node.op} (${sub(node.args[1])})`;
  }
}

/** `object.metadata.managedFields`, with `.?` or `["managedFields"]` too. */
function isManagedFieldsRead(node: ASTNode, bound: ReadonlySet<string>): boolean {
  const field = fieldOf(node);
  if (field?.name !== 'managedFields') return false;
  const metadata = fieldOf(field.receiver);
  return metadata?.name === 'metadata' && metadata.receiver.op === 'id'
    && WITHOUT_MANAGED_FIELDS.has(metadata.receiver.args) && !bound.has(metadata.receiver.args);
}

function fieldOf(node: ASTNode): { receiver: ASTNode; name: unknown } | undefined {
  if (node.op === '.' || node.op === '.?') return { receiver: node.args[0], name: node.args[1] };
  if ((node.op === '[]' || node.op === '[?]') && node.args[1].op === 'value') return { receiver: node.args[0], name: node.args[1].args };
  return undefined;
}

function emitReceiverCall(
  [name, receiver, args]: [string, ASTNode, ASTNode[]],
  bound: ReadonlySet<string>,
  depth: number,
  state: WalkState,
): string {
  const sub = (n: ASTNode): string => emit(n, bound, depth, state);
  // cel.bind(name, init, body): `cel` is a namespace, not a variable; `name` is bound in body.
  if (name === 'bind' && receiver.op === 'id' && receiver.args === 'cel' && args.length === 3) {
    const [variable, init, body] = args as [ASTNode, ASTNode, ASTNode];
    const inner = new Set(bound).add(String(variable.args));
    return `cel.bind(${String(variable.args)}, ${sub(init)}, ${emit(body, inner, depth, state)})`;
  }
  // `ip.isCanonical(…)`, `strings.quote(…)`, `optional.of(…)`: namespaces, not variables.
  if (receiver.op === 'id' && NAMESPACES.has(receiver.args) && !bound.has(receiver.args)) {
    return `${receiver.args}.${name}(${args.map(sub).join(', ')})`;
  }
  const iterVar = args[0];
  if (COMPREHENSIONS.has(name) && iterVar?.op === 'id' && (args.length === 2 || args.length === 3)) {
    const inner = new Set(bound).add(iterVar.args);
    const innerDepth = depth + 1;
    state.maxDepth = Math.max(state.maxDepth, innerDepth);
    const bodies = args.slice(1).map((b) => {
      const body = emit(b, inner, innerDepth, state);
      return `(${TICK_FUNCTION}() ? (${body}) : (${body}))`;
    });
    return `${wrap(receiver, sub)}.${name}(${iterVar.args}, ${bodies.join(', ')})`;
  }
  const method = name === 'matches' ? RE2_MATCHES_FUNCTION : name;
  if (method === RE2_MATCHES_FUNCTION) return `${method}(${[receiver, ...args].map(sub).join(', ')})`;
  return `${wrap(receiver, sub)}.${method}(${args.map(sub).join(', ')})`;
}

/** Member access binds tighter than any operator, so compound receivers need parentheses. */
function wrap(node: ASTNode, sub: (n: ASTNode) => string): string {
  const text = sub(node);
  const simple = ['id', 'value', '.', '.?', '[]', '[?]', 'call', 'rcall', 'list', 'map'].includes(node.op);
  return simple ? text : `(${text})`;
}

function literal(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  if (typeof value === 'number') {
    const text = String(value);
    // CEL needs a '.' or an exponent to read a literal as double: 1 → 1.0, 1e+21 stays.
    return /[.e]/.test(text) ? text : `${text}.0`;
  }
  if (value instanceof Uint8Array) {
    return `b"${Array.from(value, (b) => `\\x${b.toString(16).padStart(2, '0')}`).join('')}"`;
  }
  // Unsigned ints and other literal wrappers print themselves in CEL syntax (e.g. `1u`).
  if (typeof value === 'object' && value !== null && 'value' in value) return `${String(value.value)}u`;
  throw new Error(`unsupported literal in CEL expression: ${String(value)}`);
}
