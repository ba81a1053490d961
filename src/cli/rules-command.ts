/**
 * `palisade rules list|lint|explain ID`: what rules there are, whether they load, and what one
 * of them checks and why.
 */
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { buildRuleSet } from '../engine/rule-set.js';
import { loadRuleDirs } from '../rules/loader.js';
import { FileProblemsError } from '../rules/problems.js';
import type { RuleDocument } from '../rules/types.js';
import { coverageOf } from '../standards/coverage.js';
import { CliError, EXIT_OK, EXIT_USAGE, type CliIO } from './cli-error.js';
import { renderRulesDoc } from './rules-doc.js';
import { loadStandardsOrFail } from './standards-option.js';
import { RULE_OPTIONS, ruleDirs, type RuleOptionValues } from './rule-options.js';

export const RULES_USAGE = `Usage: palisade rules <list|lint|explain ID> [options]

  list [--standard ID] [--format table|json]   rules with severity, mode, class and standards
  lint [DIR...]                                 load and compile the rules (and DIRs); exit 2 on any error
  explain ID                                    the rule, its rationale, remediation and a failing example
  docs                                          the rules as Markdown (docs/rules.md is generated so)

Options (all subcommands):
  --rules DIR     add a folder of user rules (repeatable)
  --no-builtin    leave the built-in rules out
  --disable ID    disable a rule id or category (repeatable)
`;

export async function rulesCommand(args: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { ...RULE_OPTIONS, standard: { type: 'string' }, format: { type: 'string', default: 'table' } },
  });
  const [sub, id, ...more] = positionals;
  if (!sub || !['list', 'lint', 'explain', 'docs'].includes(sub)) {
    throw new CliError(`${sub ? `unknown subcommand "${sub}"` : 'missing subcommand'}\n\n${RULES_USAGE}`);
  }
  // `rules lint DIR...` lints those folders too, like `palisade test DIR...`.
  const extraDirs = sub === 'lint' ? [id, ...more].filter((d): d is string => d !== undefined) : [];
  const documents = await loadDocuments({ ...values, rules: [...(values.rules ?? []), ...extraDirs] });
  switch (sub) {
    case 'list':
      if (values.standard) return listCoverage(documents, values.standard, values.format ?? 'table', io);
      return listRules(documents, undefined, values.format ?? 'table', io);
    case 'docs':
      io.stdout(renderRulesDoc(documents));
      return EXIT_OK;
    case 'lint':
      io.stdout(`${plural(documents.length, 'rule')} load${documents.length === 1 ? 's' : ''} and compile${documents.length === 1 ? 's' : ''}\n`);
      return EXIT_OK;
    case 'explain':
      if (!id) throw new CliError('explain needs a rule id');
      return explainRule(documents, id, io);
    default:
      throw new CliError(`unknown subcommand "${sub}"\n\n${RULES_USAGE}`);
  }
}

/** Loads and compiles (so lint and list agree on what is valid), keeping the documents. */
async function loadDocuments(values: RuleOptionValues): Promise<RuleDocument[]> {
  const load = await loadRuleDirs(ruleDirs(values));
  const disabled = new Set(values.disable ?? []);
  const kept = load.rules.filter((r) => !disabled.has(r.document.id) && !disabled.has(r.document.category));
  const built = buildRuleSet(kept);
  const problems = [...load.problems, ...built.problems];
  if (problems.length > 0) throw new CliError(new FileProblemsError('rules rejected', problems).message, EXIT_USAGE);
  return kept.map((r) => r.document);
}

function listRules(documents: RuleDocument[], standard: string | undefined, format: string, io: CliIO): number {
  const selected = standard ? documents.filter((d) => standard in d.standards) : documents;
  if (format === 'json') {
    const rows = selected.map((d) => ({
      id: d.id,
      title: d.title,
      severity: d.severity,
      mode: d.mode ?? 'default',
      class: d.ruleClass,
      category: d.category,
      standards: d.standards,
      version: d.version,
      since: d.since,
    }));
    io.stdout(`${JSON.stringify(rows, null, 2)}\n`);
    return EXIT_OK;
  }
  if (format !== 'table') throw new CliError(`unknown --format "${format}"; use table or json`);
  const rows = selected.map((d) => [
    d.id,
    d.severity,
    d.mode ?? 'default',
    d.ruleClass,
    Object.entries(d.standards)
      .map(([s, controls]) => `${s}:${controls.join('+')}`)
      .join(' '),
  ]);
  io.stdout(`${columns(['RULE', 'SEVERITY', 'MODE', 'CLASS', 'STANDARDS'], rows)}\n${plural(selected.length, 'rule')}\n`);
  return EXIT_OK;
}

