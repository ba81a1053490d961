/**
 * Differential test of the CEL fast path (src/cel/fast-path.ts) against cel-js.
 *
 * Every program of the built-in rule set (match conditions, variables, validations, message and
 * field-path expressions, audit annotations) is wrapped so that each time the engine runs it, the
 * closure and the cel-js program both run on the same activation. Then every fixture object under
 * rules/<category>/<rule>/pass|fail is evaluated as `palisade test` does. The closure must return a
 * value deep-equal to cel-js's, or signal an error exactly when cel-js throws. (A BAIL, values
 * outside the subset, is legal: run() re-runs on cel-js; it is counted and reported.)
 *
 * Also unit-checks the subset on hand-written expressions, including error absorption and the
 * iteration budget.
 */
import t from 'tap';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { Optional } from '@marcbachmann/cel-js';
import { CelEnvironment, CelEvaluationError, type Activation, type Program } from '../../src/cel/environment.js';
import { BAIL, FAST_ERROR } from '../../src/cel/fast-path.js';
import { runFixture } from '../../src/cli/rule-fixtures.js';
import { loadRuleSet } from '../../src/engine/rule-set.js';
import { BUILTIN_RULES_DIR } from '../../src/paths.js';

function same(a: unknown, b: unknown): boolean {
  if (a instanceof Optional && b instanceof Optional) {
    return isDeepStrictEqual(a.hasValue(), b.hasValue()) && (!a.hasValue() || same(a.value(), b.value()));
  }
  return isDeepStrictEqual(a, b);
}

interface Tally {
  runs: number;
  agreed: number;
  bails: number;
  divergences: string[];
}

/** Runs the closure and cel-js on the same activation and records whether they agree. */
function differential(program: Program, where: string, tally: Tally): void {
  const original = program.run.bind(program);
  const fast = program.fast;
  if (!fast) return;
  (program as { run: Program['run'] }).run = (activation: Activation): unknown => {
    let expected: unknown;
    let expectedError: unknown;
    try {
      expected = program.runInterpreted(activation);
    } catch (error) {
      expectedError = error;
    }
    tally.runs++;
    try {
      const actual = fast(activation as Record<string, unknown>);
      if (expectedError !== undefined) {
        tally.divergences.push(`${where}: closure returned ${String(actual)}, cel-js threw ${(expectedError as Error).message}`);
      } else if (!same(actual, expected)) {
        tally.divergences.push(`${where}: closure returned ${String(actual)}, cel-js returned ${String(expected)}`);
      } else tally.agreed++;
    } catch (error) {
      if (error === BAIL) tally.bails++;
      else if (error === FAST_ERROR || error instanceof CelEvaluationError) {
        if (expectedError === undefined) {
          tally.divergences.push(`${where}: closure raised an error, cel-js returned ${String(expected)}`);
        } else tally.agreed++;
      } else tally.divergences.push(`${where}: closure threw ${String(error)}`);
    }
    return original(activation);
  };
}

