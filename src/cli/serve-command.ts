/**
 * `palisade serve`: the admission webhook over HTTPS. Certificates come from --cert-dir (generated
 * there when absent, unless --no-generate-certs); rules and configuration are watched and reloaded.
 * SIGTERM and SIGINT stop it gracefully: no new connections, requests in flight finish.
 */
import { parseArgs } from 'node:util';
import { pino, type Level } from 'pino';
import { DEFAULT_BODY_LIMIT } from '../server/app.js';
import { startServer, StartupError } from '../server/serve.js';
import { CertFileError } from '../certs/verify-pair.js';
import { untilStopped } from './until-stopped.js';
import { CliError, type CliIO } from './cli-error.js';
import { parseDuration } from './duration.js';
import { checkedRuleDirs, podTemplateLocations, RULE_OPTIONS } from './rule-options.js';

export const SERVE_USAGE = `Usage: palisade serve [options]

Serves the admission webhook: POST /validate (and /validate/enforce, /validate/audit for the two
registrations), POST /mutate, GET /healthz, /readyz, /metrics.

Options:
  --port N              port to listen on (default 8443)
  --host ADDR           address to listen on (default 0.0.0.0)
  --cert-dir DIR        tls.crt, tls.key and ca.crt (default certs); watched for rotation
  --no-generate-certs   fail when --cert-dir holds no certificate instead of generating one
  --cert-secret NAME    self-managed certificates: keep the CA and serving certificate in the
                        Secret NAME of --namespace (created when absent, shared by replicas),
                        renewed well before expiry (the CA through an overlap in caBundle);
                        written to --cert-dir. Needs a cluster and --namespace
  --cert-check-interval DURATION
                        how often --cert-secret is re-read and renewed, e.g. 1h, 10m (default 1h)
  --dns NAME            extra DNS name for a generated certificate (repeatable)
  --ip ADDR             extra IP address for a generated certificate (repeatable)
  --service NAME        with --namespace: the Service the API server calls (adds its DNS names)
  --namespace NS        the webhook's own namespace (never evaluated)
  --config FILE         palisade.yaml: modes, overrides, exceptions (see docs/configuration.md)
  --rules DIR           add a folder of user rules (repeatable)
  --no-builtin          leave the built-in rules out
  --disable ID          disable a rule id or category (repeatable)
  --rules-release VER   pin the rule set to a release: rules added after it run in dry-run
  --pod-template G/Kind=path
                        give another kind the podSpec view (repeatable)
  --kubeconfig FILE     run against this cluster (in a Pod the service account is used
                        unless --standalone): namespace labels, Rule and Exception resources
  --context NAME        kubeconfig context
  --standalone          do not connect to a cluster even when running in one
  --reconcile-webhooks  keep Palisade's webhook configurations (rules, caBundle) in step with the
                        loaded rules and certificate: the API server calls --service/--namespace,
                        or --webhook-url
  --webhook-url URL     base URL the API server calls (instead of a Service), e.g. https://10.0.0.5:8443
  --webhook-name NAME   name of the webhook configurations (default palisade)
  --body-limit BYTES    largest request body (default ${DEFAULT_BODY_LIMIT}; must exceed 6 MiB)
  --log-level LEVEL     fatal | error | warn | info | debug | trace (default info)
`;

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'];