/** `rules list --standard ID`: every control of the catalogue, its coverage and the rules behind it. */
async function listCoverage(documents: RuleDocument[], standardId: string, format: string, io: CliIO): Promise<number> {
  const standards = await loadStandardsOrFail();
  const standard = standards.find((s) => s.id === standardId);
  if (!standard) throw new CliError(`no standard "${standardId}"; known: ${standards.map((s) => s.id).join(', ')}`);
  const coverage = coverageOf(standard, documents);
  if (format === 'json') {
    const controls = coverage.map((c) => ({ ...c.control, rules: c.rules }));
    io.stdout(`${JSON.stringify({ standard: standard.id, title: standard.title, version: standard.version, controls }, null, 2)}\n`);
    return EXIT_OK;
  }
  if (format !== 'table') throw new CliError(`unknown --format "${format}"; use table or json`);
  const rows = coverage.map((c) => [
    c.control.id,
    c.control.coverage,
    c.rules.length > 0 ? c.rules.join(', ') : c.control.coverage === 'out-of-scope' ? `(${c.control.reason ?? ''})` : '(no rule loaded)',
  ]);
  const count = (what: string): number => coverage.filter((c) => c.control.coverage === what).length;
  const covered = coverage.filter((c) => c.control.coverage !== 'out-of-scope' && c.rules.length > 0).length;
  io.stdout(
    `${standard.title} ${standard.version}\n\n${columns(['CONTROL', 'COVERAGE', 'RULES'], rows)}\n\n` +
      `${plural(coverage.length, 'control')}: ${count('automated')} automated, ${count('context')} need cluster context, ` +
      `${count('out-of-scope')} out of scope; ${covered} covered by the loaded rules\n`,
  );
  return EXIT_OK;
}

function columns(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ');
  return [line(header), ...rows.map(line)].join('\n');
}

async function explainRule(documents: RuleDocument[], id: string, io: CliIO): Promise<number> {
  const doc = documents.find((d) => d.id === id);
  if (!doc) throw new CliError(`no rule "${id}"; see 'palisade rules list' (with the same --rules options)`);
  const standards = Object.entries(doc.standards).map(([s, c]) => `  ${s}: ${c.join(', ')}`);
  const parameters = doc.parameters.map((p) => `  ${p.name} = ${JSON.stringify(p.default)}${p.description ? `  (${p.description})` : ''}`);
  const scope = [
    ...(doc.match.namespaces.length > 0 ? [`  only namespaces: ${doc.match.namespaces.join(', ')}`] : []),
    ...(doc.match.excludeNamespaces.length > 0 ? [`  not in namespaces: ${doc.match.excludeNamespaces.join(', ')}`] : []),
    ...doc.matchConditions.map((c) => `  matchCondition ${c.name}: ${c.expression.trim()}`),
  ];
  const kinds = doc.match.resources.flatMap((r) => r.kinds).join(', ');
  const example = await firstFailingExample(doc);
  const text = [
    `${doc.id} — ${doc.title}`,
    '',
    `Severity: ${doc.severity}    Default mode: ${doc.mode ?? 'global default'}    Class: ${doc.ruleClass}`,
    `Applies to: ${kinds} (${doc.match.operations.join(', ')})`,
    `Version ${doc.version}${doc.since ? `, since ${doc.since}` : ''}    Source: ${doc.source.file}`,
    '',
    'Why:',
    indent(doc.description),
    '',
    'How to fix:',
    indent(doc.remediation),
    ...(scope.length > 0 ? ['', 'Only when:', ...scope] : []),
    ...(parameters.length > 0 ? ['', 'Parameters (defaults):', ...parameters] : []),
    ...(standards.length > 0 ? ['', 'Standards:', ...standards] : []),
    ...(doc.docs ? ['', `Docs: ${doc.docs}`] : []),
    ...(example ? ['', `Example that fails (${example.name}):`, indent(example.text.trimEnd())] : []),
  ];
  io.stdout(`${text.join('\n')}\n`);
  return EXIT_OK;
}

async function firstFailingExample(doc: RuleDocument): Promise<{ name: string; text: string } | undefined> {
  const dir = join(dirname(doc.source.file), 'fail');
  try {
    const names = (await readdir(dir)).filter((n) => /\.ya?ml$/.test(n)).sort();
    const name = names.find((n) => n.startsWith('pod')) ?? names[0];
    return name ? { name: `fail/${name}`, text: await readFile(join(dir, name), 'utf8') } : undefined;
  } catch {
    return undefined;
  }
}

function indent(text: string): string {
  return text
    .trim()
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n');
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}
