import t from 'tap';
import { fuzzApp, runFuzz } from './run-fuzz.js';

const count = Number(process.env['FUZZ_COUNT'] ?? 10_000);
const seed = Number(process.env['FUZZ_SEED'] ?? 20261122);

t.test(`fuzz: ${count} random, truncated, oversized and type-confused reviews`, async (t) => {
  t.setTimeout(3_600_000);
  const app = await fuzzApp();
  const result = await runFuzz(app, count, seed);
  await app.close();
  t.equal(result.sent, count);
  t.same(result.failures, [], 'never a crash or 5xx; always a valid answer');
  t.ok((result.byStatus[200] ?? 0) > count * 0.3, `many cases reach evaluation: ${JSON.stringify(result.byStatus)}`);
  t.ok((result.byStatus[400] ?? 0) > 0 && (result.byStatus[413] ?? 0) > 0, 'and many are refused');
  t.comment(`statuses ${JSON.stringify(result.byStatus)}; kinds ${JSON.stringify(result.byKind)}`);
});
