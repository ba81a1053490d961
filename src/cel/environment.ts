/**
 * The CEL environment every rule expression is compiled in: the variables a rule may read, the
 * Kubernetes library functions, and the limits that keep one rule or object from stalling the
 * process (structural limits at compile time, an iteration budget at run time).
 */
import { Environment, type ASTNode } from '@marcbachmann/cel-js';
import { BAIL, compileFastPath, type FastPathHooks, type FastProgram } from './fast-path.js';
import { instrument, TICK_FUNCTION } from './instrument.js';
import { registerKubernetesLibrary } from './library/index.js';
import { joinPath, pathOf, type PathAnchor } from './path-of.js';

/** Variables visible to rule expressions. Which a rule may use depends on its class (rules/classes.ts). */
export const CEL_VARIABLES = [
  'object',
  'oldObject',
  'request',
  'namespaceObject',
  'podSpec',
  'params',
  'variables',
  'cluster',
  'images',
] as const;
export type CelVariable = (typeof CEL_VARIABLES)[number];

/**
 * The variables the engine guarantees to be plain JSON all the way down: the object under
 * evaluation and its old version (prepared, and checked, by engine/prepare.ts) and the podSpec
 * view built over the object. Callers of Program.run must keep that promise.
 */
const JSON_VARIABLES: readonly CelVariable[] = ['object', 'oldObject', 'podSpec'];

export interface CelLimits {
  /** Characters in one expression. */
  maxExpressionLength: number;
  maxAstNodes: number;
  /** Nesting depth of the syntax tree. */
  maxDepth: number;
  /** Comprehensions inside comprehensions (containers × ports is 2). */
  maxComprehensionDepth: number;
  /** Comprehension iterations across all expressions of one rule on one object. */
  maxIterations: number;
}

export const DEFAULT_CEL_LIMITS: Readonly<CelLimits> = Object.freeze({
  maxExpressionLength: 5000,
  maxAstNodes: 2000,
  maxDepth: 48,
  maxComprehensionDepth: 3,
  maxIterations: 250_000,
});

export class CelCompileError extends Error {
  /** 0-based offset into the expression, when the engine reported one. */
  readonly offset: number | undefined;
  constructor(message: string, offset?: number) {
    super(message);
    this.name = 'CelCompileError';
    this.offset = offset;
  }
}

export class CelEvaluationError extends Error {
  readonly budgetExceeded: boolean;
  constructor(message: string, budgetExceeded = false) {
    super(message);
    this.name = 'CelEvaluationError';
    this.budgetExceeded = budgetExceeded;
  }
}

export type Activation = Partial<Record<CelVariable, unknown>>;

export interface Program {
  /** The expression as the author wrote it. */
  readonly expression: string;
  readonly freeIdentifiers: ReadonlySet<string>;
  /** Evaluates within the current evaluation scope (see CelEnvironment.beginEvaluation). */
  run(activation: Activation): unknown;
  /**
   * The closure compiled by the fast path (fast-path.ts), when the expression is in its subset.
   * Exposed for the differential test; run() is what callers use.
   */
  readonly fast: FastProgram | undefined;
  /** Runs on cel-js alone, bypassing the fast path (for the differential test). */
  runInterpreted(activation: Activation): unknown;
}

/**
 * Per-evaluation state shared by the registered functions. Evaluation is synchronous, so one
 * scope per environment is enough; beginEvaluation() resets it for each rule on each object.
 */
interface EvaluationScope {
  root: unknown;
  /** Views built over the object (podSpec) and the real nodes they stand for, for path(). */
  anchors: readonly PathAnchor[];
  iterations: number;
  limit: number;
}

export class CelEnvironment {
  readonly limits: Readonly<CelLimits>;
  readonly #env: Environment;
  readonly #scope: EvaluationScope = { root: undefined, anchors: [], iterations: 0, limit: 0 };

  readonly #tick: () => void;
  readonly #fastPath: boolean;
  readonly #hooks: FastPathHooks;

