/**
 * `palisade webhook-config`: renders the ValidatingWebhookConfiguration (and, when mutation is opted
 * in, the MutatingWebhookConfiguration) for the loaded rules and configuration, as multi-document
 * YAML or a JSON List on stdout. The Helm chart runs it; in a cluster Palisade renders the same
 * objects itself (src/webhook/render.ts). Warnings go to stderr, so stdout can be piped to kubectl.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { Document } from 'yaml';
import { formatProblem } from '../rules/problems.js';
import { loadPolicy } from '../server/load-policy.js';
import { OWNED_FIELDS, renderWebhookConfigurations, WebhookOptionsError, type RenderOptions, type WebhookClient } from '../webhook/render.js';
import type { WebhookConfiguration } from '../webhook/types.js';
import { CliError, EXIT_OK, type CliIO } from './cli-error.js';
import { podTemplateLocations, ruleDirs } from './rule-options.js';
import { packageVersion } from './version.js';

export const WEBHOOK_CONFIG_USAGE = `Usage: palisade webhook-config (--service NAME --namespace NS [--port N] | --url BASE) [options]

Renders the ValidatingWebhookConfiguration, and the MutatingWebhookConfiguration when the
configuration opts rules in to mutation, that send Palisade exactly the requests its rules need:
enforced rules through a registration with failurePolicy Fail, all others through one with
Ignore. Prints multi-document YAML (or a JSON List) to stdout. Give the same --config, --rules,
--no-builtin, --disable and --pod-template as 'palisade serve'. See docs/webhook-configuration.md.

Where the API server calls Palisade (one of):
  --service NAME        the Service in front of Palisade, with --namespace
  --namespace NS        the Service's namespace: Palisade's own, never sent to the webhooks
  --port N              the Service's port (default 443)
  --url BASE            Palisade outside the cluster: https://HOST[:PORT][/PREFIX]

Options:
  --ca-bundle FILE      PEM CA that signed Palisade's serving certificate (default: no caBundle;
                        Palisade in the cluster, or cert-manager's CA injector, fills it in)
  --name NAME           metadata.name of the configurations (default palisade)
  --timeout-seconds N   how long the API server waits for Palisade: 1 to 5 (default 5)
  --config FILE         palisade.yaml: rule modes decide which registration serves a rule
  --rules DIR           add a folder of user rules (repeatable)
  --no-builtin          leave the built-in rules out
  --disable ID          leave out a rule id or a whole category (repeatable)
  --pod-template G/Kind=path
                        give another kind the podSpec view (repeatable)
  --resource-name G/Kind=PLURAL
                        the resource name of a custom resource kind, e.g.
                        argoproj.io/Rollout=rollouts (repeatable); otherwise it is guessed
  --api-group GROUP     an API group that rules over every kind ("*") should also cover, e.g. the
                        group of your custom resources (repeatable)
  --format FORMAT       yaml | json (default: yaml)

Warnings (guessed resource names, narrowed wildcards...) go to stderr.
Exit codes: 0 rendered, 2 usage, configuration or rule error.
`;

const FORMATS = ['yaml', 'json'] as const;

export async function webhookConfigCommand(args: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      rules: { type: 'string', multiple: true },
      'no-builtin': { type: 'boolean' },
      disable: { type: 'string', multiple: true },
      'pod-template': { type: 'string', multiple: true },
      config: { type: 'string' },
      service: { type: 'string' },
      namespace: { type: 'string' },
      port: { type: 'string' },
      url: { type: 'string' },
      'ca-bundle': { type: 'string' },
      name: { type: 'string' },
      'timeout-seconds': { type: 'string' },
      'resource-name': { type: 'string', multiple: true },
      'api-group': { type: 'string', multiple: true },
      format: { type: 'string', default: 'yaml' },
    },
  });
  if (positionals.length > 0) throw new CliError(`unexpected argument "${positionals[0]}"\n\n${WEBHOOK_CONFIG_USAGE}`);
  const format = values.format ?? 'yaml';
  if (!(FORMATS as readonly string[]).includes(format)) throw new CliError(`unknown --format "${format}"; use one of: ${FORMATS.join(', ')}`);
  const client = clientOf(values);
  const timeout = values['timeout-seconds'];
  const timeoutSeconds = timeout === undefined ? undefined : Number(timeout);
  if (timeoutSeconds !== undefined && !Number.isInteger(timeoutSeconds)) throw new CliError(`--timeout-seconds "${timeout}": expected a whole number of seconds, 1 to 5`);
  const resourceNames = resourceNamesOf(values['resource-name'] ?? []);
  const caBundle = values['ca-bundle'] === undefined ? undefined : await readCaBundle(values['ca-bundle']);

  const dirs = ruleDirs(values);
  if (dirs.length === 0) throw new CliError('no rules: --no-builtin needs at least one --rules DIR');
  const load = await loadPolicy({
    ruleDirs: dirs,
    ...(values.config ? { configFile: values.config } : {}),
    podTemplates: podTemplateLocations(values),
    ...(values.namespace ? { ownNamespace: values.namespace } : {}),
    // The webhooks depend on what `images` says, not on its key files.
    withoutImages: true,
  });
  if (!('ruleSet' in load)) {
    const problems = [...load.problems].sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line);
    throw new CliError(`rules or configuration rejected: ${problems.length} problem${problems.length === 1 ? '' : 's'}\n${problems.map(formatProblem).join('\n')}`);
  }
  const disabled = values.disable ?? [];
  for (const id of disabled) {
    if (!load.ruleSet.rules.some((r) => r.meta.id === id || r.meta.category === id)) {
      io.stderr(`palisade webhook-config: warning: --disable ${id}: no loaded rule or category has that name\n`);
    }
  }
  const ruleSet = {
    rules: load.ruleSet.rules.filter((r) => !disabled.includes(r.meta.id) && !disabled.includes(r.meta.category)),
    podTemplates: load.ruleSet.podTemplates,
  };

  const options: RenderOptions = {
    client,
    ...(values.namespace ? { ownNamespace: values.namespace } : {}),
    ...(caBundle !== undefined ? { caBundle } : {}),
    ...(values.name !== undefined ? { name: values.name } : {}),
    ...(timeoutSeconds !== undefined ? { timeoutSeconds } : {}),
    resourceNames,
    apiGroups: values['api-group'] ?? [],
  };
  let rendered;
  try {
    rendered = renderWebhookConfigurations(ruleSet, load.config, options);
  } catch (error) {
    if (error instanceof WebhookOptionsError) throw new CliError(error.message);
    throw error;
  }
  for (const warning of rendered.warnings) io.stderr(`palisade webhook-config: warning [${warning.code}]: ${warning.message}\n`);
  const objects: WebhookConfiguration[] = [rendered.validating, ...(rendered.mutating ? [rendered.mutating] : [])];
  io.stdout(format === 'json' ? toJsonList(objects) : toYaml(objects));
  return EXIT_OK;
}

function clientOf(values: { service?: string; namespace?: string; port?: string; url?: string }): WebhookClient {
  if (values.service !== undefined && values.url !== undefined) throw new CliError('give either --service (with --namespace) or --url, not both');
  if (values.url !== undefined) {
    if (values.port !== undefined) throw new CliError('--port goes with --service; with --url, put the port in the URL (https://HOST:PORT)');
    return { url: values.url };
  }
  if (values.service === undefined) {
    throw new CliError(`say where the API server reaches Palisade: --service NAME --namespace NS (in the cluster) or --url https://HOST[:PORT] (outside it)\n\n${WEBHOOK_CONFIG_USAGE}`);
  }
  if (values.namespace === undefined) throw new CliError('--service needs --namespace (the namespace of the Service, Palisade\'s own)');
  const port = values.port === undefined ? undefined : Number(values.port);
  if (port !== undefined && (!Number.isInteger(port) || port < 1 || port > 65535)) throw new CliError(`--port "${values.port}": expected a port number from 1 to 65535`);
  return { service: { name: values.service, namespace: values.namespace, ...(port !== undefined ? { port } : {}) } };
}

/** `--resource-name argoproj.io/Rollout=rollouts` (or `Rollout=rollouts` for the kind in any group). */
function resourceNamesOf(entries: readonly string[]): Record<string, string> {
  const names: Record<string, string> = {};
  for (const entry of entries) {
    const match = /^((?:[a-z0-9.-]+\/)?[A-Z][A-Za-z0-9]*)=([a-z0-9-]+)$/.exec(entry);
    if (!match) throw new CliError(`--resource-name "${entry}": expected GROUP/Kind=plural, e.g. argoproj.io/Rollout=rollouts`);
    names[match[1] ?? ''] = match[2] ?? '';
  }
  return names;
}

async function readCaBundle(file: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new CliError(`--ca-bundle ${file}: cannot read: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  if (!text.includes('-----BEGIN CERTIFICATE-----')) throw new CliError(`--ca-bundle ${file}: no PEM certificate in it (-----BEGIN CERTIFICATE-----)`);
  return text;
}

function toYaml(objects: readonly WebhookConfiguration[]): string {
  return objects.map((object) => {
    // Fresh nodes for every object: no YAML anchors or aliases, which some tools mishandle.
    const doc = new Document(object, { aliasDuplicateObjects: false });
    doc.commentBefore = ` Rendered by palisade webhook-config ${packageVersion()} from the loaded rules and configuration.\n`
      + ` In a cluster Palisade reconciles ${OWNED_FIELDS.join(' and ')} (annotation palisade.dev/owned-fields).`;
    return doc.toString({ lineWidth: 0 });
  }).join('---\n');
}

function toJsonList(objects: readonly WebhookConfiguration[]): string {
  return `${JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }, null, 2)}\n`;
}
