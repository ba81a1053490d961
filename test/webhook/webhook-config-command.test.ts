/**
 * `palisade webhook-config`: what a user piping it to kubectl or Helm sees on stdout and stderr.
 * The command function is run directly with a captured CliIO (main.ts wires it to the process).
 */
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { CliIO } from '../../src/cli/cli-error.js';
import { webhookConfigCommand, WEBHOOK_CONFIG_USAGE } from '../../src/cli/webhook-config-command.js';
import { checkWebhookConfiguration } from '../../src/webhook/check.js';
import type { WebhookConfiguration } from '../../src/webhook/types.js';
import { FIXTURES } from './support.js';

const SERVICE = ['--service', 'palisade', '--namespace', 'palisade-system'];

async function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = { stdout: '', stderr: '' };
  const io: CliIO = {
    stdout: (text) => { out.stdout += text; },
    stderr: (text) => { out.stderr += text; },
    readStdin: async () => '',
    isTTY: false,
    env: {},
    now: () => new Date('2026-11-22T12:00:00Z'),
  };
  const code = await webhookConfigCommand(args, io);
  return { code, ...out };
}

/** The YAML documents on stdout, each parsed without error. */
function documents(text: string): WebhookConfiguration[] {
  return parseAllDocuments(text).map((doc) => {
    if (doc.errors.length > 0) throw new Error(doc.errors.map((e) => e.message).join('\n'));
    return doc.toJS() as WebhookConfiguration;
  });
}