t.test('the closure agrees with cel-js on every built-in rule expression over every fixture', async (t) => {
  const { ruleSet, problems } = await loadRuleSet([BUILTIN_RULES_DIR]);
  t.same(problems, []);
  if (!ruleSet) return;
  const tally: Tally = { runs: 0, agreed: 0, bails: 0, divergences: [] };
  let programs = 0;
  let compiled = 0;
  const wrap = (program: Program | undefined, where: string): void => {
    if (!program) return;
    programs++;
    if (program.fast) compiled++;
    differential(program, where, tally);
  };
  for (const rule of ruleSet.rules) {
    const id = rule.meta.id;
    rule.matchConditions.forEach((c) => wrap(c.program, `${id} matchConditions[${c.name}]`));
    rule.variables.forEach((v) => wrap(v.program, `${id} variables.${v.name}`));
    rule.validations.forEach((v, i) => {
      wrap(v.expression, `${id} validations[${i}]`);
      wrap(v.messageExpression, `${id} validations[${i}].messageExpression`);
      wrap(v.fieldPathExpression, `${id} validations[${i}].fieldPathExpression`);
    });
    rule.auditAnnotations.forEach((a) => wrap(a.program, `${id} auditAnnotations.${a.key}`));
  }
  let fixtures = 0;
  for (const category of readdirSync(BUILTIN_RULES_DIR, { withFileTypes: true })) {
    if (!category.isDirectory()) continue;
    for (const ruleDir of readdirSync(join(BUILTIN_RULES_DIR, category.name), { withFileTypes: true })) {
      if (!ruleDir.isDirectory()) continue;
      const rule = ruleSet.rules.find((r) => r.meta.id === ruleDir.name);
      if (!rule) continue;
      for (const side of ['pass', 'fail'] as const) {
        const dir = join(BUILTIN_RULES_DIR, category.name, ruleDir.name, side);
        for (const file of readdirSync(dir)) {
          fixtures++;
          const result = await runFixture(ruleSet, rule, join(dir, file), side);
          t.ok(result.ok, `${rule.meta.id} ${side}/${file}: ${result.detail}`);
        }
      }
    }
  }
  t.same(tally.divergences, [], 'no divergence between the closure and cel-js');
  t.ok(tally.runs > 1000, `compared ${tally.runs} runs`);
  t.ok(fixtures >= 100, `${fixtures} fixture files`);
  t.ok(compiled / programs >= 0.6, 'most expressions compile to closures');
  t.comment(
    `fast path coverage: ${compiled}/${programs} expressions compiled (${((100 * compiled) / programs).toFixed(1)}%); ` +
      `${tally.runs} differential runs, ${tally.agreed} agreed, ${tally.bails} bailed to cel-js`,
  );
});

