/**
 * `palisade report`: renders what the background audit stored in the cluster (OpenReports Reports
 * and ClusterReports), so anyone with read access gets the same answer as every replica, without
 * auditing again.
 *
 * - `rollout`: which workloads switching rules to enforce would block, what is safe to enforce now
 *   (docs/reports.md#the-rollout-report), as Markdown, HTML or JSON.
 * - `compliance`: the score per standard, overall and per namespace, as JSON or Markdown.
 * - `convert --to policyreport`: Report YAML/JSON (a file or stdin) to wgpolicyk8s.io PolicyReports.
 *
 * Rules and configuration load as for `palisade serve` (files, and the cluster's Rule resources),
 * because the rollout report reads each rule's title, severity, remediation and configured mode.
 */
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { kubeConfigOrFail } from './kubeconfig-option.js';
import { readPalisadeResources, listNamespaceNames } from '../kube/report-inputs.js';
import { KubeRequestError, readStoredReports } from '../kube/report-store.js';
import { auditResultFromReports, evaluatedByKind } from '../kube/stored-audit.js';
import { cell, escapeMarkdown } from '../report/markdown-text.js';
import { complianceSummary, renderComplianceJson, type ComplianceSummary } from '../reports/compliance.js';
import { toPolicyReport } from '../reports/policyreport.js';
import { readReport } from '../reports/read-report.js';
import { buildRolloutReport, renderRolloutJson } from '../reports/rollout.js';
import { renderRolloutHtml } from '../reports/rollout-html.js';
import { renderRolloutMarkdown } from '../reports/rollout-markdown.js';
import type { Report } from '../reports/types.js';
import { FileProblemsError } from '../rules/problems.js';
import { readManifestInputs } from '../scan/manifests.js';
import type { Standard } from '../standards/types.js';
import { loadPolicy, type LoadedPolicy } from '../server/load-policy.js';
import { CliError, EXIT_OK, type CliIO } from './cli-error.js';
import { checkedRuleDirs, policySources, RULE_OPTIONS } from './rule-options.js';
import { loadStandardsOrFail } from './standards-option.js';

export const REPORT_USAGE = `Usage: palisade report <rollout|compliance|convert> [options]

Renders the audit reports Palisade stored in the cluster (openreports.io Reports and
ClusterReports), so every replica and every user sees the same answer.

  rollout       what switching rules to enforce would block; rules safe to enforce now, with the
                configuration change; namespaces ready for enforce, with the kubectl command
  compliance    the share of each standard's controls passed, overall and per namespace
  convert --to policyreport [FILE|-]
                convert Report YAML/JSON (e.g. kubectl get reports -A -o yaml) to
                wgpolicyk8s.io/v1alpha2 PolicyReports, for tooling that predates OpenReports

Options (rollout, compliance):
  --kubeconfig FILE     the cluster (default: in a Pod its service account, else ~/.kube/config)
  --context NAME        kubeconfig context
  --namespace NS        one namespace's reports only (cluster-scoped reports are left out)
  --config FILE         palisade.yaml, as given to palisade serve: modes, exclusions, onError
  --rules DIR           add a folder of user rules (repeatable)
  --no-builtin          leave the built-in rules out
  --disable ID          disable a rule id or category (repeatable)
  --rules-release VER   pin the rule set to a release: rules added after it run in dry-run
  --pod-template G/Kind=path
                        give another kind the podSpec view (repeatable)
  --team-label LABEL    rollout: the owner label naming the team (copied onto reports), e.g. team
  --format FORMAT       rollout: markdown | html | json; compliance: markdown | json
                        (default: markdown)
  --output FILE         write to FILE instead of stdout

Options (convert):
  --to policyreport     the target format (required)
  --format FORMAT       yaml | json (default: yaml; json prints one object, or a List of several)
  --output FILE         write to FILE instead of stdout

Exit codes: 0 rendered, 2 usage, configuration, input or cluster-access error.
`;

