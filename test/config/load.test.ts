import t from 'tap';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultConfig } from '../../src/config/defaults.js';
import { loadConfigFile, parseConfig } from '../../src/config/load.js';
import type { PalisadeConfig } from '../../src/config/types.js';
import { unknownRuleProblems } from '../../src/config/unknown-rules.js';
import { BUILTIN_RULES_DIR } from '../../src/paths.js';
import { formatProblem } from '../../src/rules/problems.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/config/', import.meta.url));
const DOC = fileURLToPath(new URL('../../docs/configuration.md', import.meta.url));

/** Parses a fixture under its bare name, so problems read `name.yaml:line: ...`. */
function parseFixture(name: string): ReturnType<typeof parseConfig> {
  return parseConfig(readFileSync(join(FIXTURES, name), 'utf8'), name);
}

function problemsOf(name: string): string[] {
  const result = parseFixture(name);
  if (result.config) throw new Error(`${name} was expected to be rejected`);
  return result.problems.map(formatProblem);
}

function configOf(name: string): PalisadeConfig {
  const result = parseFixture(name);
  if (!result.config) throw new Error(`${name} was rejected:\n${result.problems.map(formatProblem).join('\n')}`);
  return result.config;
}

/** The config without the bookkeeping fields, to compare with an expected value. */
function settings(config: PalisadeConfig): Omit<PalisadeConfig, 'lines' | 'file' | 'exceptionFiles'> {
  const { lines: _lines, file: _file, exceptionFiles: _files, ...rest } = config;
  return rest;
}

t.test('the defaults', async (t) => {
  const config = defaultConfig();
  t.equal(config.policy.defaultMode, 'audit');
  t.equal(config.policy.onError, 'deny');
  t.same(config.policy.excludedNamespaces, ['kube-system', 'kube-public', 'kube-node-lease'], 'system namespaces are excluded');
  t.same(config.policy.rules, {});
  t.same(config.policy.exceptions, []);
  t.same(config.admission, {
    allowExistingViolations: true,
    exemptUsernames: [],
    exemptRuntimeClasses: [],
    breakGlass: { usernames: [], groups: [] },
    modeLabelSetters: { usernames: [], groups: ['system:masters'] },
    mutation: { rules: [], namespaces: [] },
    mutatePodsOnly: true,
  });
  t.same(config.cluster, { exceptionNamespaces: [], maxExceptionLifetimeDays: 90 });
  t.notOk('release' in config, 'no release pin');

  config.policy.excludedNamespaces.push('mine');
  config.admission.modeLabelSetters.groups.push('mine');
  t.same(defaultConfig().policy.excludedNamespaces, ['kube-system', 'kube-public', 'kube-node-lease'], 'each call returns fresh lists');
  t.same(defaultConfig().admission.modeLabelSetters.groups, ['system:masters']);
});

t.test('an empty file is the defaults', async (t) => {
  for (const [name, text] of [
    ['empty.yaml', readFileSync(join(FIXTURES, 'empty.yaml'), 'utf8')],
    ['blank.yaml', ''],
  ] as const) {
    const result = parseConfig(text, name);
    t.same(result.problems, [], name);
    t.same(result.config, { ...defaultConfig(), file: name, exceptionFiles: [], lines: {} }, name);
  }
});

t.test('a key with no value is a key left out', async (t) => {
  const config = configOf('no-values.yaml');
  t.same(settings(config), { ...defaultConfig(), policy: { ...defaultConfig().policy, rules: { 'disallow-privileged': {} } } });
});

