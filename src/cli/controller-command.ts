/**
 * `palisade controller`: the background audit loop as its own process, so a long resync never
 * delays an admission answer. Replicas elect one active auditor through a Lease; the leader audits
 * the cluster, writes OpenReports reports, and then follows changes through watches. Every replica
 * serves probes, metrics and the rollout report over plain HTTP. SIGTERM and SIGINT stop it: the
 * audit in flight is aborted, the lease released, and the process exits 0.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { parseArgs } from 'node:util';
import { pino, type Level } from 'pino';
import { LEASE_NAME, startController, StartupError } from '../controller/controller.js';
import { kubeConfigOrFail } from './kubeconfig-option.js';
import { parseDuration } from './duration.js';
import { untilStopped } from './until-stopped.js';
import { CliError, type CliIO } from './cli-error.js';
import { checkedRuleDirs, policySources, RULE_OPTIONS } from './rule-options.js';
import { loadStandardsOrFail } from './standards-option.js';

export const CONTROLLER_USAGE = `Usage: palisade controller [options]

Runs the background audit: replicas elect one active auditor through a Lease (--lease-name);
it audits every object the rules match, writes OpenReports reports (one per owning workload),
then watches the cluster and re-evaluates only what changes. Rule, configuration and Rule or
Exception resource changes trigger a full audit, and so does --resync.

Every replica serves plain HTTP (probes and metrics inside the pod network; no TLS):
  GET /healthz, /readyz, /metrics, /reports/rollout[?format=markdown|html|json]

Options:
  --kubeconfig FILE     the cluster (default: in a Pod its service account, else ~/.kube/config)
  --context NAME        kubeconfig context
  --namespace NS        namespace of the Lease (default palisade-system)
  --identity NAME       this replica's name in the Lease (default: host name and a random suffix)
  --lease-name NAME     the Lease the replicas elect the auditor with (default palisade-audit)
  --lease-duration S    seconds a leader's lease lasts without renewal (default 15)
  --config FILE         palisade.yaml: modes, overrides, exceptions (see docs/configuration.md)
  --rules DIR           add a folder of user rules (repeatable)
  --no-builtin          leave the built-in rules out
  --disable ID          disable a rule id or category (repeatable)
  --rules-release VER   pin the rule set to a release: rules added after it run in dry-run
  --pod-template G/Kind=path
                        give another kind the podSpec view (repeatable)
  --resync DURATION     full audit this often besides changes, e.g. 10m, 1h, 90s (default 10m)
  --port N              HTTP port (default 8080)
  --host ADDR           HTTP address (default 0.0.0.0)
  --team-label LABEL    owner label naming the team, copied onto reports (e.g. team)
  --log-level LEVEL     fatal | error | warn | info | debug | trace (default info)
`;

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'];
const NAMESPACE_NAME = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const LABEL_KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
export async function controllerCommand(args: string[], io: CliIO, signals: NodeJS.Process = process): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      ...RULE_OPTIONS,
      kubeconfig: { type: 'string' },
      context: { type: 'string' },
      namespace: { type: 'string', default: 'palisade-system' },
      identity: { type: 'string' },
      'lease-name': { type: 'string' },
      'lease-duration': { type: 'string' },
      config: { type: 'string' },
      resync: { type: 'string', default: '10m' },
      port: { type: 'string', default: '8080' },
      host: { type: 'string', default: '0.0.0.0' },
      'team-label': { type: 'string' },
      'log-level': { type: 'string', default: 'info' },
    },
  });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new CliError(`--port "${values.port}": expected a port number`);
  const level = values['log-level'] ?? 'info';
  if (!LEVELS.includes(level)) throw new CliError(`--log-level "${level}": expected one of ${LEVELS.join(', ')}`);
  const namespace = values.namespace ?? 'palisade-system';
  if (!NAMESPACE_NAME.test(namespace)) throw new CliError(`--namespace "${namespace}": not a namespace name`);
  const resyncMs = parseDuration(values.resync ?? '10m');
  if (resyncMs === undefined || resyncMs < 10_000) throw new CliError(`--resync "${values.resync}": expected a duration of at least 10s, such as 10m or 1h`);
  const leaseDuration = values['lease-duration'] === undefined ? undefined : Number(values['lease-duration']);
  if (leaseDuration !== undefined && (!Number.isInteger(leaseDuration) || leaseDuration < 2)) throw new CliError(`--lease-duration "${values['lease-duration']}": expected whole seconds, at least 2`);
  const teamLabel = values['team-label'];
  if (teamLabel !== undefined && (!LABEL_KEY.test(teamLabel) || teamLabel.length > 317)) throw new CliError(`--team-label "${teamLabel}": not a label key`);
  const identity = values.identity ?? `${hostname()}_${randomUUID().slice(0, 8)}`;
  const dirs = checkedRuleDirs(values);

  const kc = kubeConfigOrFail(values);
  const standards = await loadStandardsOrFail();

  const log = pino({ level: level as Level, base: { service: 'palisade-controller' } }, pino.destination({ dest: 1, sync: false }));
  let controller;
  try {
    controller = await startController({
      kc,
      namespace,
      identity,
      ...(values['lease-name'] ? { leaseName: values['lease-name'] } : {}),
      ...(leaseDuration !== undefined ? { leaseDurationSeconds: leaseDuration } : {}),
      sources: {
        ...policySources(values, dirs),
      },
      standards,
      resyncMs,
      host: values.host ?? '0.0.0.0',
      port,
      ...(teamLabel ? { teamLabel } : {}),
      log,
    });
  } catch (error) {
    if (error instanceof StartupError) throw new CliError(error.message);
    throw error;
  }
  io.stderr(`palisade: controller serving on ${controller.url} as ${identity} (lease ${namespace}/${values['lease-name'] ?? LEASE_NAME}, resync every ${values.resync ?? '10m'})\n`);
  const running = controller;
  await untilStopped(signals, log, 'stopping the audit and releasing the lease', () => running.close());
  return 0;
}