const SUBCOMMANDS = ['rollout', 'compliance', 'convert'] as const;
type Subcommand = (typeof SUBCOMMANDS)[number];
const FORMATS: Record<Subcommand, readonly string[]> = {
  rollout: ['markdown', 'html', 'json'],
  compliance: ['markdown', 'json'],
  convert: ['yaml', 'json'],
};
/** A DNS label, as namespace names are. */
const NAMESPACE_NAME = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
/** A label key: optional DNS-subdomain prefix, then a name of at most 63 characters. */
const LABEL_KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;

export async function reportCommand(args: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      ...RULE_OPTIONS,
      kubeconfig: { type: 'string' },
      context: { type: 'string' },
      namespace: { type: 'string' },
      config: { type: 'string' },
      'team-label': { type: 'string' },
      format: { type: 'string' },
      output: { type: 'string' },
      to: { type: 'string' },
    },
  });
  const [sub, ...inputs] = positionals;
  if (sub === undefined || !(SUBCOMMANDS as readonly string[]).includes(sub)) {
    throw new CliError(`${sub ? `unknown subcommand "${sub}"` : 'missing subcommand'}\n\n${REPORT_USAGE}`);
  }
  const subcommand = sub as Subcommand;
  const format = values.format ?? (subcommand === 'convert' ? 'yaml' : 'markdown');
  if (!FORMATS[subcommand].includes(format)) {
    throw new CliError(`report ${subcommand}: unknown --format "${format}"; use one of: ${FORMATS[subcommand].join(', ')}`);
  }

  let text: string;
  if (subcommand === 'convert') {
    for (const option of ['kubeconfig', 'context', 'namespace', 'config', 'team-label'] as const) {
      if (values[option] !== undefined) throw new CliError(`report convert: --${option} does not apply; convert reads files, not the cluster`);
    }
    if (values.to !== 'policyreport') throw new CliError(`report convert: --to policyreport is required${values.to ? ` ("${values.to}" is not a known target)` : ''}`);
    text = await convert(inputs.length > 0 ? inputs : ['-'], format, io);
  } else {
    if (inputs.length > 0) throw new CliError(`report ${subcommand}: unexpected argument "${inputs[0]}"`);
    if (values.to !== undefined) throw new CliError(`report ${subcommand}: --to applies to convert only`);
    const namespace = values.namespace;
    if (namespace !== undefined && !NAMESPACE_NAME.test(namespace)) throw new CliError(`--namespace "${namespace}": not a namespace name`);
    const teamLabel = values['team-label'];
    if (teamLabel !== undefined && (!LABEL_KEY.test(teamLabel) || teamLabel.length > 317)) throw new CliError(`--team-label "${teamLabel}": not a label key`);
    if (teamLabel !== undefined && subcommand !== 'rollout') throw new CliError('--team-label applies to report rollout only');
    const dirs = checkedRuleDirs(values);

    const kc = kubeConfigOrFail(values);
    const server = kc.getCurrentCluster()?.server ?? '';
    const clusterError = (what: string, error: unknown): CliError => {
      if (error instanceof KubeRequestError && error.status === 0) return new CliError(`cannot reach the cluster at ${server}: ${error.message}`);
      return new CliError(`${what}: ${(error as Error).message}`);
    };
    let resources;
    try {
      resources = await readPalisadeResources(kc);
    } catch (error) {
      throw clusterError("cannot read Palisade's Rule and Exception resources", error);
    }
    const load = await loadPolicy({
      ...policySources(values, dirs),
      cluster: resources,
      // Reports are read, not evaluated: no image is verified here.
      withoutImages: true,
    }, io.now());
    if (!('ruleSet' in load)) throw new CliError(new FileProblemsError('rules or configuration rejected', load.problems).message);
    for (const skipped of load.skipped) io.stderr(`palisade report: left out: ${skipped}\n`);

    let reports: Report[];
    try {
      reports = await readStoredReports(kc, namespace !== undefined ? { namespace } : {});
    } catch (error) {
      if (error instanceof KubeRequestError && error.status === 404) {
        throw new CliError('the cluster has no OpenReports CRDs (reports.openreports.io): no audit has stored reports there yet');
      }
      throw clusterError('cannot read the stored reports', error);
    }
    if (subcommand === 'rollout') {
      let namespaces: string[];
      try {
        namespaces = namespace !== undefined ? [namespace] : await listNamespaceNames(kc);
      } catch (error) {
        throw clusterError('cannot list the namespaces', error);
      }
      text = rollout(reports, load, namespaces, teamLabel, format, io.now());
    } else {
      text = compliance(reports, load, await loadStandardsOrFail(), namespace, format, io.now());
    }
  }

  if (values.output) await writeFile(values.output, text);
  else io.stdout(text);
  return EXIT_OK;
}

