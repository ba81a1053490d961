/**
 * The CEL environment rules run in: integers, the iteration budget, the compile-time limits,
 * compile errors and path().
 */
import t from 'tap';
import { CelCompileError, CelEnvironment, CelEvaluationError, DEFAULT_CEL_LIMITS } from '../../src/cel/environment.js';
import { withBigInts } from './support/evaluate.js';

const env = new CelEnvironment();

function run(expression: string, object: unknown, maxIterations?: number): unknown {
  const program = env.compile(expression);
  env.beginEvaluation(object, undefined, maxIterations);
  return program.run({ object });
}

function compileError(expression: string): CelCompileError {
  try {
    env.compile(expression);
  } catch (error) {
    if (error instanceof CelCompileError) return error;
    throw error;
  }
  throw new Error(`${expression} compiled`);
}

function evaluationError(expression: string, object: unknown, maxIterations?: number): CelEvaluationError {
  try {
    run(expression, object, maxIterations);
  } catch (error) {
    if (error instanceof CelEvaluationError) return error;
    throw error;
  }
  throw new Error(`${expression} did not fail`);
}

t.test('integer arithmetic on objects whose whole numbers are BigInt', async (t) => {
  const deployment = withBigInts({ spec: { replicas: 3, ratio: 0.5 } });
  t.equal(run('object.spec.replicas * 2', deployment), 6n);
  t.equal(run('object.spec.replicas > 2 && object.spec.replicas < 5', deployment), true);
  t.equal(run('object.spec.ratio * 2.0', deployment), 1);
  t.equal(run('int(object.spec.ratio * 10.0) + object.spec.replicas', deployment), 8n);
  // Why the engine converts: a JSON double does not mix with an int literal.
  t.match(evaluationError('object.spec.replicas * 2', { spec: { replicas: 3 } }).message, /no such overload/);
});

t.test('the iteration budget stops runaway comprehensions quickly', async (t) => {
  const object = { items: Array.from({ length: 300 }, (_, i) => ({ name: `item-${i}` })) };
  const tripleNested = 'object.items.exists(a, object.items.exists(b, object.items.exists(c, c.name == "none")))';
  for (const expression of [tripleNested, `${tripleNested} || true`, `true && (false || ${tripleNested})`]) {
    const started = performance.now();
    const error = evaluationError(expression, object);
    const elapsed = performance.now() - started;
    t.ok(error.budgetExceeded, `${expression.slice(-30)}: flagged as a budget error`);
    t.match(error.message, /evaluation budget of 250000 iterations exceeded/);
    t.ok(elapsed < 2000, `failed in ${elapsed.toFixed(0)} ms`);
  }
  // 300 × 300 iterations fit in the budget.
  t.equal(run('object.items.all(a, object.items.exists(b, b.name == a.name))', object), true);
  // The budget covers one evaluation and restarts with the next.
  t.equal(run('object.items.all(a, object.items.exists(b, b.name == a.name))', object), true);
  t.match(evaluationError('object.items.all(a, a.name != "")', object, 10).message, /budget of 10 iterations/);
  t.equal(DEFAULT_CEL_LIMITS.maxIterations, 250_000);
});

t.test('comprehension nesting is limited at compile time', async (t) => {
  const depth = (n: number): string => {
    let body = 'x0 > 0';
    for (let i = n - 1; i >= 0; i--) body = `${i === 0 ? 'object.a' : `[x${i - 1}]`}.all(x${i}, ${body})`;
    return body;
  };
  t.doesNotThrow(() => env.compile(depth(3)), 'three levels compile');
  const error = compileError(depth(4));
  t.match(error.message, /comprehensions nest 4 deep; the limit is 3/);
  t.match(compileError('[1].map(a, [2].map(b, [3].map(c, [4].exists(d, d > 0))))').message, /nest 4 deep/);
  t.match(new CelEnvironment({ maxComprehensionDepth: 1 }).compile('[1].all(a, a > 0)').expression, /all/);
});

