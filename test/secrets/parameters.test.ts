/**
 * The exposed-secrets rules share their pattern parameters (a rule file cannot import another's),
 * so this keeps the copies identical, checks every pattern is valid RE2 (re2js, as the engine
 * compiles it), and that the fail/ fixtures exercise every detector and every name label.
 */
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RE2JS } from 're2js';
import { loadRuleDirs } from '../../src/rules/loader.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const load = await loadRuleDirs([join(ROOT, 'rules/secrets')], ROOT);
t.same(load.problems, [], 'the rules load');

type Params = Record<string, unknown>;
const params = new Map<string, Params>(
  load.rules.map((r) => [r.document.id, Object.fromEntries(r.document.parameters.map((p) => [p.name, p.default]))]),
);
const env = params.get('no-secrets-in-env') ?? {};
const configmaps = params.get('no-secrets-in-configmaps') ?? {};
const annotations = params.get('no-secrets-in-annotations') ?? {};

interface Detector {
  label: string;
  pattern: string;
  marker: string;
}
interface SecretName {
  label: string;
  pattern: string;
  exceptValues?: string;
}

t.test('shared parameters are identical in every rule', async (t) => {
  for (const name of ['detectors', 'allowedMatches']) {
    t.same(configmaps[name], env[name], `${name}: configmaps = env`);
    t.same(annotations[name], env[name], `${name}: annotations = env`);
  }
  for (const name of ['secretNames', 'notSecretNames', 'notSecretValues']) {
    t.same(configmaps[name], env[name], `${name}: configmaps = env`);
  }
});

t.test('every pattern is valid RE2', async (t) => {
  const patterns: string[] = [
    ...(env['detectors'] as Detector[]).flatMap((d) => [d.pattern, d.marker].filter(Boolean)),
    ...(env['secretNames'] as SecretName[]).flatMap((n) => [n.pattern, n.exceptValues ?? ''].filter(Boolean)),
    ...(env['allowedMatches'] as string[]),
    ...(env['notSecretNames'] as string[]),
    ...(env['notSecretValues'] as string[]),
  ];
  t.ok(patterns.length > 30);
  for (const pattern of patterns) t.doesNotThrow(() => RE2JS.compile(pattern), pattern);
});

t.test('secretNames: what a name says, and what it does not', async (t) => {
  const names = env['secretNames'] as SecretName[];
  const notNames = (env['notSecretNames'] as string[]).map((p) => RE2JS.compile(p));
  const label = (name: string): string | undefined =>
    notNames.some((re) => re.test(name)) ? undefined : names.find((n) => RE2JS.compile(n.pattern).test(name))?.label;
  const cases: Record<string, string | undefined> = {
    DB_PASSWORD: 'password',
    PGPASSWORD: 'password',
    dbPassword: 'password',
    'db-password': 'password',
    'password.txt': 'password',
    REDIS_PASS: 'password',
    smtpPass: 'password',
    PASSWORD2: 'password',
    CLIENT_SECRET: 'secret',
    AWS_SECRET_ACCESS_KEY: 'secret',
    SECRET_KEY_BASE: 'secret',
    clientSecret: 'secret',
    GITHUB_TOKEN: 'token',
    accessToken: 'token',
    OPENAI_API_KEY: 'API key',
    apiKey: 'API key',
    APIKEY: 'API key',
    SSH_PRIVATE_KEY: 'private key',
    JWT_SIGNING_KEY: 'key',
    DB_CREDENTIALS: 'credential',
    PASSWORD_FILE: undefined,
    dbPasswordFile: undefined,
    SECRET_NAME: undefined,
    TOKEN_URL: undefined,
    TOKEN_TTL: undefined,
    TOKENIZER: undefined,
    MAX_TOKENS: undefined,
    MAX_TOKEN: undefined,
    TOKENS_PER_MINUTE: undefined,
    PASS_THROUGH: undefined,
    BYPASS: undefined,
    COMPASS: undefined,
    SECRETARY: undefined,
    API_KEY_HEADER: undefined,
    CSRF_TOKEN_COOKIE: undefined,
    PASSWORD_MIN_LENGTH: undefined,
    REQUIRE_PASSWORD: undefined,
    AWS_ACCESS_KEY_ID: undefined,
    GOOGLE_APPLICATION_CREDENTIALS_PATH: undefined,
  };
  for (const [name, expected] of Object.entries(cases)) t.equal(label(name), expected, name);
  const secret = names.find((n) => n.label === 'secret');
  const except = RE2JS.compile(secret?.exceptValues ?? '$^');
  for (const value of ['db-credentials', 'shop/storefront-tls', 'redis']) t.ok(except.test(value), `${value} names a Secret`);
  for (const value of ['8f14e45fceea167a5a36dedd4bea2543', 'Fake5ession5ecretValue', '550e8400-e29b-41d4-a716-446655440000']) {
    t.notOk(except.test(value), `${value} is a credential`);
  }
});

t.test('the fail/ fixtures exercise every detector and every name label', async (t) => {
  const run = spawnSync(process.execPath, [join(ROOT, 'dist/cli/bin.js'), 'test', 'rules/secrets'], { cwd: ROOT, encoding: 'utf8' });
  if (!t.equal(run.status, 0, 'palisade test rules/secrets passes')) t.comment(run.stdout);
  for (const d of env['detectors'] as Detector[]) t.match(run.stdout, ` holds ${d.label} (`, d.label);
  for (const n of env['secretNames'] as SecretName[]) t.match(run.stdout, ` holds a literal ${n.label} (`, n.label);
});