t.test('a full file maps onto PalisadeConfig', async (t) => {
  const config = configOf('full.yaml');
  t.same(settings(config), {
    release: '0.2.0',
    policy: {
      defaultMode: 'dry-run',
      onError: 'allow',
      rules: {
        'disallow-privileged': { mode: 'enforce' },
        'restrict-image-registries': { parameters: { registries: ['registry.example.com'] } },
        'require-signed-images': { disabled: true, onError: 'deny' },
      },
      namespaceModes: { 'team-a': 'enforce', sandbox: 'dry-run' },
      excludedNamespaces: ['kube-system', 'openshift-*'],
      disabledCategories: ['rbac', 'network'],
      exceptions: [
        {
          name: 'legacy-agent',
          namespace: 'monitoring',
          rules: ['disallow-host-namespaces'],
          match: { namespaces: [], kinds: ['DaemonSet'], names: ['node-agent'], owners: [], containers: [], images: [] },
          reason: 'Reads host metrics through hostPID.',
          owner: 'observability@example.com',
          expiresAt: new Date('2027-01-01T00:00:00Z'),
          source: { file: 'full.yaml', line: 29 },
        },
      ],
    },
    admission: {
      allowExistingViolations: false,
      exemptUsernames: ['system:serviceaccount:backup:velero'],
      exemptRuntimeClasses: ['kata.sandbox'],
      breakGlass: { usernames: [], groups: ['platform-oncall'] },
      // Mappings merge with the defaults: giving usernames keeps the default groups.
      modeLabelSetters: { usernames: ['alice'], groups: ['system:masters'] },
      mutation: { rules: ['restrict-seccomp'], namespaces: ['*'] },
      mutatePodsOnly: false,
    },
    cluster: { exceptionNamespaces: ['palisade-system'], maxExceptionLifetimeDays: 30 },
  });
  t.equal(config.file, 'full.yaml');
  t.same(config.exceptionFiles, []);
  t.equal(config.lines?.['rules.disallow-privileged'], 7, 'the line of each rules.<id> key is kept');
  t.equal(config.lines?.['rules.restrict-image-registries'], 8, 'a block mapping is located at its key, not its first field');
  t.equal(config.lines?.['disabledCategories[1]'], 12);
  t.equal(config.lines?.['admission.mutation.rules[0]'], 23);
});

t.test('each kind of problem names file:line, the field and what is wrong', async (t) => {
  t.same(problemsOf('invalid-fields.yaml'), [
    'invalid-fields.yaml:3: defaultmode: is not a known field (did you mean "defaultMode"?)',
    'invalid-fields.yaml:4: onError: must be one of: deny, allow',
    'invalid-fields.yaml:5: release: must be a release version x.y.z, such as 0.2.0 (quote it if YAML reads it as a number)',
    'invalid-fields.yaml:8: rules.disallow-privileged.mode: must be one of: enforce, audit, dry-run (did you mean "enforce"?)',
    'invalid-fields.yaml:9: rules.disallow-privileged.paramters: is not a known field (did you mean "parameters"?)',
    'invalid-fields.yaml:11: namespaces.excluded: must be a list',
    'invalid-fields.yaml:13: admission.mutatePodsOnly: must be true or false',
    'invalid-fields.yaml:14: admission.breakglass: is not a known field (did you mean "breakGlass"?)',
    'invalid-fields.yaml:17: cluster.maxExceptionLifetimeDays: must be at least 1',
  ]);

  const dnsLabel = "a DNS label: at most 63 lowercase letters, digits and '-', starting and ending with a letter or digit";
  t.same(problemsOf('invalid-names.yaml'), [
    "invalid-names.yaml:2: rules.Disallow_Privileged: is not a rule id (lowercase letters, digits and '-', starting and ending with a letter or digit)",
    "invalid-names.yaml:3: disabledCategories[0]: is not a category name (lowercase letters, digits and '-', starting and ending with a letter or digit)",
    `invalid-names.yaml:5: namespaces.excluded[1]: is not a namespace name (${dnsLabel}) or a glob of one using '*'`,
    'invalid-names.yaml:7: namespaces.modes.kube-system: the namespace is excluded (namespaces.excluded), so this mode would never apply; remove one of the two',
    `invalid-names.yaml:8: namespaces.modes.team-*: is not a namespace name (${dnsLabel}); '*' globs are not accepted here`,
    "invalid-names.yaml:11: admission.exemptions.runtimeClasses[0]: is not a RuntimeClass name (a DNS subdomain: lowercase letters, digits, '-' and '.')",
    `invalid-names.yaml:15: cluster.exceptionNamespaces[0]: is not a namespace name (${dnsLabel}); '*' globs are not accepted here`,
  ]);
});

