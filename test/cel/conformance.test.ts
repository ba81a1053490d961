/**
 * CEL conformance: the cel-spec test data shipped in @bufbuild/cel-spec, run through Palisade's
 * CEL setup. The number of passing cases per suite is pinned in conformance-baseline.json: a
 * suite that passes fewer fails this test; one that passes more asks for the pin to be raised
 * (UPDATE_FIXTURES=1 npx tap test/cel/conformance.test.ts rewrites the file).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import t from 'tap';
import { countOutcomes, runSuite, type CaseOutcome } from './support/conformance-runner.js';

const BASELINE = new URL('./conformance-baseline.json', import.meta.url);

const SUITES = [
  'basic', 'comparisons', 'conversions', 'fields', 'logic', 'macros', 'macros2', 'string', 'string_ext',
  'lists', 'timestamps', 'integer_math', 'fp_math', 'parse', 'namespace', 'plumbing', 'optionals',
] as const;

interface Baseline {
  note: string;
  passing: Record<string, number>;
}

function readBaseline(): Baseline {
  const parsed: unknown = JSON.parse(readFileSync(BASELINE, 'utf8'));
  if (typeof parsed !== 'object' || parsed === null || !('passing' in parsed)) {
    throw new Error('conformance-baseline.json must have a "passing" object');
  }
  const passing = (parsed as { passing: unknown }).passing;
  if (typeof passing !== 'object' || passing === null) throw new Error('"passing" must be an object');
  const out: Record<string, number> = {};
  for (const [suite, n] of Object.entries(passing)) {
    if (typeof n !== 'number') throw new Error(`pin for ${suite} must be a number`);
    out[suite] = n;
  }
  return { note: String((parsed as { note?: unknown }).note ?? ''), passing: out };
}

function failures(outcomes: readonly CaseOutcome[]): string {
  return outcomes
    .filter((o) => o.status === 'fail')
    .slice(0, 25)
    .map((o) => `  ${o.suite} ${o.name}: ${o.expression.slice(0, 100)} — ${o.detail.slice(0, 160)}`)
    .join('\n');
}

const baseline = readBaseline();
const results = new Map<string, CaseOutcome[]>(SUITES.map((s) => [s, runSuite(s)]));

t.test('every pinned suite is run and every run suite is pinned', async (t) => {
  t.same(Object.keys(baseline.passing).sort(), [...SUITES].sort());
});

for (const suite of SUITES) {
  t.test(`conformance suite ${suite}`, async (t) => {
    const outcomes = results.get(suite) ?? [];
    const counts = countOutcomes(outcomes);
    const pinned = baseline.passing[suite] ?? 0;
    t.comment(`${suite}: ${counts.pass} pass, ${counts.fail} fail, ${counts.skip} skipped (pinned ${pinned})`);
    t.ok(outcomes.length > 0, `${suite} has cases`);
    t.ok(
      counts.pass >= pinned,
      `${suite}: ${counts.pass} cases pass, fewer than the ${pinned} pinned. Failing cases:\n${failures(outcomes)}`,
    );
    if (counts.pass > pinned) {
      t.comment(
        `${suite}: ${counts.pass} cases pass, more than the ${pinned} pinned — raise the pin ` +
          '(UPDATE_FIXTURES=1 npx tap test/cel/conformance.test.ts)',
      );
    }
  });
}

t.test('the mirror environment scores exactly like CelEnvironment', async (t) => {
  // Cases that bind variables can only run in the mirror; every other case runs in both, and
  // must end the same way, so the mirror cannot silently drift from the real environment.
  for (const suite of SUITES) {
    const real = results.get(suite) ?? [];
    const mirrored = runSuite(suite, 'mirror');
    const differing = real.filter((o, i) => mirrored[i]?.status !== o.status);
    t.same(
      differing.map((o) => `${o.suite} ${o.name}`),
      [],
      `${suite}: mirror and CelEnvironment agree on every case`,
    );
  }
});

if (process.env.UPDATE_FIXTURES === '1') {
  const passing = Object.fromEntries(SUITES.map((s) => [s, countOutcomes(results.get(s) ?? []).pass]));
  writeFileSync(BASELINE, `${JSON.stringify({ note: baseline.note, passing }, null, 2)}\n`);
}
