/**
 * The exposed-secrets rules (rules/secrets) report where a credential is, never the credential:
 * `palisade scan` over their fail/ fixtures, in every output format, must show each finding and
 * none of the values it flags. Also: a 1 MB value and adversarial inputs are evaluated within the
 * iteration budget (RE2 keeps every pattern linear; no timing is asserted).
 */
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readYamlDocuments, splitFieldPath } from '../../src/rules/yaml-documents.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(ROOT, 'dist/cli/bin.js');
const RULES = ['no-secrets-in-env', 'no-secrets-in-configmaps', 'no-secrets-in-annotations'];
const FAIL_DIRS = RULES.map((id) => `rules/secrets/${id}/fail`);
const FORMATS = ['json', 'table', 'sarif', 'markdown', 'junit'];

function palisade(args: string[], input?: string) {
  const run = spawnSync(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    input,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, NO_COLOR: '1' },
  });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

interface Finding {
  ruleId: string;
  code: string;
  message: string;
  paths: string[];
  result: string;
}
interface Report {
  results: { resource: { kind: string; name: string; file?: string; line?: number }; findings: Finding[] }[];
  problems: unknown[];
}

type Json = Record<string, unknown>;

/** Every object of the fail fixtures, by file and line, as `palisade scan` names them. */
const objects = new Map<string, Json>();
for (const dir of FAIL_DIRS) {
  for (const name of readdirSync(join(ROOT, dir))) {
    const file = join(dir, name);
    for (const doc of readYamlDocuments(readFileSync(join(ROOT, file), 'utf8'))) {
      objects.set(`${file}:${doc.line}`, doc.value as Json);
    }
  }
}

function valueAt(object: unknown, path: string): unknown {
  let node = object;
  for (const part of splitFieldPath(path)) node = (node as Record<string | number, unknown> | undefined)?.[part];
  return node;
}

/** Where the rules look: env values, ConfigMap data, annotations (the object's and its pod template's). */
function candidateValues(object: Json): Map<string, string> {
  const out = new Map<string, string>();
  const key = (base: string, k: string) => (/^[A-Za-z_][A-Za-z0-9_]*$/.test(k) ? `${base}.${k}` : `${base}[${JSON.stringify(k)}]`);
  const addMap = (base: string, map: unknown) => {
    if (map && typeof map === 'object') {
      for (const [k, v] of Object.entries(map)) if (typeof v === 'string') out.set(key(base, k), v);
    }
  };
  addMap('metadata.annotations', (object['metadata'] as Json | undefined)?.['annotations']);
  if (object['kind'] === 'ConfigMap') addMap('data', object['data']);
  const specPaths: Record<string, string> = { Pod: 'spec', Deployment: 'spec.template.spec', CronJob: 'spec.jobTemplate.spec.template.spec' };
  const specPath = specPaths[String(object['kind'])];
  if (specPath) {
    const templatePath = specPath.replace(/\.spec$/, '.metadata');
    if (object['kind'] !== 'Pod') addMap(`${templatePath}.annotations`, (valueAt(object, templatePath) as Json | undefined)?.['annotations']);
    const spec = valueAt(object, specPath) as Json;
    for (const list of ['containers', 'initContainers', 'ephemeralContainers']) {
      ((spec[list] as Json[] | undefined) ?? []).forEach((c, i) => {
        ((c['env'] as Json[] | undefined) ?? []).forEach((e, j) => {
          if (typeof e['value'] === 'string') out.set(`${specPath}.${list}[${i}].env[${j}].value`, e['value']);
        });
      });
    }
  }
  return out;
}

/** Values in the fail fixtures that are not credentials, and so are rightly not flagged. */
const BENIGN = new Set([
  'info',
  'nlb',
  'eu-west-1',
  'db.shop.svc',
  'github.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl',
]);

/**
 * The parts of a value a message may show: the fixed markers of the detectors, and PEM armor (the
 * END line repeats the words of the BEGIN marker).
 */
