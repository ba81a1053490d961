import t from 'tap';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { evaluate } from '../../src/engine/evaluate.js';
import { loadRuleSet } from '../../src/engine/rule-set.js';
import type { Finding, KubeObject } from '../../src/engine/types.js';
import { BUILTIN_RULES_DIR } from '../../src/paths.js';
import { decide } from '../../src/policy/decide.js';
import { defaultPolicyConfig } from '../../src/policy/defaults.js';
import { parseExceptions } from '../../src/policy/exception-file.js';
import { subjectOf } from '../../src/policy/subject.js';
import type { PolicyConfig, Subject } from '../../src/policy/types.js';
import { formatProblem } from '../../src/rules/problems.js';
import { readYamlDocuments } from '../../src/rules/yaml-documents.js';

const fixture = (name: string): string => readFileSync(fileURLToPath(new URL(`../fixtures/policy/${name}`, import.meta.url)), 'utf8');
const load = await loadRuleSet([BUILTIN_RULES_DIR]);
if (!load.ruleSet) throw new Error('built-in rules must load');
const ruleSet = load.ruleSet;
const NOW = new Date('2026-11-22T12:00:00Z');

function findingsFor(namespaceLabels?: Record<string, string>): { findings: Finding[]; subject: Subject } {
  const object = readYamlDocuments(fixture('pod-with-sidecar.yaml'))[0]?.value as KubeObject;
  const resource = { object, operation: 'CREATE' as const, ...(namespaceLabels ? { namespaceLabels } : {}) };
  return { findings: evaluate(ruleSet, resource, { phase: 'admission' }).findings, subject: subjectOf(resource) };
}

const byRule = (decision: ReturnType<typeof decide>, id: string) => decision.findings.find((f) => f.ruleId === id);

t.test('modes: rule default, global default, config pin, namespace label', async (t) => {
  const { findings, subject } = findingsFor();
  const plain = decide(findings, subject, defaultPolicyConfig(), NOW);
  t.equal(byRule(plain, 'disallow-privileged')?.mode, 'enforce', 'the rule says enforce');
  t.equal(byRule(plain, 'disallow-privileged')?.modeSource, 'rule');
  t.notOk(plain.allowed, 'a privileged container is denied');
  t.equal(byRule(plain, 'require-run-as-non-root')?.mode, 'audit');
  t.equal(byRule(plain, 'require-signed-images')?.mode, 'dry-run');
  t.ok(plain.recorded.some((f) => f.ruleId === 'require-signed-images'), 'dry-run findings are recorded');
  t.ok(plain.warned.some((f) => f.ruleId === 'require-run-as-non-root'), 'audit findings warn');
  t.notOk(plain.warned.some((f) => f.mode !== 'audit'), 'only audit findings warn');
  t.notOk(plain.recorded.some((f) => f.mode !== 'dry-run'), 'only dry-run findings are recorded');

  const relaxed = findingsFor({ 'palisade.dev/mode': 'dry-run' });
  const unpinned = decide(relaxed.findings, relaxed.subject, defaultPolicyConfig(), NOW);
  t.equal(byRule(unpinned, 'disallow-privileged')?.mode, 'dry-run', 'an unpinned rule follows the namespace');
  t.ok(unpinned.allowed);

  const pinnedConfig: PolicyConfig = defaultPolicyConfig({ rules: { 'disallow-privileged': { mode: 'enforce' }, 'require-run-as-non-root': { mode: 'audit' } } });
  const pinned = decide(relaxed.findings, relaxed.subject, pinnedConfig, NOW);
  t.equal(byRule(pinned, 'disallow-privileged')?.mode, 'enforce', 'a namespace cannot loosen a pinned rule');
  t.equal(byRule(pinned, 'disallow-privileged')?.modeSource, 'config');
  t.notOk(pinned.allowed);

  const strict = findingsFor({ 'palisade.dev/mode': 'enforce' });
  const tightened = decide(strict.findings, strict.subject, pinnedConfig, NOW);
  t.equal(byRule(tightened, 'require-run-as-non-root')?.mode, 'enforce', 'a namespace can tighten a pinned rule');
  t.equal(byRule(tightened, 'require-run-as-non-root')?.modeSource, 'namespace');

  const bogus = findingsFor({ 'palisade.dev/mode': 'off' });
  t.equal(byRule(decide(bogus.findings, bogus.subject, defaultPolicyConfig(), NOW), 'disallow-privileged')?.mode, 'enforce', 'an invalid label value is ignored');
});

