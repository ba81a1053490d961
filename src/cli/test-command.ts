/**
 * `palisade test [DIR...]`: runs every rule's pass/ and fail/ fixtures, built-in and user rules
 * alike, and checks the folder conventions: folder name = file name = metadata.name, fixtures on
 * both sides, and no orphan fixture.
 */
import { readdir } from 'node:fs/promises';
import { basename, dirname, join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { buildRuleSet } from '../engine/rule-set.js';
import { BUILTIN_RULES_DIR } from '../paths.js';
import { loadRuleDirs, ruleFileNames, type LoadedRule } from '../rules/loader.js';
import { FileProblemsError } from '../rules/problems.js';
import { CliError, EXIT_DENIED, EXIT_OK, EXIT_USAGE, type CliIO } from './cli-error.js';
import { runFixture, type Expectation, type FixtureCase } from './rule-fixtures.js';

export const TEST_USAGE = `Usage: palisade test [options] [DIR...]

Runs the pass/ and fail/ fixtures of every rule in the folders (default: the built-in rules).
A rule lives in <id>/<id>.yaml with metadata.name <id>, with fixtures in <id>/pass/ (no finding
expected) and <id>/fail/ (a finding expected on every object the rule applies to).

Options:
  --quiet     print failures and the summary only
`;

const ALLOWED_IN_RULE_FOLDER = new Set(['pass', 'fail', 'README.md']);

export async function testCommand(args: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { quiet: { type: 'boolean' } } });
  const dirs = positionals.length > 0 ? positionals : [BUILTIN_RULES_DIR];
  const load = await loadRuleDirs(dirs);
  const built = buildRuleSet(load.rules);
  const problems = [...load.problems, ...built.problems];
  if (problems.length > 0 || !built.ruleSet) {
    throw new CliError(new FileProblemsError('rules rejected', problems).message, EXIT_USAGE);
  }
  if (load.rules.length === 0) throw new CliError(`no rules found in ${dirs.join(', ')}`);
  const ruleSet = built.ruleSet;
  let passed = 0;
  let failed = 0;
  const report = (ok: boolean, text: string): void => {
    if (ok) passed++;
    else failed++;
    if (!ok || !values.quiet) io.stdout(`${ok ? 'ok  ' : 'FAIL'} ${text}\n`);
  };

  for (const loaded of load.rules) {
    const id = loaded.document.id;
    const rule = ruleSet.rules.find((r) => r.meta.id === id);
    if (!rule) continue;
    for (const problem of await structureProblems(loaded)) report(false, `${id}: ${problem}`);
    const folder = dirname(loaded.document.source.file);
    for (const expectation of ['pass', 'fail'] as const) {
      const files = await fixtureFiles(join(folder, expectation));
      if (files.length === 0) report(false, `${id}: no ${expectation}/ fixtures (every rule needs both pass/ and fail/)`);
      for (const file of files) {
        const result: FixtureCase = await runFixture(ruleSet, rule, file, expectation);
        report(result.ok, `${id} ${expectation}/${basename(file)}: ${result.detail}`);
      }
    }
  }
  for (const orphan of await orphanFixtures(dirs, load.rules)) report(false, `orphan fixture folder ${orphan}: no rule file beside it`);

  io.stdout(`${passed} passed, ${failed} failed\n`);
  return failed > 0 ? EXIT_DENIED : EXIT_OK;
}

async function structureProblems(loaded: LoadedRule): Promise<string[]> {
  const problems: string[] = [];
  const file = loaded.document.source.file;
  const { folder, stem } = ruleFileNames(file);
  const id = loaded.document.id;
  if (folder !== id || stem !== id) {
    problems.push(`folder "${folder}", file "${basename(file)}" and metadata.name "${id}" must all be the rule id`);
  }
  const entries = await readdir(dirname(file), { withFileTypes: true });
  for (const entry of entries) {
    if (entry.name === basename(file) || ALLOWED_IN_RULE_FOLDER.has(entry.name)) continue;
    problems.push(`unexpected ${entry.isDirectory() ? 'folder' : 'file'} "${entry.name}" beside the rule (fixtures go in pass/ or fail/)`);
  }
  return problems;
}

async function fixtureFiles(dir: string): Promise<string[]> {
  try {
    const entries = await readdir(dir, { withFileTypes: true });
    return entries
      .filter((e) => e.isFile() && /\.(ya?ml|json)$/.test(e.name))
      .map((e) => join(dir, e.name))
      .sort();
  } catch {
    return [];
  }
}

/** pass/ or fail/ folders whose parent folder holds no rule. */
async function orphanFixtures(dirs: readonly string[], rules: readonly LoadedRule[]): Promise<string[]> {
  const ruleFolders = new Set(rules.map((r) => dirname(r.document.source.file)).map((d) => relative('.', d)));
  const orphans: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
      const full = join(dir, entry.name);
      if (entry.name === 'pass' || entry.name === 'fail') {
        if (!ruleFolders.has(relative('.', dir))) orphans.push(full);
      } else {
        await walk(full);
      }
    }
  };
  for (const dir of dirs) await walk(dir);
  return orphans;
}
