/**
 * `palisade scan [PATH...|-]`: the rules over manifests, for CI. Exit 0 when nothing would be
 * denied, 1 when something would, 2 on usage, configuration or input errors.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { loadConfigFile } from '../config/load.js';
import type { RuleSet } from '../engine/rule-set.js';
import type { ImageStatus, KubeObject } from '../engine/types.js';
import { verifierFromConfig } from '../images/from-config.js';
import { imagesOf, statusesOfAll } from '../images/object-images.js';
import { defaultPolicyConfig } from '../policy/defaults.js';
import { parseExceptions } from '../policy/exception-file.js';
import type { PolicyConfig, PolicyException } from '../policy/types.js';
import { isReportFormat, REPORT_FORMATS, renderReport } from '../report/format.js';
import { FileProblemsError, type FileProblem } from '../rules/problems.js';
import { SEVERITIES, type Severity } from '../rules/types.js';
import { readManifestInputs } from '../scan/manifests.js';
import { scanManifests } from '../scan/scan.js';
import { CliError, EXIT_DENIED, EXIT_OK, EXIT_USAGE, type CliIO } from './cli-error.js';
import { loadRulesOrFail, RULE_OPTIONS } from './rule-options.js';
import { loadStandardsOrFail } from './standards-option.js';
import { packageVersion } from './version.js';

export const SCAN_USAGE = `Usage: palisade scan [options] [PATH...|-]

Scans Kubernetes manifests (files, folders, or - for stdin; YAML or JSON, multi-document,
kind: List, helm template and kustomize build output) with Palisade's rules.

Options:
  --rules DIR           add a folder of user rules (repeatable)
  --no-builtin          leave the built-in rules out
  --disable ID          disable a rule id or a whole category (repeatable)
  --rules-release VER   pin the rule set to a Palisade release: rules added after it run in
                        dry-run, so an upgrade never starts denying without consent
  --pod-template G/Kind=path
                        give another kind the podSpec view, e.g.
                        argoproj.io/Rollout=spec.template.spec (repeatable)
  --exceptions FILE     exceptions (kind: Exception) to honour (repeatable)
  --verify-images FILE  resolve and verify every image with the \`images\` section of this
                        configuration file (trusted keys, deny list, registries): contacts the
                        registries; without it, require-signed-images reports every image
  --standard ID         only rules mapped to this standard (e.g. pss-restricted, cis-kubernetes)
  --severity MIN        only rules at or above: ${SEVERITIES.join(', ')}
  --enforce             count every selected rule as enforce for the exit code
  --format FORMAT       ${REPORT_FORMATS.join(' | ')} (default: table)
  --output FILE         write the report to FILE instead of stdout
  --color / --no-color  force colour on or off (default: on for a terminal)
  --exit-zero           report only: exit 0 even when something would be denied

Exit codes: 0 nothing would be denied, 1 something would be denied, 2 usage or input error.
`;

export async function scanCommand(args: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      ...RULE_OPTIONS,
      exceptions: { type: 'string', multiple: true },
      'verify-images': { type: 'string' },
      standard: { type: 'string' },
      severity: { type: 'string' },
      enforce: { type: 'boolean' },
      format: { type: 'string', default: 'table' },
      output: { type: 'string' },
      color: { type: 'boolean' },
      'no-color': { type: 'boolean' },
      'exit-zero': { type: 'boolean' },
    },
  });
  const format = values.format ?? 'table';
  if (!isReportFormat(format)) throw new CliError(`unknown --format "${format}"; use one of: ${REPORT_FORMATS.join(', ')}`);
  const severity = values.severity;
  if (severity !== undefined && !(SEVERITIES as readonly string[]).includes(severity)) {
    throw new CliError(`unknown --severity "${severity}"; use one of: ${SEVERITIES.join(', ')}`);
  }
  if (positionals.length === 0) throw new CliError(`nothing to scan: give a file, a folder or - for stdin\n\n${SCAN_USAGE}`);

  const ruleSet = await loadRulesOrFail(values, {
    ...(values.standard ? { standard: values.standard } : {}),
    ...(severity ? { minSeverity: severity as Severity } : {}),
  });
  if (ruleSet.rules.length === 0) throw new CliError('no rules selected: check --standard, --severity and --disable');
  const config = defaultPolicyConfig({ exceptions: await readExceptionFiles(values.exceptions ?? []) });
  if (values.enforce) enforceAll(config, ruleSet.rules.map((r) => r.meta.id));

  const read = await readManifestInputs(positionals, io.readStdin);
  const images = values['verify-images'] ? await verifyImages(values['verify-images'], read.manifests.map((m) => m.object), ruleSet) : undefined;
  const standards = await loadStandardsOrFail();
  const report = scanManifests({ ...read, ruleSet, config, now: io.now(), version: packageVersion(), standards, ...(images ? { images } : {}) });
  const color = values['no-color'] ? false : (values.color ?? (io.isTTY && !values.output && !io.env['NO_COLOR']));
  const text = renderReport(report, format, { color });
  if (values.output) await writeFile(values.output, text.endsWith('\n') ? text : `${text}\n`);
  else io.stdout(text.endsWith('\n') ? text : `${text}\n`);

  if (report.problems.length > 0) return EXIT_USAGE;
  if (report.summary.denied > 0 && !values['exit-zero']) return EXIT_DENIED;
  return EXIT_OK;
}

/** Every object's image statuses, from the verifier the configuration's `images` section sets up. */
async function verifyImages(configFile: string, objects: readonly KubeObject[], ruleSet: RuleSet): Promise<Map<KubeObject, Record<string, ImageStatus>>> {
  const load = await loadConfigFile(configFile);
  if (!load.config) throw new CliError(new FileProblemsError('configuration rejected', load.problems).message);
  if (!load.config.images) throw new CliError(`--verify-images: ${configFile} has no images section`);
  const setup = await verifierFromConfig(load.config.images);
  if (!setup.verifier) throw new CliError(new FileProblemsError('image verification not set up', setup.problems).message);
  // Each image once, however many manifests run it.
  const imagesByObject = objects.map((object) => imagesOf(object, ruleSet));
  const statuses = await statusesOfAll(setup.verifier, imagesByObject.flat(), setup.timeoutMs);
  const out = new Map<KubeObject, Record<string, ImageStatus>>();
  objects.forEach((object, i) => {
    const images = imagesByObject[i] ?? [];
    if (images.length > 0) out.set(object, Object.fromEntries(images.map((image) => [image, statuses[image] as ImageStatus])));
  });
  return out;
}

async function readExceptionFiles(files: readonly string[]): Promise<PolicyException[]> {
  const exceptions: PolicyException[] = [];
  const problems: FileProblem[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      throw new CliError(`cannot read exceptions file ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
    }
    const parsed = parseExceptions(text, file);
    exceptions.push(...parsed.exceptions);
    problems.push(...parsed.problems);
  }
  if (problems.length > 0) throw new CliError(new FileProblemsError('exceptions rejected', problems).message);
  return exceptions;
}

function enforceAll(config: PolicyConfig, ids: readonly string[]): void {
  for (const id of ids) config.rules[id] = { ...config.rules[id], mode: 'enforce' };
}