/** The rollout report in a format, from reports stored in the cluster or built by `palisade audit`. */
export function rollout(reports: Report[], load: LoadedPolicy, namespaces: string[], teamLabel: string | undefined, format: string, now: Date): string {
  const report = buildRolloutReport({
    reports,
    rules: load.ruleSet.rules.map((r) => r.meta),
    config: load.config.policy,
    now,
    namespaces,
    ...(teamLabel !== undefined ? { teamLabel } : {}),
  });
  if (format === 'json') return renderRolloutJson(report);
  if (format === 'html') return renderRolloutHtml(report);
  return renderRolloutMarkdown(report);
}

function compliance(reports: Report[], load: LoadedPolicy, standards: readonly Standard[], namespace: string | undefined, format: string, now: Date): string {
  const rules = load.ruleSet.rules.map((r) => r.meta);
  const audit = auditResultFromReports(reports, {
    rules,
    evaluatedFor: evaluatedByKind(load.ruleSet),
    now,
    ...(namespace !== undefined ? { namespace } : {}),
  });
  const summary = complianceSummary(audit, standards, rules);
  return format === 'json' ? renderComplianceJson(summary) : renderComplianceMarkdown(summary);
}

function row(cells: readonly string[]): string {
  return `| ${cells.map(cell).join(' | ')} |`;
}

/** Two tables: each standard overall, then each namespace's scores. Names come from the cluster: escaped. */
function renderComplianceMarkdown(summary: ComplianceSummary): string {
  const lines = [`## Compliance`, '', `From the reports stored in the cluster, ${escapeMarkdown(summary.generatedAt)}.`, ''];
  if (summary.standards.length === 0) {
    lines.push('No standard has a control in scope: no stored report names a rule mapped to one.', '');
    return `${lines.join('\n')}`;
  }
  lines.push(row(['Standard', 'Score', 'Controls passed', 'Failed controls']), '| --- | ---: | ---: | --- |');
  for (const s of summary.standards) {
    lines.push(row([`${escapeMarkdown(s.title)} (${escapeMarkdown(s.version)})`, `${s.score}%`, `${s.passed}/${s.controls}`, escapeMarkdown(s.failed.join(', ')) || '—']));
  }
  if (summary.namespaces.length > 0) {
    lines.push('', '### By namespace', '', row(['Namespace', 'Standard', 'Score', 'Controls passed', 'Failed controls']), '| --- | --- | ---: | ---: | --- |');
    for (const ns of summary.namespaces) {
      for (const s of ns.standards) {
        lines.push(row([escapeMarkdown(ns.namespace), escapeMarkdown(s.standard), `${s.score}%`, `${s.passed}/${s.controls}`, escapeMarkdown(s.failed.join(', ')) || '—']));
      }
    }
  }
  return `${lines.join('\n')}\n`;
}

async function convert(inputs: string[], format: string, io: CliIO): Promise<string> {
  const read = await readManifestInputs(inputs, io.readStdin);
  if (read.problems.length > 0) {
    throw new CliError(read.problems.map((p) => `${p.file}${p.line !== undefined ? `:${p.line}` : ''}: ${p.message}`).join('\n'));
  }
  const converted = read.manifests.map((manifest) => {
    const report = readReport(manifest.object);
    if (!report) {
      throw new CliError(`${manifest.file}:${manifest.line}: not an openreports.io/v1alpha1 Report or ClusterReport (${String(manifest.object.kind)})`);
    }
    return toPolicyReport(report);
  });
  if (converted.length === 0) throw new CliError('no reports in the input');
  if (format === 'json') {
    const value = converted.length === 1 ? converted[0] : { apiVersion: 'v1', kind: 'List', items: converted };
    return `${JSON.stringify(value, null, 2)}\n`;
  }
  return converted.map((r) => stringify(r, { lineWidth: 0 })).join('---\n');
}
