/** Evaluates expressions the way the engine does: CelEnvironment compile, beginEvaluation, run. */
import { CelEnvironment, type Activation } from '../../../src/cel/environment.js';

const env = new CelEnvironment();

export function celEval(expression: string, activation: Activation = {}): unknown {
  const program = env.compile(expression);
  env.beginEvaluation(activation.object ?? {});
  return program.run(activation);
}

/** The message of the error an expression raises (compile or run time), or a marker if none. */
export function celError(expression: string, activation: Activation = {}): string {
  try {
    celEval(expression, activation);
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
  return '<no error>';
}

/** Whole JSON numbers become BigInt, as the engine hands objects to CEL. */
export function withBigInts(value: unknown): unknown {
  if (typeof value === 'number' && Number.isInteger(value)) return BigInt(value);
  if (Array.isArray(value)) return value.map(withBigInts);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withBigInts(v)]));
  }
  return value;
}
