/**
 * The Pod Security Standards catalogues (standards/pss-baseline.yaml, pss-restricted.yaml) and the
 * pod-security rules fit together: restricted includes baseline, every control has a rule, a
 * baseline rule counts for restricted too, and the catalogues name the pinned Kubernetes minor.
 */
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BUILTIN_RULES_DIR, PACKAGE_ROOT, STANDARDS_DIR } from '../../src/paths.js';
import { loadRuleDirs } from '../../src/rules/loader.js';
import { consistencyProblems } from '../../src/standards/coverage.js';
import { parseStandard } from '../../src/standards/loader.js';
import type { Standard } from '../../src/standards/types.js';

const pinned = JSON.parse(readFileSync(join(STANDARDS_DIR, 'kubernetes-version.json'), 'utf8')) as { minor: string };

function catalogue(id: string): Standard {
  const file = join(STANDARDS_DIR, `${id}.yaml`);
  const load = parseStandard(readFileSync(file, 'utf8'), file);
  t.same(load.problems, [], `${id}.yaml loads`);
  const standard = load.standards.find((s) => s.id === id);
  if (!standard) throw new Error(`${id}.yaml defines no Standard named ${id}`);
  return standard;
}

const baseline = catalogue('pss-baseline');
const restricted = catalogue('pss-restricted');
const load = await loadRuleDirs([BUILTIN_RULES_DIR], PACKAGE_ROOT);
const podSecurityProblems = load.problems.filter((p) => p.file.includes('pod-security'));
t.same(podSecurityProblems, [], 'the pod-security rules load');
const rules = load.rules.map((r) => r.document);
const pssRules = rules.filter((r) => r.standards['pss-baseline'] || r.standards['pss-restricted']);
const podSecurityRules = rules.filter((r) => r.category === 'pod-security');

t.test('the catalogues follow the pinned Kubernetes release', async (t) => {
  t.equal(baseline.version, `v${pinned.minor}`);
  t.equal(restricted.version, `v${pinned.minor}`);
  t.ok(baseline.controls.every((c) => c.section === 'Baseline'), 'baseline lists only Baseline controls');
  t.ok(restricted.controls.every((c) => c.section === 'Baseline' || c.section === 'Restricted'));
  for (const control of [...baseline.controls, ...restricted.controls]) {
    t.match(control.id, /^[a-z0-9]+(-[a-z0-9]+)*$/, `${control.id}: kebab-case`);
  }
});

t.test('restricted includes every baseline control, unchanged', async (t) => {
  const inRestricted = restricted.controls.filter((c) => c.section === 'Baseline');
  t.same(inRestricted, baseline.controls);
});

t.test('every control has a rule; every rule names existing controls', async (t) => {
  const pssOnly = pssRules.map((r) => ({
    id: r.id,
    ruleClass: r.ruleClass,
    standards: Object.fromEntries(Object.entries(r.standards).filter(([id]) => id.startsWith('pss-'))),
  }));
  t.same(consistencyProblems([baseline, restricted], pssOnly), []);
  // Restricted includes baseline: every baseline control counts for restricted too, either through
  // the same rule or, where PSA's restricted level replaces the baseline check (capabilities,
  // seccomp, /proc mount, hostPath → volume types), through the stricter rule that replaces it.
  for (const rule of pssRules) {
    for (const id of rule.standards['pss-baseline'] ?? []) {
      const carriers = pssRules.filter((r) => r.standards['pss-restricted']?.includes(id)).map((r) => r.id);
      t.ok(carriers.length > 0, `${rule.id}: baseline control ${id} also counts for restricted (${carriers.join(', ')})`);
    }
  }
});

t.test('pod-security rules: baseline ones enforce, restricted-only ones audit', async (t) => {
  for (const rule of podSecurityRules) {
    if (!rule.standards['pss-baseline'] && !rule.standards['pss-restricted']) continue;
    t.equal(rule.ruleClass, 'object', `${rule.id}: an object rule`);
    t.equal(rule.mode, rule.standards['pss-baseline'] ? 'enforce' : 'audit', `${rule.id}: mode`);
    t.equal(rule.docs, `docs/rules.md#${rule.id}`, `${rule.id}: docs`);
  }
  t.ok(pssRules.every((r) => r.category === 'pod-security'), 'only pod-security rules map to the PSS');
});
