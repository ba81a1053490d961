/**
 * A fast path for CEL evaluation: compiles a parsed cel-js AST into one JavaScript function, for
 * the subset of CEL most rule expressions use. Anything outside the subset makes
 * compileFastPath() return undefined, and the expression runs on cel-js alone.
 *
 * At run time the function never decides anything it is unsure of. Three outcomes leave it:
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
 *
 * Why generated code rather than a tree of closures: every closure call site in a tree interpreter
 * sees every kind of node, so V8 cannot inline across them; one straight-line function per
 * expression is about twice as fast (BENCHMARKS.md §1b). The generated source contains no text of
 * the expression: names and literals are passed in a constants array, identifiers are numbered
 * temporaries, and every operation calls a reviewed helper in fast-path-runtime.ts.
 */
import type { ASTNode } from '@marcbachmann/cel-js';
import { fastMethod, type FastMethod } from './fast-path-methods.js';
import * as runtime from './fast-path-runtime.js';
import { BAIL, FAST_ERROR } from './fast-path-signals.js';

export { BAIL, FAST_ERROR };

type Activation = Record<string, unknown>;

export interface FastProgram {
  (act: Activation): unknown;
}

/** Palisade functions the generated code may call directly (registered in the environment). */
export interface FastPathHooks {
  /** path(node) */
  path?: (node: unknown) => string;
  /** path(node, field) */
  pathField?: (node: unknown, field: string) => string;
}

class Unsupported extends Error {}

const COMPARISONS = new Set(['<', '<=', '>', '>=']);
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
const RUNTIME_NAMES = Object.keys(runtime).filter((name) => IDENTIFIER.test(name));

/** Why an expression is outside the subset (undefined when it is inside), for reports. */
export function fastPathGap(ast: ASTNode): string | undefined {
  try {
    new Generator({ path: () => '', pathField: () => '' }).generate(ast);
    return undefined;
  } catch (error) {
    if (error instanceof Unsupported) return error.message || 'unsupported';
    throw error;
  }
}

/**
 * Compiles `ast` to a function, or returns undefined when the expression is outside the subset.
 * `tick` is called once per comprehension iteration and throws when the budget is exceeded.
 * `jsonRoots` names the variables whose values are guaranteed JSON all the way down (plain
 * objects, arrays, strings, numbers, bigints, booleans, null: what the engine's preparation
 * checks), so reads below them skip the run-time checks for values outside the subset.
 */
export function compileFastPath(
  ast: ASTNode,
  tick: () => void,
  hooks: FastPathHooks = {},
  jsonRoots: readonly string[] = [],
): FastProgram | undefined {
  let source: string;
  const generator = new Generator(hooks, jsonRoots);
  try {
    source = generator.generate(ast);
  } catch (error) {
    if (error instanceof Unsupported) return undefined;
    throw error;
  }
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- generated from the AST only; see the header
  const factory = new Function('RT', 'K', 'M', 'H', 'tick', source) as (...args: unknown[]) => FastProgram;
  return factory(runtime, generator.constants, generator.methods, hooks, tick);
}

type Node = { op: string; args: unknown };

/**
 * Emits statements for each node into the current block and returns the name of the temporary
 * holding its value, so every value is computed exactly once and in cel-js's order.
 */
class Generator {
  readonly constants: unknown[] = [];
  readonly methods: FastMethod[] = [];
  readonly #hooks: FastPathHooks;
  readonly #jsonRoots: ReadonlySet<string>;
  /** Temporaries known to hold JSON values (see compileFastPath's jsonRoots). */
  readonly #json = new Set<string>();
  #temps = 0;
  #lines: string[] = [];

  constructor(hooks: FastPathHooks = {}, jsonRoots: readonly string[] = []) {
    this.#hooks = hooks;
    this.#jsonRoots = new Set(jsonRoots);
  }

