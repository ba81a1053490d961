/**
 * Extracts the runnable examples of a Markdown guide, so that every example the guide shows is
 * checked by a test. Not a *.test.ts file, so tap does not run it on its own.
 *
 * Every fenced code block in a guide must be preceded by one of these markers (blank lines
 * between the marker and the block are allowed; nothing else is):
 *
 *   <!-- file: my-rules/x/x.yaml -->   the block is the content of that file (relative path)
 *   <!-- run: exit=0 -->               the block is a ```console block: `$ palisade ARGS` on its
 *                                      first line, then the expected output (stdout, then stderr);
 *                                      a line `...` stands for any number of lines
 *   <!-- tree: my-rules -->            the block is a ```text tree of that folder, which must list
 *                                      exactly the files and folders present at that point
 *
 * Examples run in document order, in one temporary folder. A fenced block without a marker, a
 * marker without a block, or a block that does not have the shape its marker says is an error:
 * an example the test cannot run would silently rot.
 */

export interface FileExample {
  kind: 'file';
  /** 1-based line of the marker in the guide. */
  line: number;
  path: string;
  content: string;
}

export interface RunExample {
  kind: 'run';
  line: number;
  /** The command as written, without the `$ `. */
  command: string;
  /** Arguments after `palisade`. */
  args: string[];
  exit: number;
  expected: string[];
}

export interface TreeExample {
  kind: 'tree';
  line: number;
  root: string;
  /** Paths below the root, folders with a trailing slash, sorted. */
  entries: string[];
}

export type Example = FileExample | RunExample | TreeExample;

export class MalformedGuideError extends Error {
  constructor(file: string, line: number, message: string) {
    super(`${file}:${line}: ${message}`);
    this.name = 'MalformedGuideError';
  }
}

const FENCE = /^(`{3,}|~{3,})\s*([\w+-]*)\s*$/;
const MARKER = /^<!--\s*(file|run|tree):\s*(.*?)\s*-->$/;
/** Something that looks like a marker but does not parse is a mistake, not a comment. */
const MARKER_LIKE = /^<!--\s*(file|run|tree)\b/;
/** The test runs commands without a shell: anything a shell would interpret is refused. */
const SHELL_SYNTAX = /["'`$|&;<>(){}*?\\]/;

interface Marker {
  type: 'file' | 'run' | 'tree';
  argument: string;
  line: number;
}

