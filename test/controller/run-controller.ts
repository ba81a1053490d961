/**
 * `palisade controller` as its own process, for the end-to-end tests and the benchmark, until the
 * command is registered in src/cli/main.ts: `node --import tsx test/controller/run-controller.ts …`.
 * Not a *.test.ts file: tap does not run it.
 */
import { controllerCommand } from '../../src/cli/controller-command.js';
import { CliError } from '../../src/cli/cli-error.js';
import { processIO } from '../../src/cli/main.js';

const io = processIO();
try {
  process.exitCode = await controllerCommand(process.argv.slice(2), io);
} catch (error) {
  io.stderr(`palisade controller: ${(error as Error).message}\n`);
  process.exitCode = error instanceof CliError ? error.exitCode : 2;
}