const PRINTABLE = [/-----(BEGIN|END) [A-Z ]*-----/g, /https:\/\/hooks\.slack\.com\/services\//g];
const WINDOW = 12;

function printableMask(value: string): boolean[] {
  const mask = new Array<boolean>(value.length).fill(false);
  for (const marker of PRINTABLE) {
    for (const m of value.matchAll(marker)) for (let i = m.index; i < m.index + m[0].length; i++) mask[i] = true;
  }
  return mask;
}

/** The value, each of its lines, and each token of 12 characters or more, outside the markers. */
function secretParts(value: string): string[] {
  const mask = printableMask(value);
  const masked = [...value].map((c, i) => (mask[i] ? '\n' : c)).join('');
  const parts = new Set([value.trim()]);
  for (const line of masked.split('\n')) if (line.trim().length >= WINDOW) parts.add(line.trim());
  for (const token of masked.match(/[A-Za-z0-9+/=_.:@-]{12,}/g) ?? []) parts.add(token);
  return [...parts];
}

/** Any 12 consecutive characters of the value, outside the markers, found in `text`. */
function sharedWindows(value: string, text: string): string[] {
  const windows = new Set<string>();
  for (let i = 0; i + WINDOW <= text.length; i++) windows.add(text.slice(i, i + WINDOW));
  const mask = printableMask(value);
  const shared: string[] = [];
  for (let i = 0; i + WINDOW <= value.length; i++) {
    if (mask.slice(i, i + WINDOW).every(Boolean)) continue;
    const fragment = value.slice(i, i + WINDOW);
    if (windows.has(fragment)) shared.push(fragment);
  }
  return shared;
}

const scan = palisade(['scan', '--format', 'json', '--exit-zero', ...FAIL_DIRS]);
const report = JSON.parse(scan.stdout) as Report;
const secretFindings = report.results.flatMap((r) =>
  r.findings.filter((f) => RULES.includes(f.ruleId)).map((f) => ({ resource: r.resource, finding: f })),
);

/** Flagged values: what each finding's paths point at in the fixture it came from. */
const flagged = new Map<string, string>();
for (const { resource, finding } of secretFindings) {
  const object = objects.get(`${resource.file}:${resource.line}`);
  for (const path of finding.paths) {
    const value = valueAt(object, path);
    if (typeof value === 'string') flagged.set(`${resource.file}:${resource.line} ${path}`, value);
  }
}

t.test('the scan reports every fail fixture object, at the exact field of each credential', async (t) => {
  t.equal(scan.code, 0, scan.stderr);
  t.same(report.problems, []);
  t.ok(secretFindings.every(({ finding }) => finding.result === 'fail'), 'no rule errors');
  for (const [where, object] of objects) {
    const file = where.slice(0, where.lastIndexOf(':'));
    const rule = RULES.find((id) => file.includes(`/${id}/`));
    const own = secretFindings.filter(({ resource, finding }) => `${resource.file}:${resource.line}` === where && finding.ruleId === rule);
    t.ok(own.length > 0, `${where} (${String(object['kind'])}): reported by ${rule}`);
    for (const { finding } of own) {
      t.ok(finding.paths.length > 0, `${finding.code}: names the fields`);
      for (const path of finding.paths) t.type(valueAt(object, path), 'string', `${path} points at a value`);
    }
    // Every value where the rule looks is flagged, except the few that are plainly not credentials.
    for (const [path, value] of candidateValues(object)) {
      if (BENIGN.has(value)) continue;
      t.ok(flagged.has(`${where} ${path}`), `${where} ${path} is flagged`);
    }
  }
  t.ok(flagged.size >= 28, `${flagged.size} flagged values`);
});

t.test('messages say where and what, with a fixed marker at most', async (t) => {
  const messages = secretFindings.map(({ finding }) => finding.message).join('\n');
  t.match(messages, 'container "api" env DB_PASSWORD holds a literal password (13 characters)');
  t.match(messages, 'container "api" env AWS_ACCESS_KEY_ID holds an AWS access key id (AKIA…, 20 characters)');
  t.match(messages, 'container "worker" env SIGNING_KEY holds a private key (-----BEGIN RSA PRIVATE KEY----- …');
  t.match(messages, 'container "debugger" env SLACK_WEBHOOK holds a Slack webhook URL');
  t.match(messages, 'container "fetch-repo" env GIT_AUTH holds a GitHub token (ghp_…, 40 characters)');
  t.match(messages, 'ConfigMap key "id_rsa" holds a private key (-----BEGIN OPENSSH PRIVATE KEY----- …');
  t.match(messages, 'ConfigMap key "key.json" holds a GCP service account key');
  t.match(messages, 'ConfigMap key "stripe.apiKey" holds a literal API key (26 characters)');
  t.match(messages, 'annotation "example.com/log-shipper-config" holds an AWS access key id (AKIA…');
  t.match(messages, 'pod template annotation "git-sync.example.com/repo" holds a GitHub token (ghp_…');
  const paths = secretFindings.flatMap(({ finding }) => finding.paths);
  t.ok(paths.includes('spec.jobTemplate.spec.template.spec.containers[0].env[4].value'));
  t.ok(paths.includes('spec.ephemeralContainers[0].env[0].value'));
  t.ok(paths.includes('data["stripe.apiKey"]'));
  t.ok(paths.includes('spec.template.metadata.annotations["git-sync.example.com/repo"]'));
});

t.test('no output format shows a flagged value, or any part of one beyond its marker', async (t) => {
  t.ok(flagged.size > 0);
  // What the secrets rules themselves write: not even 12 characters of a value.
  const own = secretFindings.map(({ finding }) => `${finding.message}\n${finding.paths.join('\n')}`).join('\n');
  for (const [where, value] of flagged) t.same(sharedWindows(value, own), [], `messages share nothing with ${relative('rules/secrets', where)}`);
  // The whole output of every format (every rule): no value, line or token of a value.
  for (const format of FORMATS) {
    const run = format === 'json' ? scan : palisade(['scan', '--format', format, '--exit-zero', ...FAIL_DIRS]);
    t.equal(run.code, 0, `${format}: ${run.stderr}`);
    const output = run.stdout + run.stderr;
    for (const id of RULES) t.match(output, id, `${format}: ${id} findings are there`);
    for (const [where, value] of flagged) {
      const leaked = secretParts(value).filter((part) => output.includes(part));
      t.same(leaked, [], `${format}: nothing of ${relative('rules/secrets', where)}`);
    }
  }
});

t.test('palisade test rules/secrets passes', async (t) => {
  const run = palisade(['test', 'rules/secrets']);
  if (!t.equal(run.code, 0, 'exit code 0')) t.comment(run.stdout);
  t.match(run.stdout, /^\d+ passed, 0 failed$/m);
});

/** Lines of filler text, 1 MB and more, for a ConfigMap value or an env value. */
function filler(bytes: number, line: string): string {
  return `${line}\n`.repeat(Math.ceil(bytes / (line.length + 1)));
}

function indent(text: string, spaces: number): string {
  const pad = ' '.repeat(spaces);
  return text.split('\n').map((l) => (l ? pad + l : l)).join('\n');
}

t.test('a 1 MB value, and adversarial ones, are evaluated within the budget', async (t) => {
  const big = `${filler(1 << 20, 'log.level=info # lorem ipsum dolor sit amet, consectetur adipiscing elit 0123456789')}aws_access_key_id = AKIAIOSFODNN7EXAMPLE\n`;
  // Near misses repeated: the start of every detector, none completed.
  const nearMisses = filler(
    256 * 1024,
    '"type": "service_account" -----BEGIN PRIVATE KE AKIA0000 AccountKey= ghp_ github_pat_ glpat- xoxb- sk_live_ eyJhbGci.eyJ. postgres://user:$(P)@ password: ${X}',
  );
  const manifest = [
    'apiVersion: v1',
    'kind: ConfigMap',
    'metadata: {name: big, namespace: shop}',
    'data:',
    '  big.properties: |',
    indent(big, 4),
    '  near-misses.txt: |',
    indent(nearMisses, 4),
    `  one-line: ${'a'.repeat(1 << 20)}`,
    '---',
    'apiVersion: v1',
    'kind: Pod',
    'metadata: {name: big, namespace: shop}',
    'spec:',
    '  containers:',
    '    - name: app',
    '      image: registry.example.com/app:1.0',
    '      env:',
    `        - {name: NEAR_MISSES, value: ${JSON.stringify(nearMisses)}}`,
    `        - {name: API_TOKEN, value: ${JSON.stringify('Fake'.repeat(1 << 18))}}`,
  ].join('\n');
  const run = palisade(['scan', '--format', 'json', '--exit-zero', '-'], manifest);
  t.equal(run.code, 0, run.stderr);
  const big1 = JSON.parse(run.stdout) as Report;
  const findings = big1.results.flatMap((r) => r.findings).filter((f) => RULES.includes(f.ruleId));
  t.same(findings.filter((f) => f.result !== 'fail').map((f) => f.message), [], 'no evaluation error (budget, regex)');
  t.match(findings.map((f) => f.message).sort(), [
    /^ConfigMap key "big\.properties" holds an AWS access key id \(AKIA…, \d{7} characters\)$/,
    /^container "app" env API_TOKEN holds a literal token \(1048576 characters\)$/,
  ]);
  t.equal(findings.length, 2, 'the near misses are not reported');
  t.notMatch(run.stdout, 'AKIAIOSFODNN7EXAMPLE');
});
