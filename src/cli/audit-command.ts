/**
 * `palisade audit`: one audit of a live cluster with the rules and configuration `palisade serve`
 * would load (files, plus the cluster's own Rule and Exception resources), then a summary or the
 * AuditResult as JSON. Progress goes to stderr: one updating line on a terminal, a plain line every
 * few seconds otherwise. Exit 0 when no finding would be denied (enforce mode, not excepted), 1
 * when one would, 2 on usage, configuration or cluster-access errors.
 */
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { AuditError, runAudit, type AuditProgress } from '../audit/audit.js';
import { readClusterPolicy } from '../audit/cluster-policy.js';
import { Discovery } from '../audit/discovery.js';
import { kubeApiFor } from '../audit/kube-api.js';
import { renderAuditSummary } from '../audit/summary.js';
import type { AuditResult } from '../audit/types.js';
import { kubeConfigOrFail } from './kubeconfig-option.js';
import { FileProblemsError } from '../rules/problems.js';
import { loadPolicy } from '../server/load-policy.js';
import { buildReports } from '../reports/openreports.js';
import { listNamespaceNames } from '../kube/report-inputs.js';
import { rollout } from './report-command.js';
import { CliError, EXIT_DENIED, EXIT_OK, type CliIO } from './cli-error.js';
import { checkedRuleDirs, policySources, RULE_OPTIONS } from './rule-options.js';

export const AUDIT_USAGE = `Usage: palisade audit [options]

Audits what already runs in a cluster: every object of every kind the rules match (custom
resources included), evaluated as at admission, decided with the configuration's modes and
exceptions, and reported by owner (a Deployment stands for its ReplicaSets and Pods).
Rules and configuration load as for palisade serve, including the cluster's Palisade Rule and
Exception resources when its CRDs are installed.

Options:
  --kubeconfig FILE     the cluster (default: in a Pod its service account, else ~/.kube/config)
  --context NAME        kubeconfig context
  --namespace NS        audit one namespace (cluster-scoped kinds are left out)
  --config FILE         palisade.yaml: modes, overrides, exceptions (see docs/configuration.md)
  --rules DIR           add a folder of user rules (repeatable)
  --no-builtin          leave the built-in rules out
  --disable ID          disable a rule id or category (repeatable)
  --rules-release VER   pin the rule set to a release: rules added after it run in dry-run
  --pod-template G/Kind=path
                        give another kind the podSpec view (repeatable)
  --include-excluded-namespaces
                        also evaluate the namespaces the configuration excludes (kube-system...)
  --format FORMAT       table | json (default: table; json prints the AuditResult)
  --rollout FORMAT      instead, the rollout report: what enforce would block, by rule and owner,
                        and the rules safe to enforce now: markdown | html | json
  --team-label LABEL    with --rollout: the workload label that names the owning team
  --output FILE         write the report to FILE instead of stdout
  --color / --no-color  force colour on or off (default: on for a terminal)
  --exit-zero           report only: exit 0 even when something would be denied

Exit codes: 0 no finding would be denied, 1 a finding in enforce mode would be denied,
2 usage, configuration or cluster-access error.
`;

const FORMATS = ['table', 'json'] as const;
/** A DNS label, as namespace names are. */
const NAMESPACE_NAME = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
/** Plain progress lines (not a terminal) at most this often. */
const PLAIN_PROGRESS_MS = 5_000;
/** Terminal progress redrawn at most this often. */
const TTY_PROGRESS_MS = 100;

export interface AuditCommandOptions {
  /** Stops the audit (the CLI's caller may wire SIGINT to it). */
  signal?: AbortSignal;
}

