/**
 * The `palisade` command. main() only wires the process to the commands; each command is a
 * function of its arguments and a CliIO, so tests can run them directly as well as through the bin.
 */
import { MAX_MANIFEST_BYTES } from '../scan/manifests.js';
import { AUDIT_USAGE, auditCommand } from './audit-command.js';
import { CERTS_USAGE, certsCommand } from './certs-command.js';
import { CONTROLLER_USAGE, controllerCommand } from './controller-command.js';
import { CliError, EXIT_USAGE, type CliIO } from './cli-error.js';
import { RULES_USAGE, rulesCommand } from './rules-command.js';
import { REPORT_USAGE, reportCommand } from './report-command.js';
import { SCAN_USAGE, scanCommand } from './scan-command.js';
import { SERVE_USAGE, serveCommand } from './serve-command.js';
import { TEST_USAGE, testCommand } from './test-command.js';
import { UNINSTALL_USAGE, uninstallCommand } from './uninstall-command.js';
import { WEBHOOK_CONFIG_USAGE, webhookConfigCommand } from './webhook-config-command.js';
import { packageVersion } from './version.js';

const USAGE = `Usage: palisade <command> [options]

Commands:
  serve                 run the admission webhook over HTTPS; see palisade serve --help
  certs generate        make a CA and a serving certificate for the webhook
  webhook-config        render the webhook configurations for the loaded rules
  uninstall             delete the webhook configurations (before removing Palisade)
  audit                 audit what runs in a cluster with the rules; see palisade audit --help
  controller            the background audit loop (leader-elected), writing reports
  report rollout|compliance|convert
                        render the stored audit reports; see palisade report --help
  scan [PATH...|-]      scan manifests with the rules (CI); see palisade scan --help
  test [DIR...]         run every rule's pass/ and fail/ fixtures
  rules list            list rules with severity, mode and standards
  rules lint            load and compile rules only
  rules explain ID      show a rule, its rationale, remediation and a failing example
  version               print the version

Run 'palisade <command> --help' for a command's options.
`;

interface Command {
  run: (args: string[], io: CliIO) => Promise<number>;
  usage: string;
}

const COMMANDS: Record<string, Command> = {
  serve: { run: serveCommand, usage: SERVE_USAGE },
  certs: { run: certsCommand, usage: CERTS_USAGE },
  'webhook-config': { run: webhookConfigCommand, usage: WEBHOOK_CONFIG_USAGE },
  uninstall: { run: uninstallCommand, usage: UNINSTALL_USAGE },
  audit: { run: auditCommand, usage: AUDIT_USAGE },
  controller: { run: controllerCommand, usage: CONTROLLER_USAGE },
  report: { run: reportCommand, usage: REPORT_USAGE },
  scan: { run: scanCommand, usage: SCAN_USAGE },
  test: { run: testCommand, usage: TEST_USAGE },
  rules: { run: rulesCommand, usage: RULES_USAGE },
};

export async function run(argv: string[], io: CliIO): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    io.stdout(USAGE);
    return name === undefined ? EXIT_USAGE : 0;
  }
  if (name === 'version' || name === '--version') {
    io.stdout(`palisade ${packageVersion()}\n`);
    return 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    io.stderr(`palisade: unknown command "${name}"\n\n${USAGE}`);
    return EXIT_USAGE;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout(command.usage);
    return 0;
  }
  try {
    return await command.run(rest, io);
  } catch (error) {
    if (error instanceof CliError) {
      io.stderr(`palisade ${name}: ${error.message}\n`);
      return error.exitCode;
    }
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS')) {
      io.stderr(`palisade ${name}: ${(error as Error).message}\nRun 'palisade ${name} --help' for its options.\n`);
      return EXIT_USAGE;
    }
    // Anything else is a bug in Palisade, not in the user's input: say so plainly.
    io.stderr(`palisade ${name}: internal error (please report it): ${(error as Error).stack ?? String(error)}\n`);
    return EXIT_USAGE;
  }
}

export function processIO(): CliIO {
  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    readStdin: async () => {
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of process.stdin) {
        size += (chunk as Buffer).length;
        if (size > MAX_MANIFEST_BYTES) throw new Error(`input is over ${MAX_MANIFEST_BYTES} bytes`);
        chunks.push(chunk as Buffer);
      }
      return Buffer.concat(chunks).toString('utf8');
    },
    isTTY: Boolean(process.stdout.isTTY),
    env: process.env,
    now: () => new Date(),
  };
}