  /** Marks `temp` as holding a JSON value when `known` is; returns it. */
  #jsonIf(known: boolean, temp: string): string {
    if (known) this.#json.add(temp);
    return temp;
  }

  /** The body of the factory: returns the expression's function. */
  generate(ast: ASTNode): string {
    const result = this.#node(ast as unknown as Node, new Map());
    const temps = Array.from({ length: this.#temps }, (_, i) => `t${i}`);
    return [
      `'use strict';`,
      `const { ${RUNTIME_NAMES.join(', ')} } = RT;`,
      `return function celFastPath(act) {`,
      temps.length > 0 ? `let ${temps.join(', ')};` : '',
      ...this.#lines,
      `return ${result};`,
      `};`,
    ].join('\n');
  }

  #temp(): string {
    return `t${this.#temps++}`;
  }

  #const(value: unknown): string {
    this.constants.push(value);
    return `K[${this.constants.length - 1}]`;
  }

  #emit(line: string): void {
    this.#lines.push(line);
  }

  /** Compiles `node` into a separate block (for a branch, a loop body or a try): its lines and value. */
  #block(node: Node, scope: Scope): { lines: string; value: string } {
    const outer = this.#lines;
    this.#lines = [];
    const value = this.#node(node, scope);
    const lines = this.#lines.join('\n');
    this.#lines = outer;
    return { lines, value };
  }

  /** `t = expression;` into a new temporary, returned. */
  #assign(expression: string): string {
    const t = this.#temp();
    this.#emit(`${t} = ${expression};`);
    return t;
  }

  #node(node: Node, scope: Scope): string {
    const args = node.args as Node[];
    switch (node.op) {
      case 'value': {
        const v = node.args;
        if (v === null || typeof v === 'string' || typeof v === 'bigint' || typeof v === 'boolean' || typeof v === 'number') return this.#jsonIf(true, this.#const(v));
        throw new Unsupported();
      }
      case 'id':
        return this.#identifier(node.args as string, scope);
      case '.': {
        const [left, name] = node.args as [Node, string];
        return this.#fieldAccess(this.#node(left, scope), name, 'field');
      }
      case '.?': {
        const [left, name] = node.args as [Node, string];
        return this.#assign(`optionalField(${this.#node(left, scope)}, ${this.#const(name)})`);
      }
      case '[]': {
        const l = this.#node(args[0]!, scope);
        const k = this.#node(args[1]!, scope);
        return this.#assign(`index(${l}, ${k})`);
      }
      case '[?]': {
        // cel-js evaluates the key first.
        const k = this.#node(args[1]!, scope);
        const l = this.#node(args[0]!, scope);
        return this.#assign(`optionalIndex(${l}, ${k})`);
      }
      case 'list': {
        // cel-js evaluates list items last to first.
        const items: string[] = [];
        for (let i = args.length - 1; i >= 0; i--) items[i] = this.#node(args[i]!, scope);
        return this.#jsonIf(items.every((t) => this.#json.has(t)), this.#assign(`[${items.join(', ')}]`));
      }
      case 'map': {
        const literal = this.#plainMapLiteral(node.args as [Node, Node][], scope);
        if (literal) return literal;
        const out = this.#assign('{}');
        for (const [k, v] of node.args as [Node, Node][]) {
          const key = this.#node(k, scope);
          const value = this.#node(v, scope);
          this.#emit(`mapEntry(${out}, ${key}, ${value});`);
        }
        return out;
      }
      case '-':
        return this.#call('minus', args, scope);
      case '-_':
        return this.#assign(`negate(${this.#node(node.args as Node, scope)})`);
      case '!_':
        return this.#assign(`not(${this.#node(node.args as Node, scope)})`);
      case '+': {
        const [l, r] = args.map((n) => this.#node(n, scope)) as [string, string];
        return this.#assign(`typeof ${l} === 'string' && typeof ${r} === 'string' ? ${l} + ${r} : add(${l}, ${r})`);
      }
      case 'in':
        return this.#call('membership', args, scope);
      case '?:':
        return this.#conditional(args, scope);
      case '&&':
      case '||':
        return this.#logical(node.op === '||', args, scope);
      case '==':
      case '!=': {
        const typed = this.#typeComparison(args as [Node, Node], scope);
        const same = typed ?? this.#literalEquality(args as [Node, Node], scope) ?? this.#call('equal', args, scope);
        return node.op === '==' ? same : this.#assign(`!${same}`);
      }
      case 'call':
        return this.#function(node.args as [string, Node[]], scope);
      case 'rcall':
        return this.#receiverCall(node.args as [string, Node, Node[]], scope);
      default:
        if (COMPARISONS.has(node.op)) {
          const l = this.#node(args[0]!, scope);
          const r = this.#node(args[1]!, scope);
          return this.#assign(`compare(${this.#const(node.op)}, ${l}, ${r})`);
        }
        throw new Unsupported(node.op);
    }
  }

  /**
   * A map literal whose keys are distinct identifier-like string literals (`{'container': c, …}`)
   * is built as one object literal once its values are computed in order; other maps go entry by
   * entry through mapEntry(), which checks each key at run time.
   */
  #plainMapLiteral(entries: [Node, Node][], scope: Scope): string | undefined {
    const keys = entries.map(([k]) => (k.op === 'value' && typeof k.args === 'string' ? k.args : undefined));
    const plain = keys.every((k) => k !== undefined && IDENTIFIER.test(k) && !(k in Object.prototype));
    if (!plain || new Set(keys).size !== keys.length) return undefined;
    const values = entries.map(([, v]) => this.#node(v, scope));
    return this.#assign(`{ ${keys.map((k, i) => `${k}: ${values[i]}`).join(', ')} }`);
  }

  /** A helper applied to the operands, evaluated left to right. */
  #call(helper: string, operands: Node[], scope: Scope): string {
    const values = operands.map((n) => this.#node(n, scope));
    return this.#assign(`${helper}(${values.join(', ')})`);
  }

  /**
   * `left.name` (helper field) or one `.?name` step of an optional chain (optionalFieldStep). The
   * common case, a JSON-made map and a name no object inherits, is inlined as a `.name` property
   * read, so each site gets its own inline cache (a helper's one keyed read is megamorphic); any
   * other receiver or name calls the helper. The name appears in the source only when it is a
   * plain identifier, so it cannot change the code around it.
   */
  #fieldAccess(left: string, name: string, helper: 'field' | 'optionalFieldStep'): string {
    const call = `${helper}(${left}, ${this.#const(name)})`;
    if (!IDENTIFIER.test(name) || name in Object.prototype) return this.#assign(call);
    if (this.#json.has(left)) return this.#jsonFieldAccess(left, name, call, helper === 'field');
    const t = this.#temp();
    const missing = helper === 'field' ? 'throw FAST_ERROR;' : '';
    const outside = `typeof ${t} === 'object' ? ${t} !== null && ${t}.constructor !== Object && !Array.isArray(${t}) : typeof ${t} === 'function' || typeof ${t} === 'symbol'`;
    const none = helper === 'field' ? '' : `if (${left} === undefined) ${t} = undefined;\nelse `;
    this.#emit(`${none}if (typeof ${left} === 'object' && ${left} !== null && ${left}.constructor === Object) {`);
    this.#emit(`${t} = ${left}.${name};`);
    this.#emit(missing ? `if (${t} === undefined) ${missing}\nelse if (${outside}) checked(${t});` : `if (${t} !== undefined && (${outside})) checked(${t});`);
    this.#emit(`} else ${t} = ${call};`);
    return t;
  }

  /**
   * #fieldAccess on a JSON value: a map is any non-array object and its values are JSON too, so
   * neither the receiver's constructor nor the value needs checking.
   */
  #jsonFieldAccess(left: string, name: string, call: string, required: boolean): string {
    const t = this.#temp();
    const none = required ? '' : `if (${left} === undefined) ${t} = undefined;\nelse `;
    this.#emit(`${none}if (typeof ${left} === 'object' && ${left} !== null && !Array.isArray(${left})) {\n${t} = ${left}.${name};`);
    if (required) this.#emit(`if (${t} === undefined) throw FAST_ERROR;`);
    this.#emit(`} else ${t} = ${call};`);
    return this.#jsonIf(true, t);
  }

  #identifier(name: string, scope: Scope): string {
    const bound = scope.get(name);
    if (bound) return bound;
    if (name === 'cel' || name === 'optional' || !IDENTIFIER.test(name)) throw new Unsupported();
    const t = this.#assign(`act.${name}`);
    this.#emit(`if (${t} === undefined) throw BAIL;`);
    return this.#jsonIf(this.#jsonRoots.has(name), t);
  }

  #conditional([c, whenTrue, whenFalse]: Node[], scope: Scope): string {
    const condition = this.#node(c!, scope);
    const t = this.#block(whenTrue!, scope);
    const f = this.#block(whenFalse!, scope);
    const out = this.#temp();
    this.#emit(`if (${condition} === true) {\n${t.lines}\n${out} = ${t.value};\n} else if (${condition} === false) {\n${f.lines}\n${out} = ${f.value};\n} else throw FAST_ERROR;`);
    return out;
  }

  /** `a && b` / `a || b` with CEL's error absorption: an error on one side loses to a deciding value on the other. */
  #logical(isOr: boolean, [left, right]: Node[], scope: Scope): string {
    const absorbing = String(isOr); // the value that decides the result alone
    const l = this.#block(left!, scope);
    const r = this.#block(right!, scope);
    const lv = this.#temp();
    const out = this.#temp();
    this.#emit(`try {\n${l.lines}\n${lv} = ${l.value};\n} catch (e) {\nif (isEscape(e)) throw e;\n${lv} = FAST_ERROR;\n}`);
    this.#emit(`if (${lv} === ${absorbing}) ${out} = ${absorbing};\nelse {\n${r.lines}`);
    this.#emit(`if (${lv} === ${String(!isOr)}) {\nif (typeof ${r.value} === 'boolean') ${out} = ${r.value};\nelse throw FAST_ERROR;\n}`);
    this.#emit(`else if (${r.value} === ${absorbing}) ${out} = ${absorbing};\nelse throw FAST_ERROR;\n}`);
    return out;
  }

  /**
   * `x == 'literal'` (or a bool or null literal, either side): identity decides, except that a
   * value of a type outside the subset must still reach equal() to bail. Numbers keep equal(),
   * where an int and a double compare by value.
   */
  #literalEquality([a, b]: [Node, Node], scope: Scope): string | undefined {
    const isLiteral = (n: Node): boolean =>
      n.op === 'value' && (n.args === null || typeof n.args === 'string' || typeof n.args === 'boolean');
    if (!isLiteral(a) && !isLiteral(b)) return undefined;
    const l = this.#node(a, scope);
    const r = this.#node(b, scope);
    const x = isLiteral(a) ? r : l;
    return this.#assign(`${l} === ${r} || (typeof ${x} === 'object' && ${x} !== null && ${x}.constructor !== Object && equal(${l}, ${r}))`);
  }

  /**
   * `type(a) == type(b)`: compares type names. A type value is otherwise outside the subset, so
   * type() anywhere else leaves the expression to cel-js.
   */
  #typeComparison(args: [Node, Node], scope: Scope): string | undefined {
    const typeArg = (n: Node): Node | undefined => {
      if (n.op !== 'call') return undefined;
      const [name, callArgs] = n.args as [string, Node[]];
      return name === 'type' && callArgs.length === 1 ? callArgs[0] : undefined;
    };
    const [a, b] = args.map(typeArg);
    if (!a || !b) return undefined;
    // cel-js evaluates the right side first here.
    const r = this.#node(b, scope);
    const l = this.#node(a, scope);
    return this.#assign(`typeName(${l}) === typeName(${r})`);
  }

  #function([name, args]: [string, Node[]], scope: Scope): string {
    if (name === 'has' && args.length === 1) return this.#has(args[0]!, scope);
    if (name === 'size' && args.length === 1) return this.#call('size', args, scope);
    if (name === 'string' && args.length === 1) return this.#call('toStringValue', args, scope);
    if (name === 'path' && args.length === 1 && this.#hooks.path) return this.#call('H.path', args, scope);
    if (name === 'path' && args.length === 2 && this.#hooks.pathField) {
      const node = this.#node(args[0]!, scope);
      const fieldName = this.#node(args[1]!, scope);
      this.#emit(`if (typeof ${fieldName} !== 'string') throw BAIL;`);
      return this.#assign(`H.pathField(${node}, ${fieldName})`);
    }
    throw new Unsupported(`${name}()`);
  }

  #has(arg: Node, scope: Scope): string {
    // has(a.b.c): a and a.b must exist (else no such key), the last step decides.
    const names: string[] = [];
    let node = arg;
    while (node.op === '.') {
      const [left, name] = node.args as [Node, string];
      names.unshift(name);
      node = left;
    }
    if (node.op !== 'id' || names.length === 0) throw new Unsupported();
    const root = this.#identifier(node.args as string, scope);
    return this.#assign(`hasPath(${root}, ${this.#const(names)})`);
  }

  #receiverCall([name, receiver, args]: [string, Node, Node[]], scope: Scope): string {
    if (name === 'bind' && receiver.op === 'id' && receiver.args === 'cel' && !scope.has('cel') && args.length === 3) {
      const variable = args[0]!;
      if (variable.op !== 'id') throw new Unsupported();
      const init = this.#node(args[1]!, scope);
      const slot = this.#jsonIf(this.#json.has(init), this.#temp());
      this.#emit(`${slot} = ${init};`);
      return this.#node(args[2]!, new Map(scope).set(variable.args as string, slot));
    }
    if (['all', 'exists', 'exists_one', 'map', 'filter'].includes(name)) return this.#comprehension(name, receiver, args, scope);
    if (name === 'orValue' || name === 'hasValue' || name === 'value') {
      const chained = this.#optionalChain(name, receiver, args, scope);
      if (chained) return chained;
    }
    switch (`${name}/${args.length}`) {
      case 'size/0':
        return this.#assign(`size(${this.#node(receiver, scope)})`);
      case 'startsWith/1':
      case 'endsWith/1':
      case 'contains/1': {
        // cel-js evaluates the arguments last to first, then the receiver.
        const y = this.#node(args[0]!, scope);
        const x = this.#node(receiver, scope);
        const method = name === 'contains' ? 'includes' : name;
        return this.#assign(`typeof ${x} === 'string' && typeof ${y} === 'string' ? ${x}.${method}(${y}) : stringTest(${this.#const(method)}, ${x}, ${y})`);
      }
      case 'join/0':
      case 'join/1': {
        const separator = args[0] ? this.#node(args[0], scope) : this.#const('');
        const list = this.#node(receiver, scope);
        return this.#assign(`join(${list}, ${separator})`);
      }
      case 'hasValue/0':
        return this.#assign(`optionalOf(${this.#node(receiver, scope)}).hasValue()`);
      case 'value/0':
        return this.#assign(`optionalValue(${this.#node(receiver, scope)})`);
      case 'orValue/1': {
        const o = this.#assign(`optionalOf(${this.#node(receiver, scope)})`);
        const fallback = this.#block(args[0]!, scope);
        const out = this.#temp();
        this.#emit(`if (${o}.hasValue()) ${out} = ${o}.value();\nelse {\n${fallback.lines}\n${out} = ${fallback.value};\n}`);
        return out;
      }
      default: {
        const method = fastMethod(name, args.length, runtime.equal);
        if (!method) throw new Unsupported(`.${name}/${args.length}`);
        const slot = this.methods.push(method) - 1;
        // cel-js evaluates the arguments last to first, then the receiver.
        const values: string[] = [];
        for (let i = args.length - 1; i >= 0; i--) values[i] = this.#node(args[i]!, scope);
        const r = this.#node(receiver, scope);
        return this.#assign(`M[${slot}](${r}, [${values.join(', ')}])`);
      }
    }
  }

  /**
   * `x.?a.?b[?k].orValue(d)` (or `.hasValue()`, `.value()`): the chain is walked with undefined for
   * "none", so no Optional object is made per step. Same order as the step-by-step path: every
   * `[?]` key (outermost first), then the base, then the steps.
   */
  #optionalChain(name: string, receiver: Node, args: Node[], scope: Scope): string | undefined {
    const steps: Node[] = [];
    let base = receiver;
    while (base.op === '.?' || base.op === '[?]') {
      steps.unshift(base);
      base = (base.args as Node[])[0]!;
    }
    if (steps.length === 0) return undefined;
    if (!((name === 'orValue' && args.length === 1) || (name !== 'orValue' && args.length === 0))) return undefined;
    const keys = new Map<Node, string>();
    for (let i = steps.length - 1; i >= 0; i--) {
      const step = steps[i]!;
      if (step.op === '[?]') keys.set(step, this.#node((step.args as Node[])[1]!, scope));
    }
    let value = this.#node(base, scope);
    for (const step of steps) {
      value = step.op === '.?'
        ? this.#fieldAccess(value, (step.args as [Node, string])[1], 'optionalFieldStep')
        : this.#assign(`optionalIndexStep(${value}, ${keys.get(step) as string})`);
    }
    if (name === 'hasValue') return this.#assign(`${value} !== undefined`);
    if (name === 'value') {
      this.#emit(`if (${value} === undefined) throw FAST_ERROR;`);
      return value;
    }
    const fallback = this.#block(args[0]!, scope);
    const out = this.#jsonIf(this.#json.has(value) && this.#json.has(fallback.value), this.#temp());
    this.#emit(`if (${value} !== undefined) ${out} = ${value};\nelse {\n${fallback.lines}\n${out} = ${fallback.value};\n}`);
    return out;
  }

  #comprehension(name: string, receiver: Node, args: Node[], scope: Scope): string {
    const iterVar = args[0];
    if (iterVar?.op !== 'id') throw new Unsupported();
    if (!(args.length === 2 || (args.length === 3 && name === 'map'))) throw new Unsupported();
    const list = this.#node(receiver, scope);
    const items = this.#assign(`iterable(${list})`);
    // Items of a JSON list, and keys of a JSON map, are JSON.
    const slot = this.#jsonIf(this.#json.has(list), this.#temp());
    const i = this.#temp();
    const inner = new Map(scope).set(iterVar.args as string, slot);
    const body = this.#block(args[1]!, inner);
    const out = this.#temp();
    const head = `for (${i} = 0; ${i} < ${items}.length`;
    const enter = `${slot} = ${items}[${i}];\ntick();`;
    switch (name) {
      case 'all':
      case 'exists': {
        const stopAt = String(name === 'exists'); // the accumulator value that ends the loop
        const failed = this.#temp();
        const v = this.#temp();
        this.#emit(`${out} = ${String(name !== 'exists')}; ${failed} = false;`);
        this.#emit(`${head} && ${out} !== ${stopAt}; ${i}++) {\n${enter}`);
        this.#emit(`try {\n${body.lines}\n${v} = ${body.value};\n} catch (e) {\nif (isEscape(e)) throw e;\n${failed} = true;\ncontinue;\n}`);
        this.#emit(`if (${v} === true) ${out} = true;\nelse if (${v} === false) ${out} = false;\nelse ${failed} = true;\n}`);
        this.#emit(`if (${failed} && ${out} !== ${stopAt}) throw FAST_ERROR;`);
        return out;
      }
      case 'exists_one': {
        const count = this.#temp();
        this.#emit(`${count} = 0;\n${head}; ${i}++) {\n${enter}\n${body.lines}`);
        this.#emit(`if (${body.value} === true) ${count}++;\nelse if (${body.value} !== false) throw FAST_ERROR;\n}`);
        return this.#assign(`${count} === 1`);
      }
      case 'filter':
        this.#emit(`${out} = [];\n${head}; ${i}++) {\n${enter}\n${body.lines}`);
        this.#emit(`if (${body.value} === true) ${out}.push(${slot});\nelse if (${body.value} !== false) throw FAST_ERROR;\n}`);
        return out;
      default: {
        if (args.length === 2) {
          this.#emit(`${out} = [];\n${head}; ${i}++) {\n${enter}\n${body.lines}\n${out}.push(${body.value});\n}`);
          return out;
        }
        const transform = this.#block(args[2]!, inner);
        this.#emit(`${out} = [];\n${head}; ${i}++) {\n${enter}\n${body.lines}`);
        this.#emit(`if (${body.value} === true) {\ntick();\n${transform.lines}\n${out}.push(${transform.value});\n} else if (${body.value} !== false) throw FAST_ERROR;\n}`);
        return out;
      }
    }
  }
}

type Scope = ReadonlyMap<string, string>;