export function extractExamples(markdown: string, file = 'guide'): Example[] {
  const lines = markdown.split('\n');
  const examples: Example[] = [];
  const fail = (line: number, message: string): never => {
    throw new MalformedGuideError(file, line, message);
  };
  let pending: Marker | undefined;

  for (let i = 0; i < lines.length; i++) {
    const text = (lines[i] ?? '').trimEnd();
    const lineNo = i + 1;
    const marker = MARKER.exec(text);
    if (marker) {
      if (pending) fail(pending.line, `<!-- ${pending.type}: --> is not followed by a fenced code block`);
      pending = { type: marker[1] as Marker['type'], argument: marker[2] ?? '', line: lineNo };
      continue;
    }
    if (MARKER_LIKE.test(text)) fail(lineNo, `cannot read the marker ${JSON.stringify(text)}`);
    const fence = FENCE.exec(text);
    if (!fence) {
      if (/^\s+(`{3,}|~{3,})/.test(text)) fail(lineNo, 'indented code fence: examples must start at column 1');
      if (pending && text !== '') fail(pending.line, `<!-- ${pending.type}: --> is not followed by a fenced code block`);
      continue;
    }
    const opener = fence[1] ?? '```';
    const language = fence[2] ?? '';
    const body: string[] = [];
    let closed = false;
    for (i++; i < lines.length; i++) {
      const inner = lines[i] ?? '';
      if (isClosingFence(inner, opener)) {
        closed = true;
        break;
      }
      body.push(inner);
    }
    if (!closed) fail(lineNo, 'code fence is never closed');
    if (!pending) {
      fail(lineNo, 'fenced code block has no <!-- file: -->, <!-- run: --> or <!-- tree: --> marker; every example in the guide must be run by its test');
    }
    const at = pending as Marker;
    pending = undefined;
    examples.push(toExample(at, language, body, fail));
  }
  if (pending) fail(pending.line, `<!-- ${pending.type}: --> is not followed by a fenced code block`);
  if (!examples.some((e) => e.kind === 'run')) fail(1, 'no runnable example (<!-- run: exit=N --> before a ```console block) found');
  return examples;
}

function toExample(marker: Marker, language: string, body: string[], fail: (line: number, message: string) => never): Example {
  const line = marker.line;
  switch (marker.type) {
    case 'file': {
      const path = marker.argument;
      if (!isSafeRelativePath(path)) fail(line, `file path ${JSON.stringify(path)} must be relative, without '..'`);
      if (body.length === 0) fail(line, 'file block is empty');
      return { kind: 'file', line, path, content: `${body.join('\n')}\n` };
    }
    case 'run': {
      const exit = /^exit=(\d+)$/.exec(marker.argument);
      if (!exit) fail(line, `run marker must read <!-- run: exit=N -->, not ${JSON.stringify(marker.argument)}`);
      if (language !== 'console') fail(line, `a run example must be a \`\`\`console block, not \`\`\`${language}`);
      const [first, ...rest] = body;
      const command = /^\$ (palisade(?: .*)?)$/.exec((first ?? '').trimEnd());
      if (!command) fail(line, `the first line of a run example must be "$ palisade ...", not ${JSON.stringify(first ?? '')}`);
      const text = (command as RegExpExecArray)[1] ?? '';
      if (SHELL_SYNTAX.test(text)) fail(line, `"${text}" uses shell syntax; examples run without a shell`);
      const extra = rest.findIndex((l) => l.startsWith('$ '));
      if (extra !== -1) fail(line, 'a run example holds one command; start another block for the next one');
      const args = text.split(/\s+/).slice(1);
      return { kind: 'run', line, command: text, args, exit: Number((exit as RegExpExecArray)[1]), expected: trimLines(rest) };
    }
    case 'tree': {
      const root = marker.argument.replace(/\/+$/, '');
      if (!isSafeRelativePath(root)) fail(line, `tree root ${JSON.stringify(root)} must be relative, without '..'`);
      if (language !== 'text') fail(line, `a tree example must be a \`\`\`text block, not \`\`\`${language}`);
      return { kind: 'tree', line, root, entries: parseTree(root, body, line, fail) };
    }
  }
}

/** A closing fence repeats the opening character at least as many times, and nothing else. */
function isClosingFence(text: string, opener: string): boolean {
  const trimmed = text.trimEnd();
  const char = opener[0] ?? '`';
  return trimmed.length >= opener.length && [...trimmed].every((c) => c === char);
}

function isSafeRelativePath(path: string): boolean {
  return path !== '' && !path.startsWith('/') && !path.split('/').includes('..') && !/\s/.test(path);
}

/** Trailing whitespace is not significant, nor are trailing blank lines. */
export function trimLines(lines: readonly string[]): string[] {
  const out = lines.map((l) => l.trimEnd());
  while (out.length > 0 && out[out.length - 1] === '') out.pop();
  return out;
}

/**
 * Parses a `tree`-style listing: the first line is `root/`, then one entry per line drawn with
 * ├──, └── and │, four columns per level; folders end with `/`.
 */
function parseTree(root: string, body: string[], line: number, fail: (line: number, message: string) => never): string[] {
  const lines = trimLines(body);
  if (lines[0] !== `${root}/`) fail(line, `a tree of ${root} must start with the line "${root}/"`);
  const stack: string[] = [];
  const entries: string[] = [];
  for (const text of lines.slice(1)) {
    const match = /^((?:│   |    )*)(?:├── |└── )(\S+)$/.exec(text);
    if (!match) fail(line, `cannot read the tree line ${JSON.stringify(text)}`);
    const depth = ((match as RegExpExecArray)[1] ?? '').length / 4;
    const name = (match as RegExpExecArray)[2] ?? '';
    if (depth > stack.length) fail(line, `tree line ${JSON.stringify(text)} is indented below no folder`);
    stack.length = depth;
    const parent = stack.join('');
    entries.push(`${parent}${name}`);
    if (name.endsWith('/')) stack.push(name);
  }
  return entries.sort();
}

/**
 * Whether the actual output lines match the expected ones, where an expected line `...` matches
 * any run of lines (none included) and every other line must be equal.
 */
export function outputMatches(expected: readonly string[], actual: readonly string[]): boolean {
  const memo = new Map<string, boolean>();
  const match = (e: number, a: number): boolean => {
    const key = `${e},${a}`;
    const known = memo.get(key);
    if (known !== undefined) return known;
    let result: boolean;
    if (e === expected.length) result = a === actual.length;
    else if (expected[e] === '...') result = match(e + 1, a) || (a < actual.length && match(e, a + 1));
    else result = a < actual.length && expected[e] === actual[a] && match(e + 1, a + 1);
    memo.set(key, result);
    return result;
  };
  return match(0, 0);
}