  constructor(limits: Partial<CelLimits> = {}, options: { fastPath?: boolean } = {}) {
    this.#fastPath = options.fastPath ?? true;
    this.limits = Object.freeze({ ...DEFAULT_CEL_LIMITS, ...limits });
    this.#env = new Environment({
      enableOptionalTypes: true,
      homogeneousAggregateLiterals: false,
      limits: { maxAstNodes: this.limits.maxAstNodes, maxDepth: this.limits.maxDepth },
    });
    for (const name of CEL_VARIABLES) this.#env.registerVariable(name, 'dyn');
    const scope = this.#scope;
    this.#tick = () => {
      if (++scope.iterations > scope.limit) {
        throw new CelEvaluationError(`evaluation budget of ${scope.limit} iterations exceeded`, true);
      }
    };
    const tick = this.#tick;
    this.#env.registerFunction(`${TICK_FUNCTION}(): bool`, () => {
      tick();
      return true;
    });
    const locate = (node: unknown): string => pathOf(scope.root, node, scope.anchors);
    const locateField = (node: unknown, field: string): string => joinPath(locate(node), field);
    this.#env.registerFunction('path(dyn): string', locate);
    this.#env.registerFunction('path(dyn, string): string', locateField);
    // jsonPointer(node): where node sits as a JSON Pointer (RFC 6901), for the paths of mutations.
    this.#env.registerFunction('jsonPointer(dyn): string', (node: unknown): string => {
      if (node === scope.root) return '';
      const pointer = fieldPathToPointer(locate(node));
      if (pointer === '') throw new CelEvaluationError('jsonPointer() needs a map or list inside the object (a scalar has no identity to find)');
      return pointer;
    });
    this.#hooks = { path: locate, pathField: locateField };
    registerKubernetesLibrary(this.#env);
  }

  /** Starts one rule's evaluation on one object: `root` anchors path(), the budget restarts. */
  beginEvaluation(root: unknown, anchors: readonly PathAnchor[] = [], maxIterations = this.limits.maxIterations): void {
    this.#scope.root = root;
    this.#scope.anchors = anchors;
    this.#scope.iterations = 0;
    this.#scope.limit = maxIterations;
  }

  /** Parses, type-checks and instruments an expression. Throws CelCompileError. */
  compile(expression: string): Program {
    if (expression.length > this.limits.maxExpressionLength) {
      throw new CelCompileError(
        `expression is ${expression.length} characters; the limit is ${this.limits.maxExpressionLength}`,
      );
    }
    let ast: ASTNode;
    try {
      const checked = this.#env.check(expression);
      if (!checked.valid) throw checked.error;
      ast = this.#env.parse(expression).ast;
    } catch (error) {
      throw toCompileError(error);
    }
    const instrumented = instrument(ast);
    const [dropped] = instrumented.droppedKeys;
    if (dropped !== undefined) {
      throw new CelCompileError(`a map literal cannot have the key "${dropped}": the CEL engine leaves it out, so the map would be missing it`);
    }
    if (instrumented.readsManagedFields) {
      throw new CelCompileError('metadata.managedFields is left out of every object rules see (it is the field managers\' bookkeeping, not configuration), so this would never find it');
    }
    if (instrumented.comprehensionDepth > this.limits.maxComprehensionDepth) {
      throw new CelCompileError(
        `comprehensions nest ${instrumented.comprehensionDepth} deep; the limit is ${this.limits.maxComprehensionDepth}`,
      );
    }
    let compiled: ReturnType<Environment['parse']>;
    try {
      compiled = this.#env.parse(instrumented.source);
    } catch (error) {
      // The rewrite is ours: failing here is a Palisade bug, reported as such rather than hidden.
      throw new CelCompileError(`internal error instrumenting expression: ${(error as Error).message}`);
    }
    const scope = this.#scope;
    const interpreted = (activation: Activation): unknown => {
      let value: unknown;
      try {
        value = compiled(activation);
      } catch (error) {
        throw toEvaluationError(error);
      }
      // `a || b` absorbs an error in one branch, so the budget is checked after every run too.
      if (scope.iterations > scope.limit) {
        throw new CelEvaluationError(`evaluation budget of ${scope.limit} iterations exceeded`, true);
      }
      return value;
    };
    const fast = this.#fastPath ? compileFastPath(ast, this.#tick, this.#hooks, JSON_VARIABLES) : undefined;
    if (!fast) return { expression, freeIdentifiers: instrumented.freeIdentifiers, fast, run: interpreted, runInterpreted: interpreted };
    let runs = 0;
    let bails = 0;
    let closure: FastProgram | undefined = fast;
    return {
      expression,
      freeIdentifiers: instrumented.freeIdentifiers,
      fast,
      runInterpreted: interpreted,
      run(activation: Activation): unknown {
        if (closure) {
          const before = scope.iterations;
          runs++;
          try {
            return closure(activation);
          } catch (error) {
            if (error instanceof CelEvaluationError) throw error; // the iteration budget
            // Outside the subset at run time, or an error: cel-js decides, with its own message.
            scope.iterations = before;
            // An expression whose values keep leaving the subset stops trying the fast path.
            if (error === BAIL && ++bails >= 16 && bails * 4 > runs) closure = undefined;
          }
        }
        return interpreted(activation);
      },
    };
  }
}

/**
 * A field path as path() spells it (`spec.containers[1]`, `metadata.annotations["a/b"]`) as a JSON
 * Pointer (`/spec/containers/1`, `/metadata/annotations/a~1b`).
 */
function fieldPathToPointer(path: string): string {
  let pointer = '';
  const token = /\.?([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]/y;
  while (token.lastIndex < path.length) {
    const at = token.lastIndex;
    const match = token.exec(path);
    if (!match) throw new CelEvaluationError(`jsonPointer(): cannot read field path ${JSON.stringify(path)} at ${at}`);
    const segment = match[1] ?? match[2] ?? (JSON.parse(match[3] ?? '""') as string);
    pointer += `/${segment.replace(/~/g, '~0').replace(/\//g, '~1')}`;
  }
  return pointer;
}

function toCompileError(error: unknown): CelCompileError {
  if (error instanceof CelCompileError) return error;
  if (error instanceof Error) {
    const withRange = error as Error & { range?: { start: number }; summary?: string };
    const summary = withRange.summary ?? error.message.split('\n')[0] ?? error.message;
    return new CelCompileError(summary, withRange.range?.start);
  }
  return new CelCompileError(String(error));
}

function toEvaluationError(error: unknown): CelEvaluationError {
  if (error instanceof CelEvaluationError) return error;
  if (error instanceof Error) {
    const withSummary = error as Error & { summary?: string };
    const cause = error.cause instanceof CelEvaluationError ? error.cause : undefined;
    if (cause) return cause;
    return new CelEvaluationError(withSummary.summary ?? error.message.split('\n')[0] ?? error.message);
  }
  return new CelEvaluationError(String(error));
}
