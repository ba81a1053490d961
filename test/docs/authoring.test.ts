/**
 * docs/authoring.md shows rule files, fixtures and `palisade` runs with their output. This test
 * writes every file the guide shows into a temporary folder and runs every command, in the
 * guide's order, with the real built CLI (dist/cli/bin.js; `npm test` builds it first), then
 * checks the exit code and the output. An example the test cannot run fails the test.
 */
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { extractExamples, MalformedGuideError, outputMatches, trimLines, type Example } from './doc-examples.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const GUIDE = join(ROOT, 'docs', 'authoring.md');
const BIN = join(ROOT, 'dist', 'cli', 'bin.js');
const MALFORMED = join(ROOT, 'test', 'fixtures', 'authoring');

/** The CLI as a user's terminal would run it, minus colour and whatever tap sets for itself. */
function cliEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  for (const name of ['NODE_OPTIONS', 'NODE_V8_COVERAGE', 'FORCE_COLOR']) delete env[name];
  return env;
}

/** Files and folders below `dir`, relative, folders with a trailing slash, sorted. */
async function listTree(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) {
      out.push(`${prefix}${entry.name}/`);
      out.push(...(await listTree(join(dir, entry.name), `${prefix}${entry.name}/`)));
    } else {
      out.push(`${prefix}${entry.name}`);
    }
  }
  return out.sort();
}

t.test('malformed guides are refused, naming the line', async (t) => {
  const cases: Record<string, RegExp> = {
    'unmarked-block.md': /unmarked-block\.md:5: fenced code block has no .*marker/,
    'marker-without-block.md': /marker-without-block\.md:3: <!-- file: --> is not followed by a fenced code block/,
    'marker-at-end.md': /marker-at-end\.md:5: <!-- run: --> is not followed by a fenced code block/,
    'bad-exit.md': /bad-exit\.md:3: run marker must read <!-- run: exit=N -->/,
    'bad-marker.md': /bad-marker\.md:3: cannot read the marker/,
    'run-not-console.md': /run-not-console\.md:3: a run example must be a ```console block/,
    'run-not-palisade.md': /run-not-palisade\.md:3: the first line of a run example must be "\$ palisade \.\.\."/,
    'run-shell-syntax.md': /run-shell-syntax\.md:3: .* uses shell syntax/,
    'run-two-commands.md': /run-two-commands\.md:3: a run example holds one command/,
    'unclosed-fence.md': /unclosed-fence\.md:4: code fence is never closed/,
    'file-outside.md': /file-outside\.md:3: file path "\.\.\/escape\.yaml" must be relative/,
    'bad-tree.md': /bad-tree\.md:3: cannot read the tree line/,
    'no-examples.md': /no-examples\.md:1: no runnable example/,
  };
  const present = (await readdir(MALFORMED)).filter((n) => n.endsWith('.md')).sort();
  t.same(present, Object.keys(cases).sort(), 'every fixture in test/fixtures/authoring has an expected error');
  for (const [name, expected] of Object.entries(cases)) {
    const text = await readFile(join(MALFORMED, name), 'utf8');
    t.throws(() => extractExamples(text, name), expected, name);
    t.throws(() => extractExamples(text, name), MalformedGuideError);
  }
});

t.test('expected output: "..." stands for any run of lines, every other line must be equal', async (t) => {
  t.ok(outputMatches(['a', '...', 'd'], ['a', 'b', 'c', 'd']));
  t.ok(outputMatches(['a', '...', 'd'], ['a', 'd']), '"..." may match no line');
  t.ok(outputMatches(['...'], []));
  t.ok(outputMatches(['...', 'x', '...'], ['a', 'x', 'b']));
  t.notOk(outputMatches(['a', 'd'], ['a', 'b', 'd']), 'without "..." nothing may be skipped');
  t.notOk(outputMatches(['a'], ['a', 'b']), 'extra output at the end is a mismatch');
  t.notOk(outputMatches(['...', 'x'], ['x', 'y']));
  t.same(trimLines(['a  ', '', '']), ['a'], 'trailing spaces and blank lines are not significant');
});

t.test('every example in docs/authoring.md runs as shown', async (t) => {
  if (!existsSync(BIN)) {
    t.fail(`${BIN} is missing: run npm run build (npm test does it in pretest)`);
    return;
  }
  const examples: Example[] = extractExamples(await readFile(GUIDE, 'utf8'), 'docs/authoring.md');
  const commands = examples.flatMap((e) => (e.kind === 'run' ? [e.args.slice(0, e.args[0] === 'rules' ? 2 : 1).join(' ')] : []));
  for (const command of ['test', 'rules lint', 'rules explain', 'scan']) {
    t.ok(commands.includes(command), `the guide shows palisade ${command}`);
  }

  const dir = await mkdtemp(join(tmpdir(), 'palisade-authoring-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  for (const example of examples) {
    const where = `docs/authoring.md:${example.line}`;
    switch (example.kind) {
      case 'file': {
        const target = join(dir, example.path);
        await mkdir(dirname(target), { recursive: true });
        await writeFile(target, example.content);
        break;
      }
      case 'tree': {
        const root = join(dir, example.root);
        const actual = existsSync(root) ? await listTree(root) : [];
        t.same(actual, example.entries, `${where}: ${example.root}/ holds exactly what the tree shows`);
        break;
      }
      case 'run': {
        const result = spawnSync(process.execPath, [BIN, ...example.args], {
          cwd: dir,
          env: cliEnv(),
          encoding: 'utf8',
          timeout: 60_000,
        });
        if (result.error) throw result.error;
        const actual = trimLines(`${result.stdout}${result.stderr}`.split('\n'));
        t.equal(result.status, example.exit, `${where}: $ ${example.command} exits ${example.exit}`);
        t.ok(outputMatches(example.expected, actual), `${where}: $ ${example.command} prints what the guide shows`, {
          wanted: example.expected.join('\n'),
          found: actual.join('\n'),
        });
        break;
      }
    }
  }
});
