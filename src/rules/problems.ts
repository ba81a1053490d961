/**
 * A problem with a rule, exception or config file, located at file:line and field, so a user can
 * jump straight to it. Loading collects every problem of one load and reports them together.
 */
export interface FileProblem {
  file: string;
  line: number;
  /** Dotted field path inside the document, e.g. spec.validations[0].expression; '' for the file. */
  field: string;
  message: string;
}

export function formatProblem(problem: FileProblem): string {
  // Line 0 means the problem is with the file or folder as a whole.
  const where = problem.line > 0 ? `${problem.file}:${problem.line}` : problem.file;
  return problem.field ? `${where}: ${problem.field}: ${problem.message}` : `${where}: ${problem.message}`;
}

export class FileProblemsError extends Error {
  readonly problems: FileProblem[];
  constructor(what: string, problems: FileProblem[]) {
    const sorted = [...problems].sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line);
    super(`${what}: ${problems.length} problem${problems.length === 1 ? '' : 's'}\n${sorted.map(formatProblem).join('\n')}`);
    this.name = 'FileProblemsError';
    this.problems = problems;
  }
}

/** ['spec', 'validations', 0, 'expression'] → spec.validations[0].expression */
export function fieldName(path: readonly (string | number)[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out ? `.${part}` : part;
  }
  return out;
}