t.test('a namespace mode for a namespace excluded by default is reported too', async (t) => {
  const result = parseConfig('namespaces:\n  modes:\n    kube-public: enforce\n', 'palisade.yaml');
  t.same(result.problems.map(formatProblem), [
    'palisade.yaml:3: namespaces.modes.kube-public: the namespace is excluded (the default namespaces.excluded), so this mode would never apply; remove one of the two',
  ]);
});

t.test('an unknown field far from any known one lists the known fields', async (t) => {
  const result = parseConfig('cluster:\n  leaderElection: true\n', 'palisade.yaml');
  t.same(result.problems.map(formatProblem), [
    'palisade.yaml:2: cluster.leaderElection: is not a known field; known fields: exceptionNamespaces, maxExceptionLifetimeDays',
  ]);
});

t.test('YAML that does not parse, and files that are not one configuration', async (t) => {
  t.same(problemsOf('invalid-yaml.yaml'), ['invalid-yaml.yaml:4: invalid YAML: Flow map in block collection must be sufficiently indented and end with a }']);
  t.same(problemsOf('duplicate-key.yaml'), ['duplicate-key.yaml:3: invalid YAML: Map keys must be unique: "defaultMode" appears twice']);
  t.same(problemsOf('two-documents.yaml'), ['two-documents.yaml:3: the file holds 2 YAML documents; a configuration file holds exactly one']);
  t.same(problemsOf('not-a-mapping.yaml'), ['not-a-mapping.yaml:1: must be a mapping of configuration fields (apiVersion, kind, defaultMode, …)']);
  t.same(problemsOf('exception-kind.yaml'), [
    'exception-kind.yaml:2: kind: must be "Configuration"; list Exception files in exceptionFiles, or write the exception under exceptions',
    'exception-kind.yaml:3: metadata: is not a known field; known fields: apiVersion, kind, defaultMode, onError, release, rules, disabledCategories, namespaces, admission, cluster, exceptions, exceptionFiles, images',
  ]);
});

t.test('inline exceptions are checked like Exception files, at their line in the config', async (t) => {
  t.same(problemsOf('invalid-exceptions.yaml'), [
    'invalid-exceptions.yaml:3: exceptions[0].spec.owner: is required',
    'invalid-exceptions.yaml:4: exceptions[0].spec.rules: must not be empty',
    'invalid-exceptions.yaml:7: exceptions[0].spec.expiresAt: is not a valid date',
    'invalid-exceptions.yaml:8: exceptions[1].metadata.name: exception no-owner is already defined by exceptions[0] (line 2)',
    'invalid-exceptions.yaml:8: exceptions[1].metadata.namespce: is not a known field (did you mean "namespace"?)',
    'invalid-exceptions.yaml:11: exceptions[1].spec.match.kind: is not a known field (did you mean "kinds"?)',
    'invalid-exceptions.yaml:14: exceptions[1].spec.expiresAt: must be a date (2027-01-31) or a time (2027-01-31T18:00:00Z)',
  ]);
});

t.test('exceptionFiles are read relative to the config file and merged', async (t) => {
  const path = join(FIXTURES, 'with-files', 'palisade.yaml');
  const result = await loadConfigFile(path);
  t.same(result.problems, []);
  const config = result.config;
  if (!config) return;
  const exceptionsFile = join(FIXTURES, 'with-files', 'exceptions.yaml');
  t.same(config.exceptionFiles, [exceptionsFile]);
  t.same(
    config.policy.exceptions.map((e) => [e.namespace ?? '', e.name, e.source]),
    [
      ['', 'inline-one', { file: path, line: 2 }],
      ['shop', 'mesh-proxy-privileged', { file: exceptionsFile, line: 1 }],
    ],
  );
  t.same(config.policy.exceptions[1]?.match.owners, [{ kind: 'Deployment', name: 'web' }]);
  t.same(config.policy.exceptions[1]?.expiresAt, new Date('2027-06-30T00:00:00Z'));
});