t.test('prints a ValidatingWebhookConfiguration as YAML that parses back and would be accepted', async (t) => {
  const { code, stdout, stderr } = await run(SERVICE);
  t.equal(code, 0);
  const docs = documents(stdout);
  t.same(docs.map((d) => d.kind), ['ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration'], 'mutation is opt-in: the mutating configuration only stamps Exceptions');
  t.same(docs[1]?.webhooks.map((w) => w.name), ['stamp.mutate.palisade.dev']);
  const [validating] = docs;
  t.same(checkWebhookConfiguration(validating), []);
  t.same(validating?.webhooks.map((w) => [w.name, w.failurePolicy, w.clientConfig.service?.path]), [
    ['enforce.validate.palisade.dev', 'Fail', '/validate/enforce'],
    ['audit.validate.palisade.dev', 'Ignore', '/validate/audit'],
    ['resources.validate.palisade.dev', 'Fail', '/validate/enforce'],
  ]);
  t.notMatch(stdout, /&a\d|\*a\d/, 'no YAML anchors or aliases');
  t.match(stdout, /^# Rendered by palisade webhook-config/, 'says where it came from');
  t.match(stderr, /^palisade webhook-config: warning \[wildcard-narrowed\]: rule no-secrets-in-annotations: /m, 'warnings go to stderr');
  t.notMatch(stdout, /warning/);
});

t.test('mutation, CA bundle, name and timeout; JSON as a List', async (t) => {
  const args = [...SERVICE, '--port', '8443', '--config', join(FIXTURES, 'config', 'mutation-pods.yaml'), '--ca-bundle', join(FIXTURES, 'ca.crt'), '--name', 'palisade-test', '--timeout-seconds', '3'];
  const yaml = await run(args);
  t.equal(yaml.code, 0);
  const docs = documents(yaml.stdout);
  t.same(docs.map((d) => [d.kind, d.metadata.name]), [['ValidatingWebhookConfiguration', 'palisade-test'], ['MutatingWebhookConfiguration', 'palisade-test']]);
  const pem = readFileSync(join(FIXTURES, 'ca.crt'), 'utf8');
  for (const doc of docs) {
    t.same(checkWebhookConfiguration(doc), []);
    for (const webhook of doc.webhooks) {
      t.equal(Buffer.from(webhook.clientConfig.caBundle ?? '', 'base64').toString('utf8'), pem, `${webhook.name}: caBundle from --ca-bundle`);
      t.equal(webhook.timeoutSeconds, 3);
      t.equal(webhook.clientConfig.service?.port, 8443);
    }
  }
  const json = await run([...args, '--format', 'json']);
  const list = JSON.parse(json.stdout) as { apiVersion: string; kind: string; items: WebhookConfiguration[] };
  t.equal(list.apiVersion, 'v1');
  t.equal(list.kind, 'List');
  t.same(list.items, docs, 'the same objects as the YAML');
});

t.test('--url, and custom resources by --resource-name', async (t) => {
  const custom = ['--no-builtin', '--rules', join(FIXTURES, 'rules', 'custom'), '--url', 'https://palisade.example.com:8443'];
  const guessed = await run(custom);
  t.equal(guessed.code, 0);
  t.match(guessed.stderr, /warning \[resource-name-guessed\]: rule require-certificate-duration: cert-manager\.io\/Certificate is not a kind Palisade knows/);
  const [validating] = documents(guessed.stdout);
  t.same(validating?.webhooks.map((w) => w.clientConfig.url), ['https://palisade.example.com:8443/validate/enforce', 'https://palisade.example.com:8443/validate/enforce']);
  const mapped = await run([...custom, '--resource-name', 'cert-manager.io/Certificate=certificates']);
  t.equal(mapped.stderr, '', 'nothing to warn about');
  t.same(documents(mapped.stdout)[0]?.webhooks[0]?.rules.find((r) => r.apiGroups.includes('cert-manager.io'))?.resources, ['certificates']);
});

t.test('--disable leaves rules out, and says when it names nothing', async (t) => {
  const { code, stdout, stderr } = await run([...SERVICE, '--disable', 'no-secrets-in-annotations', '--disable', 'no-such-rule']);
  t.equal(code, 0);
  t.notMatch(stderr, /wildcard-narrowed/, 'the rule over every kind is gone');
  t.match(stderr, /warning: --disable no-such-rule: no loaded rule or category has that name/);
  const audit = documents(stdout)[0]?.webhooks.find((w) => w.name === 'audit.validate.palisade.dev');
  t.notOk(audit?.rules.some((r) => r.apiGroups.includes('storage.k8s.io')), 'storage classes are no longer intercepted');
});

t.test('clear errors', async (t) => {
  await t.rejects(run([]), { name: 'CliError', message: /^say where the API server reaches Palisade: --service NAME --namespace NS \(in the cluster\) or --url https:\/\/HOST\[:PORT\] \(outside it\)/ });
  await t.rejects(run(['--service', 'palisade']), { message: /--service needs --namespace/ });
  await t.rejects(run([...SERVICE, '--url', 'https://x.example.com']), { message: /either --service \(with --namespace\) or --url, not both/ });
  await t.rejects(run(['--url', 'https://x.example.com', '--port', '443']), { message: /with --url, put the port in the URL/ });
  await t.rejects(run([...SERVICE, '--port', 'http']), { message: /--port "http": expected a port number/ });
  await t.rejects(run([...SERVICE, '--timeout-seconds', '10']), { message: /timeoutSeconds 10: must be a whole number from 1 to 5/ });
  await t.rejects(run([...SERVICE, '--timeout-seconds', 'soon']), { message: /--timeout-seconds "soon"/ });
  await t.rejects(run([...SERVICE, '--format', 'toml']), { message: /unknown --format "toml"; use one of: yaml, json/ });
  await t.rejects(run([...SERVICE, '--ca-bundle', join(FIXTURES, 'missing.crt')]), { message: /--ca-bundle .*missing\.crt: cannot read: ENOENT/ });
  await t.rejects(run([...SERVICE, '--ca-bundle', join(FIXTURES, 'config', 'no-wildcard.yaml')]), { message: /no PEM certificate/ });
  await t.rejects(run([...SERVICE, '--resource-name', 'Certificate']), { message: /--resource-name "Certificate": expected GROUP\/Kind=plural/ });
  await t.rejects(run([...SERVICE, '--url', 'http://x']), { message: /not both/ });
  await t.rejects(run(['--url', 'http://palisade.example.com']), { message: /https only/ });
  await t.rejects(run([...SERVICE, '--no-builtin']), { message: /--no-builtin needs at least one --rules DIR/ });
  await t.rejects(run([...SERVICE, '--config', join(FIXTURES, 'rules', 'wildcard', 'wildcard.yaml')]), { message: /^rules or configuration rejected: \d+ problems?\n.*wildcard\.yaml:\d+/ });
  await t.rejects(run([...SERVICE, 'extra']), { message: /unexpected argument "extra"/ });
  t.match(WEBHOOK_CONFIG_USAGE, /--service NAME --namespace NS \[--port N\] \| --url BASE/);
});
