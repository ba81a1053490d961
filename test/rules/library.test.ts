/**
 * The built-in rule library as a whole: complete metadata, fixtures of the right kinds, catalogues
 * consistent with the rules, docs/rules.md and the changelog in sync.
 */
import t from 'tap';
import { readFileSync, readdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderRulesDoc } from '../../src/cli/rules-doc.js';
import { BUILTIN_RULES_DIR, PACKAGE_ROOT, STANDARDS_DIR } from '../../src/paths.js';
import { loadRuleDirs } from '../../src/rules/loader.js';
import { readYamlDocuments } from '../../src/rules/yaml-documents.js';
import { consistencyProblems } from '../../src/standards/coverage.js';
import { loadStandards } from '../../src/standards/loader.js';

const load = await loadRuleDirs([BUILTIN_RULES_DIR], PACKAGE_ROOT);
const rules = load.rules.map((r) => r.document);
const POD_KINDS = new Set(['Pod']);
const CONTROLLER_KINDS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'ReplicationController', 'Job', 'CronJob', 'PodTemplate']);
const RBAC_KINDS = new Set(['Role', 'ClusterRole', 'RoleBinding', 'ClusterRoleBinding']);

t.same(load.problems, [], 'the built-in rules load');
t.ok(rules.length >= 4);

t.test('every built-in rule carries complete metadata', async (t) => {
  for (const rule of rules) {
    const where = `${rule.id} (${rule.source.file})`;
    t.match(rule.since, /^\d+\.\d+\.\d+$/, `${where}: since`);
    t.ok(rule.version >= 1, `${where}: version`);
    t.equal(rule.docs, `docs/rules.md#${rule.id}`, `${where}: docs link`);
    t.ok(Object.keys(rule.standards).length > 0, `${where}: maps to at least one standard`);
    t.ok(rule.description.length >= 60, `${where}: a real rationale`);
    t.equal(basename(dirname(dirname(rule.source.file))), rule.category, `${where}: lives in its category's folder`);
  }
});

function fixtureKinds(ruleFile: string, side: 'pass' | 'fail'): Set<string> {
  const dir = join(PACKAGE_ROOT, dirname(ruleFile), side);
  const kinds = new Set<string>();
  for (const name of readdirSync(dir)) {
    for (const doc of readYamlDocuments(readFileSync(join(dir, name), 'utf8'))) {
      const kind = (doc.value as { kind?: unknown } | null)?.kind;
      if (typeof kind === 'string') kinds.add(kind);
    }
  }
  return kinds;
}

t.test('pod rules have a Pod and a controller on both sides; RBAC rules have RBAC kinds', async (t) => {
  for (const rule of rules) {
    const kinds = rule.match.resources.flatMap((r) => r.kinds);
    for (const side of ['pass', 'fail'] as const) {
      const present = fixtureKinds(rule.source.file, side);
      if (kinds.includes('workloads')) {
        t.ok([...present].some((k) => POD_KINDS.has(k)), `${rule.id} ${side}/: a Pod`);
        t.ok([...present].some((k) => CONTROLLER_KINDS.has(k)), `${rule.id} ${side}/: a controller`);
      }
      if (kinds.some((k) => RBAC_KINDS.has(k))) {
        t.ok([...present].some((k) => RBAC_KINDS.has(k)), `${rule.id} ${side}/: an RBAC object`);
      }
    }
  }
});

t.test('catalogues and rules agree', async (t) => {
  const standards = await loadStandards(STANDARDS_DIR);
  t.same(standards.problems, [], 'catalogues load');
  t.same(
    standards.standards.map((s) => s.id).sort(),
    ['cis-kubernetes', 'nsa-cisa', 'owasp-k8s', 'pss-baseline', 'pss-restricted'],
    'one catalogue per standard',
  );
  t.same(consistencyProblems(standards.standards, rules), [], 'every named control exists; every in-scope control has a rule');
});

t.test('docs/rules.md is generated from the rules (npm run docs:rules)', async (t) => {
  const committed = readFileSync(fileURLToPath(new URL('../../docs/rules.md', import.meta.url)), 'utf8');
  t.equal(committed, renderRulesDoc(rules), 'run `npm run docs:rules` after changing a rule');
});

t.test('the changelog lists every rule under the release it shipped in', async (t) => {
  const changelog = readFileSync(join(PACKAGE_ROOT, 'CHANGELOG.md'), 'utf8');
  const sections = new Map<string, string>();
  for (const part of changelog.split(/^## /m).slice(1)) {
    const release = /^(\d+\.\d+\.\d+)/.exec(part)?.[1];
    if (release) sections.set(release, part);
  }
  for (const rule of rules) {
    t.match(sections.get(rule.since) ?? '', new RegExp(`\\b${rule.id}\\b`), `${rule.id} is in the ${rule.since} section`);
  }
});