t.test('exceptions match through the owner chain and by container, and stay visible', async (t) => {
  const parsed = parseExceptions(fixture('exceptions.yaml'), 'exceptions.yaml');
  t.same(parsed.problems, []);
  const { findings, subject } = findingsFor();
  t.same(subject.owners.map((o) => `${o.kind}/${o.name}`), ['ReplicaSet/web-7d4b9c', 'Deployment/web'], 'Deployment inferred from the ReplicaSet name');
  const decision = decide(findings, subject, defaultPolicyConfig({ exceptions: parsed.exceptions }), NOW);
  const privileged = byRule(decision, 'disallow-privileged');
  t.equal(privileged?.exceptedBy?.name, 'mesh-proxy-privileged');
  t.equal(privileged?.exceptedBy?.owner, 'platform-team@example.com');
  t.notOk(privileged?.denies);
  t.ok(decision.allowed, 'the excepted sidecar no longer denies');
  t.same(decision.excepted.map((f) => f.ruleId), ['disallow-privileged'], 'but it is still reported, as excepted');

  const nonRoot = byRule(decision, 'require-run-as-non-root');
  t.notOk(nonRoot?.exceptedBy, 'an expired exception no longer exempts');
  t.equal(nonRoot?.expiredException?.name, 'old-run-as-root', 'and is reported');
});

t.test('a container exception does not cover other containers', async (t) => {
  const parsed = parseExceptions(fixture('exceptions.yaml'), 'exceptions.yaml');
  const { findings, subject } = findingsFor();
  const widened = findings.map((f) => (f.ruleId === 'disallow-privileged' ? { ...f, containers: ['mesh-proxy', 'web'] } : f));
  const decision = decide(widened, subject, defaultPolicyConfig({ exceptions: parsed.exceptions }), NOW);
  t.notOk(byRule(decision, 'disallow-privileged')?.exceptedBy);
  t.notOk(decision.allowed);
});

t.test('an exception expires at expiresAt', async (t) => {
  const parsed = parseExceptions(fixture('exceptions.yaml'), 'exceptions.yaml');
  const { findings, subject } = findingsFor();
  const later = decide(findings, subject, defaultPolicyConfig({ exceptions: parsed.exceptions }), new Date('2027-07-01T00:00:00Z'));
  t.equal(byRule(later, 'disallow-privileged')?.expiredException?.name, 'mesh-proxy-privileged');
  t.notOk(later.allowed);
});

t.test('evaluation errors deny in enforce unless onError allows', async (t) => {
  const { subject } = findingsFor();
  const privileged = findingsFor().findings.find((f) => f.ruleId === 'disallow-privileged')!;
  const error: Finding = { ...privileged, result: 'error', message: 'rule evaluation failed: boom' };
  t.notOk(decide([error], subject, defaultPolicyConfig(), NOW).allowed);
  t.ok(decide([error], subject, defaultPolicyConfig({ onError: 'allow' }), NOW).allowed);
  t.ok(decide([{ ...error, ruleMode: 'audit' }], subject, defaultPolicyConfig(), NOW).allowed, 'never denies outside enforce');
});

t.test('invalid exception files are rejected with file:line', async (t) => {
  const parsed = parseExceptions(fixture('exceptions-invalid.yaml'), 'exceptions-invalid.yaml');
  t.equal(parsed.exceptions.length, 0);
  const text = parsed.problems.map(formatProblem).join('\n');
  t.match(text, /exceptions-invalid\.yaml:6: spec\.rules: must NOT have fewer than 1 items/);
  t.match(text, /spec\.owner: is required/);
  t.match(text, /exceptions-invalid\.yaml:9: spec\.expiresAt: must match/);
});
