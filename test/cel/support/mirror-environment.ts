/**
 * A raw cel-js Environment set up the way CelEnvironment sets up its own (same options, limits,
 * iteration budget, instrumentation and Kubernetes library), but able to declare any variable.
 * The conformance suite needs this for cases that bind their own variables (`x`, `str_var`);
 * conformance.test.ts checks that it scores exactly like the real CelEnvironment on every other
 * case, so the two cannot drift apart unnoticed.
 */
import { Environment } from '@marcbachmann/cel-js';
import { DEFAULT_CEL_LIMITS } from '../../../src/cel/environment.js';
import { instrument, TICK_FUNCTION } from '../../../src/cel/instrument.js';
import { registerKubernetesLibrary } from '../../../src/cel/library/index.js';

const limits = DEFAULT_CEL_LIMITS;
const budget = { used: 0 };

const base = new Environment({
  enableOptionalTypes: true,
  homogeneousAggregateLiterals: false,
  limits: { maxAstNodes: limits.maxAstNodes, maxDepth: limits.maxDepth },
});
base.registerFunction(`${TICK_FUNCTION}(): bool`, () => {
  if (++budget.used > limits.maxIterations) throw new Error('evaluation budget exceeded');
  return true;
});
registerKubernetesLibrary(base);

/** Compiles and evaluates like CelEnvironment.compile + run; throws on any compile or run error. */
export function evaluateMirrored(
  expression: string,
  declarations: Readonly<Record<string, string>>,
  activation: Readonly<Record<string, unknown>>,
): unknown {
  if (expression.length > limits.maxExpressionLength) throw new Error('expression too long');
  const env = base.clone();
  for (const [name, type] of Object.entries(declarations)) env.registerVariable(name, type);
  const checked = env.check(expression);
  if (!checked.valid) throw checked.error;
  const instrumented = instrument(env.parse(expression).ast);
  if (instrumented.comprehensionDepth > limits.maxComprehensionDepth) throw new Error('comprehensions nest too deep');
  const program = env.parse(instrumented.source);
  budget.used = 0;
  const value: unknown = program(activation);
  if (budget.used > limits.maxIterations) throw new Error('evaluation budget exceeded');
  return value;
}