export async function auditCommand(args: string[], io: CliIO, options: AuditCommandOptions = {}): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      ...RULE_OPTIONS,
      kubeconfig: { type: 'string' },
      context: { type: 'string' },
      namespace: { type: 'string' },
      config: { type: 'string' },
      'include-excluded-namespaces': { type: 'boolean' },
      format: { type: 'string', default: 'table' },
      rollout: { type: 'string' },
      'team-label': { type: 'string' },
      output: { type: 'string' },
      color: { type: 'boolean' },
      'no-color': { type: 'boolean' },
      'exit-zero': { type: 'boolean' },
    },
  });
  const format = values.format ?? 'table';
  if (values.rollout !== undefined && !['markdown', 'html', 'json'].includes(values.rollout)) throw new CliError(`unknown --rollout format "${values.rollout}"; use markdown, html or json`);
  if (!(FORMATS as readonly string[]).includes(format)) throw new CliError(`unknown --format "${format}"; use one of: ${FORMATS.join(', ')}`);
  const namespace = values.namespace;
  if (namespace !== undefined && !NAMESPACE_NAME.test(namespace)) throw new CliError(`--namespace "${namespace}": not a namespace name`);
  const dirs = checkedRuleDirs(values);

  const kc = kubeConfigOrFail(values);
  const server = kc.getCurrentCluster()?.server ?? '';
  const api = kubeApiFor(kc);
  const signal = options.signal;
  let discovery: Discovery;
  try {
    discovery = await Discovery.load(api, signal);
  } catch (error) {
    throw new CliError(`cannot reach the cluster at ${server}: ${(error as Error).message}`);
  }

  let clusterPolicy;
  try {
    clusterPolicy = await readClusterPolicy(api, discovery, signal);
  } catch (error) {
    throw new CliError(`cannot read Palisade's Rule and Exception resources: ${(error as Error).message}`);
  }
  const load = await loadPolicy({
    ...policySources(values, dirs),
    cluster: clusterPolicy,
  }, io.now());
  if (!('ruleSet' in load)) throw new CliError(new FileProblemsError('rules or configuration rejected', load.problems).message);
  for (const skipped of load.skipped) io.stderr(`palisade audit: left out: ${skipped}\n`);
  if (load.ruleSet.rules.length === 0) throw new CliError('no rules selected: check --disable and the configuration');

  const progress = progressReporter(io);
  let result: AuditResult;
  try {
    result = await runAudit({
      api,
      discovery,
      ruleSet: load.ruleSet,
      config: load.config,
      now: io.now,
      ...(namespace !== undefined ? { namespace } : {}),
      ...(values['include-excluded-namespaces'] ? { includeExcludedNamespaces: true } : {}),
      ...(load.images ? { images: load.images } : {}),
      onProgress: progress.update,
      ...(signal ? { signal } : {}),
    });
  } catch (error) {
    if (error instanceof AuditError) throw new CliError(error.message);
    if (signal?.aborted) throw new CliError('audit stopped');
    throw new CliError(`the audit failed: ${(error as Error).message}`);
  } finally {
    progress.done();
  }

  const color = values['no-color'] ? false : (values.color ?? (io.isTTY && !values.output && !io.env['NO_COLOR']));
  const rolloutFormat = values.rollout;
  const text = rolloutFormat !== undefined
    ? rollout(buildReports(result, { now: io.now() }), load, await listNamespaceNames(kc), values['team-label'], rolloutFormat, io.now())
    : format === 'json' ? `${JSON.stringify(result, null, 2)}\n` : renderAuditSummary(result, { color });
  if (values.output) await writeFile(values.output, text);
  else io.stdout(text);

  const denied = result.entries.some((entry) => entry.findings.some((f) => f.denies));
  return denied && !values['exit-zero'] ? EXIT_DENIED : EXIT_OK;
}

/**
 * Progress on stderr. On a terminal one line, redrawn in place; otherwise (CI logs, pipes) the
 * first event and then a plain line at most every few seconds, and a last line with the totals,
 * so logs stay short however many kinds there are.
 */
function progressReporter(io: CliIO): { update: (p: AuditProgress) => void; done: () => void } {
  let last: number | undefined;
  let kind = '';
  let kinds = 0;
  let objects = 0;
  let before = 0;
  let drawn = false;
  return {
    update(p) {
      if (p.kind !== kind) {
        before = objects;
        kind = p.kind;
        kinds++;
      }
      objects = before + p.listed;
      const now = io.now().getTime();
      if (last !== undefined && now - last < (io.isTTY ? TTY_PROGRESS_MS : PLAIN_PROGRESS_MS)) return;
      last = now;
      const of = p.total !== undefined && p.total > p.listed ? ` of ~${p.total}` : '';
      const line = `palisade audit: ${kind}: ${p.listed}${of} read (${objects} objects so far)`;
      if (io.isTTY) {
        io.stderr(`\r\u001b[K${line}`);
        drawn = true;
      } else io.stderr(`${line}\n`);
    },
    done() {
      if (drawn) io.stderr('\r\u001b[K');
      else if (kinds > 0) io.stderr(`palisade audit: read ${objects} objects of ${kinds} kinds\n`);
    },
  };
}