export async function serveCommand(args: string[], io: CliIO, signals: NodeJS.Process = process): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      ...RULE_OPTIONS,
      port: { type: 'string', default: '8443' },
      host: { type: 'string', default: '0.0.0.0' },
      'cert-dir': { type: 'string', default: 'certs' },
      'no-generate-certs': { type: 'boolean' },
      'cert-secret': { type: 'string' },
      'cert-check-interval': { type: 'string', default: '1h' },
      dns: { type: 'string', multiple: true },
      ip: { type: 'string', multiple: true },
      service: { type: 'string' },
      namespace: { type: 'string' },
      config: { type: 'string' },
      kubeconfig: { type: 'string' },
      context: { type: 'string' },
      standalone: { type: 'boolean' },
      'reconcile-webhooks': { type: 'boolean' },
      'webhook-url': { type: 'string' },
      'webhook-name': { type: 'string' },
      'body-limit': { type: 'string' },
      'log-level': { type: 'string', default: 'info' },
    },
  });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new CliError(`--port "${values.port}": expected a port number`);
  const level = values['log-level'] ?? 'info';
  if (!LEVELS.includes(level)) throw new CliError(`--log-level "${level}": expected one of ${LEVELS.join(', ')}`);
  const bodyLimit = values['body-limit'] === undefined ? DEFAULT_BODY_LIMIT : Number(values['body-limit']);
  if (!Number.isInteger(bodyLimit) || bodyLimit <= 6 * 1024 * 1024) {
    throw new CliError(`--body-limit "${values['body-limit']}": must be more than 6 MiB (${6 * 1024 * 1024}), since an UPDATE carries two objects of up to 3 MiB`);
  }
  if ((values.service === undefined) !== (values.namespace === undefined) && values.service !== undefined) {
    throw new CliError('--service needs --namespace');
  }
  const inCluster = !values.standalone && (values.kubeconfig !== undefined || process.env['KUBERNETES_SERVICE_HOST'] !== undefined);
  if (values['reconcile-webhooks'] && !inCluster) throw new CliError('--reconcile-webhooks needs a cluster: --kubeconfig, or run in a Pod');
  if (values['reconcile-webhooks'] && !values['webhook-url'] && !(values.service && values.namespace)) {
    throw new CliError('--reconcile-webhooks needs --service NAME --namespace NS or --webhook-url URL');
  }
  if (values['cert-secret'] !== undefined && !(inCluster && values.namespace)) {
    throw new CliError('--cert-secret needs a cluster (--kubeconfig, or run in a Pod) and --namespace');
  }
  const certCheckMs = parseDuration(values['cert-check-interval'] ?? '1h');
  if (certCheckMs === undefined) throw new CliError(`--cert-check-interval "${values['cert-check-interval']}": expected a duration such as 1h or 10m`);
  const webhookClient = values['webhook-url'] ? { url: values['webhook-url'] } : values.service && values.namespace ? { service: { name: values.service, namespace: values.namespace } } : undefined;
  const dirs = checkedRuleDirs(values);

  const log = pino({ level: level as Level, base: { service: 'palisade' } }, pino.destination({ dest: 1, sync: false }));
  let server;
  try {
    server = await startServer({
      host: values.host ?? '0.0.0.0',
      port,
      certDir: values['cert-dir'] ?? 'certs',
      generateCerts: !values['no-generate-certs'],
      certNames: {
        dnsNames: values.dns ?? [],
        ipAddresses: values.ip ?? [],
        ...(values.service && values.namespace ? { service: { name: values.service, namespace: values.namespace } } : {}),
      },
      sources: {
        ruleDirs: dirs,
        ...(values.config ? { configFile: values.config } : {}),
        podTemplates: podTemplateLocations(values),
        disabled: values.disable ?? [],
        ...(values['rules-release'] ? { release: values['rules-release'] } : {}),
        ...(values.namespace ? { ownNamespace: values.namespace } : {}),
      },
      log,
      bodyLimit,
      ...(inCluster ? {
        cluster: {
          ...(values.kubeconfig ? { kubeconfig: values.kubeconfig } : {}),
          ...(values.context ? { context: values.context } : {}),
          ...(values['cert-secret'] && values.namespace ? { certSecret: { name: values['cert-secret'], namespace: values.namespace, checkIntervalMs: certCheckMs } } : {}),
          ...(values['reconcile-webhooks'] && webhookClient ? { webhooks: { client: webhookClient, ...(values['webhook-name'] ? { name: values['webhook-name'] } : {}) } } : {}),
        },
      } : {}),
    });
  } catch (error) {
    if (error instanceof StartupError || error instanceof CertFileError) throw new CliError(error.message);
    throw error;
  }
  io.stderr(`palisade: serving on ${server.url} (rules: ${server.policy.current()?.ruleSet.rules.length ?? 0})\n`);
  const running = server;
  await untilStopped(signals, log, 'finishing requests in flight', () => running.close());
  return 0;
}
