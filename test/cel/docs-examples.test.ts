/**
 * docs/cel.md cannot drift: every `Expression | Result` row is evaluated through CelEnvironment and
 * compared, deeply and strictly, with its result (itself evaluated as CEL); the limits and
 * variables tables are compared with the code; and every library function must have an example.
 */
import { readFileSync } from 'node:fs';
import { Environment } from '@marcbachmann/cel-js';
import t from 'tap';
import { CEL_VARIABLES, CelEnvironment, DEFAULT_CEL_LIMITS } from '../../src/cel/environment.js';
import { registerKubernetesLibrary } from '../../src/cel/library/index.js';
import { deepEqual } from './support/deep-equal.js';
import { withBigInts } from './support/evaluate.js';
import { codeSpan, markdownTables, markedBlock } from './support/markdown-tables.js';

const DOC = 'docs/cel.md';
const markdown = readFileSync(new URL(`../../${DOC}`, import.meta.url), 'utf8');
const tables = markdownTables(markdown);
const env = new CelEnvironment();

const objectJson = markedBlock(markdown, 'example-object');
const object = withBigInts(objectJson === undefined ? {} : JSON.parse(objectJson));

function evaluate(expression: string): unknown {
  const program = env.compile(expression);
  env.beginEvaluation(object);
  return program.run({ object });
}

const examples = tables
  .filter((table) => table.header[0] === 'Expression' && table.header[1] === 'Result')
  .flatMap((table) => table.rows);

t.test('the example object is there', async (t) => {
  t.ok(objectJson, 'a ```json block follows <!-- example-object -->');
});

t.test(`every example in ${DOC}`, async (t) => {
  t.ok(examples.length >= 100, `${examples.length} examples found`);
  for (const { line, cells } of examples) {
    const where = `${DOC}:${line}`;
    const expression = codeSpan(cells[0] ?? '');
    const resultCell = cells[1] ?? '';
    if (expression === undefined) {
      t.fail(`${where}: the expression must be one code span, got ${cells[0]}`);
      continue;
    }
    const error = /^\*error:\*\s*(.+)$/.exec(resultCell)?.[1];
    if (error !== undefined) {
      t.throws(() => evaluate(expression), { message: new RegExp(escapeRegExp(error)) }, `${where}: ${expression}`);
      continue;
    }
    const literal = codeSpan(resultCell);
    if (literal === undefined) {
      t.fail(`${where}: the result must be a CEL literal in a code span or *error:* text, got ${resultCell}`);
      continue;
    }
    let actual: unknown;
    try {
      actual = evaluate(expression);
    } catch (e) {
      t.fail(`${where}: ${expression} failed: ${(e as Error).message}`);
      continue;
    }
    const expected = evaluate(literal);
    t.ok(deepEqual(actual, expected), `${where}: ${expression} is ${literal}`, { found: actual, wanted: expected });
  }
});

t.test('the limits table matches DEFAULT_CEL_LIMITS', async (t) => {
  const table = tables.find((x) => x.header[0] === 'Limit' && x.header[1] === 'Value');
  const documented = Object.fromEntries(
    (table?.rows ?? []).map(({ cells }) => [codeSpan(cells[0] ?? '') ?? '', Number(cells[1])]),
  );
  t.same(documented, { ...DEFAULT_CEL_LIMITS });
});

t.test('the variables table lists exactly the CEL variables', async (t) => {
  const table = tables.find((x) => x.header[0] === 'Variable');
  const documented = (table?.rows ?? []).map(({ cells }) => codeSpan(cells[0] ?? '') ?? '');
  t.same([...documented].sort(), [...CEL_VARIABLES].sort());
});

t.test('every library function has an example', async (t) => {
  const names = (e: Environment): Set<string> => new Set(e.getDefinitions().functions.map((f) => f.name));
  const before = names(new Environment());
  const withLibrary = new Environment();
  registerKubernetesLibrary(withLibrary);
  const added = [...names(withLibrary)].filter((n) => !n.startsWith('__'));
  // Functions cel-js already had but the library extends (string(ip), int(timestamp), …).
  const extended = ['string', 'int', 'timestamp', 'duration'];
  const text = examples.map(({ cells }) => cells[0] ?? '').join('\n');
  for (const name of added) {
    if (before.has(name) && !extended.includes(name)) continue;
    t.match(text, new RegExp(`\\b${name}\\(`), `${name}() has an example`);
  }
  t.ok(added.length > 40, `${added.length} functions checked`);
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