t.test('expression length is limited', async (t) => {
  const long = `"${'a'.repeat(DEFAULT_CEL_LIMITS.maxExpressionLength - 2)}"`;
  t.doesNotThrow(() => env.compile(long), 'exactly the limit compiles');
  t.match(compileError(`${long} `).message, /expression is 5001 characters; the limit is 5000/);
});

t.test('unknown variables and syntax errors are compile errors with an offset', async (t) => {
  const unknown = compileError('object.a == foo.bar');
  t.match(unknown.message, /Unknown variable: foo/);
  t.equal(unknown.offset, 12);
  const syntax = compileError('object.a +');
  t.match(syntax.message, /Unexpected token/);
  t.type(syntax.offset, 'number');
  const type = compileError('1 + "a"');
  t.match(type.message, /no such overload/);
  t.equal(compileError('size(').name, 'CelCompileError');
});

t.test('a map literal with a key cel-js would leave out is a compile error', async (t) => {
  // cel-js builds {"constructor": 1} as {}: a rule comparing against it would be silently wrong.
  for (const key of ['constructor', '__proto__', 'prototype']) {
    t.match(compileError(`{"${key}": 1, "a": 2}`).message, new RegExp(`map literal cannot have the key "${key}"`));
  }
  t.match(compileError('object.l.map(x, {"name": x, "constructor": x})').message, /"constructor"/, 'inside a comprehension too');
  t.doesNotThrow(() => env.compile('{"name": 1, "Constructor": 2, "__proto": 3}'), 'other keys are fine');
});

t.test('reading metadata.managedFields, which rules never see, is a compile error', async (t) => {
  for (const expression of ['has(object.metadata.managedFields)', 'object.metadata.?managedFields.orValue([]).size() > 0', 'oldObject.metadata["managedFields"]', 'namespaceObject.?metadata.?managedFields.hasValue()']) {
    t.match(compileError(expression).message, /metadata\.managedFields is left out of every object rules see/, expression);
  }
  for (const expression of ['object.spec.managedFields', 'object.spec.template.metadata.managedFields', '[{"metadata": {"managedFields": 1}}].all(object, has(object.metadata.managedFields))']) {
    t.doesNotThrow(() => env.compile(expression), `${expression}: a field of that name elsewhere is data`);
  }
});

t.test('free identifiers exclude comprehension variables', async (t) => {
  const program = env.compile('object.items.exists(i, i.name == request.name) && params.x');
  t.same([...program.freeIdentifiers].sort(), ['object', 'params', 'request']);
});

t.test('path() spells exact field paths', async (t) => {
  const deployment = withBigInts({
    metadata: { name: 'web', annotations: { 'example.com/owner': 'team-a' } },
    spec: {
      template: {
        spec: {
          containers: [
            { name: 'app', securityContext: { privileged: false } },
            { name: 'sidecar', securityContext: { privileged: true } },
          ],
        },
      },
    },
  });
  t.equal(
    run('path(object.spec.template.spec.containers[1].securityContext, "privileged")', deployment),
    'spec.template.spec.containers[1].securityContext.privileged',
  );
  t.equal(run('path(object.spec.template.spec.containers[1])', deployment), 'spec.template.spec.containers[1]');
  t.same(
    run(
      'object.spec.template.spec.containers.filter(c, c.?securityContext.?privileged.orValue(false))' +
        '.map(c, path(c, "securityContext.privileged"))',
      deployment,
    ),
    ['spec.template.spec.containers[1].securityContext.privileged'],
  );
  t.equal(run('path(object.metadata.annotations)', deployment), 'metadata.annotations');
  t.equal(run('path(object.spec.template.spec.containers[0], "[0]")', deployment), 'spec.template.spec.containers[0][0]');
  t.equal(run('path(object)', deployment), '');
  t.equal(run('path(object.metadata.name)', deployment), '', 'a scalar has no identity to find');
});

t.test('the Kubernetes library is part of the environment', async (t) => {
  t.equal(run('quantity("1Gi") == quantity("1024Mi") && isCIDR("10.0.0.0/8")', {}), true);
});