t.test('problems in exception files, unreadable files and duplicate names are reported together', async (t) => {
  const dir = join(FIXTURES, 'bad-files');
  const result = await loadConfigFile(join(dir, 'palisade.yaml'));
  t.notOk(result.config);
  t.same(result.problems.map(formatProblem), [
    `${dir}/exceptions.yaml:1: metadata.name: exception inline-one is already defined at ${dir}/palisade.yaml:2`,
    `${dir}/exceptions.yaml:17: spec.rules: must not be empty`,
    `${dir}/palisade.yaml:10: exceptionFiles[0]: cannot read ${dir}/missing.yaml: no such file`,
  ]);
});

t.test('a config file that cannot be read is a problem at line 0', async (t) => {
  const path = join(FIXTURES, 'does-not-exist.yaml');
  const result = await loadConfigFile(path);
  t.notOk(result.config);
  t.same(result.problems, [{ file: path, line: 0, field: '', message: 'cannot read the file: no such file' }]);
  t.equal(formatProblem(result.problems[0]!), `${path}: cannot read the file: no such file`);
});

t.test('unknownRuleProblems: rule ids and categories no loaded rule has', async (t) => {
  const config = configOf('full.yaml');
  const ids = ['disallow-privileged', 'restrict-image-registries', 'require-signed-images', 'restrict-seccomp'];
  t.same(unknownRuleProblems(config, ids, ['rbac', 'network', 'pod-security']), []);

  const problems = unknownRuleProblems(config, ['disallow-privileged', 'restrict-image-registry', 'restrict-seccomp-v2'], ['rbac', 'pod-security']);
  t.same(problems.map(formatProblem), [
    'full.yaml:8: rules.restrict-image-registries: no loaded rule has this id (did you mean "restrict-image-registry"?)',
    'full.yaml:11: rules.require-signed-images: no loaded rule has this id',
    'full.yaml:12: disabledCategories[1]: no loaded rule has the category "network"; categories: pod-security, rbac',
    'full.yaml:23: admission.mutation.rules[0]: no loaded rule has the id "restrict-seccomp" (did you mean "restrict-seccomp-v2"?)',
  ]);

  t.same(unknownRuleProblems(defaultConfig(), [], []), [], 'the built-in default names no rule');
});

t.test('the complete example of docs/configuration.md loads, naming only built-in rules', async (t) => {
  const doc = readFileSync(DOC, 'utf8');
  const example = /^```yaml\n([\s\S]*?)^```$/m.exec(doc)?.[1];
  if (!example) throw new Error('docs/configuration.md has no ```yaml block');
  const result = parseConfig(example, 'docs/configuration.md');
  t.same(result.problems.map(formatProblem), []);
  const config = result.config;
  if (!config) return;
  t.same(config.policy.rules['disallow-privileged'], { mode: 'enforce' });
  t.same(config.policy.rules['restrict-image-registries']?.parameters, { registries: ['registry.example.com', 'ghcr.io/acme'] });
  t.equal(config.policy.exceptions[0]?.name, 'legacy-agent');
  t.same(config.exceptionFiles, ['docs/exceptions.yaml']);

  // The built-in rules live in rules/<category>/<rule-id>/.
  const categories = readdirSync(BUILTIN_RULES_DIR, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);
  const ids = categories.flatMap((c) => readdirSync(join(BUILTIN_RULES_DIR, c), { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name));
  t.same(unknownRuleProblems(config, ids, categories).map(formatProblem), []);
});