t.test('subset semantics on hand-written expressions', async (t) => {
  const env = new CelEnvironment();
  const cases: [string, unknown][] = [
    ['object.a.b == 1', { a: { b: 1n } }],
    ['object.a.b == 1.0', { a: { b: 1n } }],
    ['object.a.b == "1"', { a: { b: 1n } }],
    ['object.a.c', { a: { b: 1n } }],
    ['object.a.c == 1 || true', { a: {} }],
    ['true || object.a.c == 1', { a: {} }],
    ['object.a.c == 1 && false', { a: {} }],
    ['object.a.c == 1 && true', { a: {} }],
    ['false && object.a.c == 1', { a: {} }],
    ['object.l.all(x, x.n > 0)', { l: [{ n: 1n }, {}, { n: 2n }] }],
    ['object.l.exists(x, x.n > 1)', { l: [{ n: 1n }, {}, { n: 2n }] }],
    ['object.l.exists(x, x.n > 5)', { l: [{ n: 1n }, {}, { n: 2n }] }],
    ['object.l.all(x, x.n > 5)', { l: [{ n: 1n }, {}, { n: 2n }] }],
    ['object.l.exists_one(x, has(x.n) && x.n == 1)', { l: [{ n: 1n }, {}, { n: 2n }] }],
    ['object.l.map(x, x.?n.orValue(0))', { l: [{ n: 1n }, {}, { n: 2n }] }],
    ['object.l.map(x, has(x.n), x.n * 2)', { l: [{ n: 1n }, {}] }],
    ['object.l.map(x, has(x.n), x.n + 2)', { l: [{ n: 1n }, {}] }],
    ['object.l.filter(x, has(x.n)).size()', { l: [{ n: 1n }, {}] }],
    ['object.m.map(k, k + "!")', { m: { a: 1n, b: 2n } }],
    ['object.m.all(k, object.m[k] > 0)', { m: { a: 1n, b: 2n } }],
    ['"a" in object.m && !("c" in object.m)', { m: { a: 1n, b: 2n } }],
    ['[1, 2] + object.l', { l: [3n] }],
    ['object.l[1]', { l: [3n] }],
    ['object.l[0] == 3 ? "yes" : "no"', { l: [3n] }],
    ['size(object.s) + object.s.size()', { s: 'héllo😀' }],
    ['object.s.startsWith("h") && object.s.endsWith("o") && object.s.contains("ll")', { s: 'hello' }],
    ['cel.bind(x, object.a, x.b + x.b)', { a: { b: 2n } }],
    ['has(object.a.b.c)', { a: { b: null } }],
    ['has(object.a.b.c)', { a: {} }],
    ['object.?a.?b.orValue("none")', { a: null }],
    ['object.?a.b.hasValue()', { a: { b: 1n } }],
    ['object.?a.b.value()', { a: {} }],
    ['[object.a] == [{"b": 1}]', { a: { b: 1n } }],
    ['object.a == object.b', { a: { x: [1n, 'y'] }, b: { x: [1.0, 'y'] } }],
    ['object.a < object.b', { a: 'abc', b: 'abd' }],
    ['object.a < object.b', { a: 2n, b: 2.5 }],
    ['object.a.all(x, object.a.all(y, x != y || x == y))', { a: [1n, 2n, 3n] }],
    // Literals and keys that would break out of generated code if they were spliced into it.
    ['object.m["x\\"); throw 1; //"] == "*/ throw 2; /*"', { m: { 'x"); throw 1; //': '*/ throw 2; /*' } }],
    ['"`${process.exit(1)}`" + object.s + \'\\u2028\'', { s: '\u2029' }],
    ['object.s.split("/")', { s: 'docker.io/library/nginx' }],
    ['object.s.split("/", 2)', { s: 'docker.io/library/nginx' }],
    ['object.s.split("/", 0)', { s: 'a/b' }],
    ['object.s.split("/", -1)', { s: 'a/b/c' }],
    ['object.s.substring(3)', { s: 'héllo😀' }],
    ['object.s.substring(1, 4)', { s: 'héllo😀' }],
    ['object.s.substring(9)', { s: 'hello' }],
    ['object.s.substring(2, 1)', { s: 'hello' }],
    ['object.s.indexOf("l") + object.s.lastIndexOf("l")', { s: 'hello' }],
    ['object.l.indexOf({"a": 1}) + object.l.lastIndexOf({"b": 2})', { l: [{ b: 2n }, { a: 1n }, { b: 2n }] }],
    ['object.l.indexOf({"a": 1})', { l: ['x', { a: 1n }] }],
    ['object.l.indexOf("x") + object.e.indexOf(1)', { l: ['y', 'x'], e: [] }],
    ['object.s.lowerAscii() + object.s.upperAscii() + object.s.trim()', { s: ' MiXed ' }],
    ['object.s.matches("^[a-z]+$") && !object.s.matches("[0-9]")', { s: 'hello' }],
    ['object.s.matches("(")', { s: 'hello' }],
    ['object.s.matches("(") || true', { s: 'hello' }],
    ['object.s.find("[0-9]+") + object.s.findAll("[a-z]").join("")', { s: 'ab12c' }],
    ['object.s.findAll("[a-z]", 2)', { s: 'ab12c' }],
    ['object.l[?1].orValue("none") + object.l[?5].orValue("none")', { l: ['a', 'b'] }],
    ['object.m[?"a"].orValue(0) + object.m[?"z"].orValue(0)', { m: { a: 1n } }],
    ['object.?m[?"a"].hasValue()', { m: { a: 1n } }],
    ['type(object.m) == type({}) && type(object.l) == type([]) && type(object.s) != type(1)', { m: {}, l: [], s: 'x' }],
    ['type(object.n) == type(1) && type(object.d) == type(1.5) && type(object.b) == type(true)', { n: 1n, d: 1.5, b: false }],
  ];
  for (const [expression, object] of cases) {
    const program = env.compile(expression);
    env.beginEvaluation(object);
    let expected: unknown;
    let expectedError: unknown;
    try {
      expected = program.runInterpreted({ object });
    } catch (error) {
      expectedError = error;
    }
    env.beginEvaluation(object);
    let actual: unknown;
    let actualError: unknown;
    try {
      actual = program.run({ object });
    } catch (error) {
      actualError = error;
    }
    t.ok(same(actual, expected), `${expression}: value`);
    t.equal((actualError as Error | undefined)?.message, (expectedError as Error | undefined)?.message, `${expression}: error`);
    if (expression.includes(' * ')) continue; // outside the subset: no closure
    t.ok(program.fast, `${expression}: compiled to a closure`);
    env.beginEvaluation(object);
    try {
      const direct = program.fast?.({ object });
      t.ok(expectedError === undefined && same(direct, expected), `${expression}: closure alone`);
    } catch (error) {
      // BAIL (leave it to cel-js) is always legal; FAST_ERROR only where cel-js raises.
      t.ok(error === BAIL || (error === FAST_ERROR && expectedError !== undefined), `${expression}: closure raised where cel-js does`);
    }
  }
});

