import t from 'tap';
import type { DecidedFinding } from '../../src/policy/types.js';
import { outcomeOf, worstOutcome } from '../../src/report/view.js';
import { loadReport } from './helpers.js';

async function sample(): Promise<DecidedFinding> {
  const report = await loadReport('scan-report.json');
  const finding = report.results.flatMap((r) => r.findings).find((f) => f.code === 'disallow-privileged');
  if (!finding) throw new Error('fixture changed');
  return finding;
}

t.test('outcome: the same rule as policy/decide', async (t) => {
  const base = await sample();
  const ref = { name: 'x', reason: 'r', owner: 'o' };
  t.equal(outcomeOf({ ...base, denies: true }), 'deny');
  t.equal(outcomeOf({ ...base, denies: true, exceptedBy: ref }), 'excepted', 'an exception wins');
  t.equal(outcomeOf({ ...base, denies: true, expiredException: ref }), 'deny', 'an expired one does not');
  t.equal(outcomeOf({ ...base, mode: 'enforce', result: 'error', denies: false }), 'warn', 'enforce error with onError=allow');
  t.equal(outcomeOf({ ...base, mode: 'audit', denies: false }), 'warn');
  t.equal(outcomeOf({ ...base, mode: 'dry-run', denies: false }), 'dry-run');
});

t.test('worst outcome of a group', async (t) => {
  const base = await sample();
  const warn = { ...base, mode: 'audit' as const, denies: false };
  const dry = { ...base, mode: 'dry-run' as const, denies: false };
  t.equal(worstOutcome([dry, warn]), 'warn');
  t.equal(worstOutcome([dry, { ...base, denies: true }]), 'deny');
  t.equal(worstOutcome([dry]), 'dry-run');
});
