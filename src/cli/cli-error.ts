/**
 * Exit codes are part of the CLI's contract (CI pipelines branch on them):
 * 0 = nothing would be denied, 1 = at least one finding would be denied (or a test failed),
 * 2 = usage, configuration or input error.
 */
export const EXIT_OK = 0;
export const EXIT_DENIED = 1;
export const EXIT_USAGE = 2;

export class CliError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode = EXIT_USAGE) {
    super(message);
    this.name = 'CliError';
    this.exitCode = exitCode;
  }
}

/** What a command needs from the process, passed in so tests and other callers can provide it. */
export interface CliIO {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  readStdin: () => Promise<string>;
  isTTY: boolean;
  env: NodeJS.ProcessEnv;
  now: () => Date;
}