t.test('a JSON map with its own "constructor" key is a map (where cel-js cannot type it)', async (t) => {
  const env = new CelEnvironment();
  const object = JSON.parse('{"m":{"constructor":"x","__proto__":"y","k":"v"},"n":{"k":"v","__proto__":"y","constructor":"x"},"o":{"constructor":"z","__proto__":"y","k":"v"}}') as Record<string, unknown>;
  const cases: [string, unknown][] = [
    ['type(object.m) == type({})', true],
    ['size(object.m)', 3n],
    ['"constructor" in object.m && "__proto__" in object.m && !("toString" in object.m)', true],
    ['object.m.constructor + object.m["__proto__"] + object.m.k', 'xyv'],
    ['object.m.filter(k, object.m[k] != "y")', ['constructor', 'k']],
    ['object.m.?constructor.orValue("none")', 'x'],
    ['object.m == object.n && object.m != object.o', true],
  ];
  for (const [expression, expected] of cases) {
    const program = env.compile(expression);
    env.beginEvaluation(object);
    t.same(program.run({ object }), expected, expression);
  }
  // cel-js types values by their constructor property: it stops, and so the fast path must not bail.
  env.beginEvaluation(object);
  t.throws(() => env.compile('size(object.m)').runInterpreted({ object }), /Unsupported type/);
});

t.test('the iteration budget is enforced in the closure', async (t) => {
  const env = new CelEnvironment();
  const program = env.compile('object.l.all(x, object.l.all(y, true))');
  t.ok(program.fast);
  const object = { l: Array.from({ length: 100 }, (_, i) => BigInt(i)) };
  env.beginEvaluation(object, [], 5000);
  t.throws(() => program.run({ object }), { budgetExceeded: true } as never);
  env.beginEvaluation(object, [], 5000);
  t.throws(() => program.runInterpreted({ object }), { budgetExceeded: true } as never);
  // Exactly the same count as cel-js: 100 outer + 100 × 100 inner = 10100.
  env.beginEvaluation(object, [], 10100);
  t.equal(program.run({ object }), true);
  env.beginEvaluation(object, [], 10099);
  t.throws(() => program.run({ object }), { budgetExceeded: true } as never);
  env.beginEvaluation(object, [], 10100);
  t.equal(program.runInterpreted({ object }), true);
  env.beginEvaluation(object, [], 10099);
  t.throws(() => program.runInterpreted({ object }), { budgetExceeded: true } as never);
  // An error absorbed by || inside the loop does not absorb the budget.
  const absorbing = env.compile('object.l.exists(x, object.l.all(y, true) || true)');
  env.beginEvaluation(object, [], 50);
  t.throws(() => absorbing.run({ object }), { budgetExceeded: true } as never);
});
