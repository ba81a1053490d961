/**
 * `palisade controller` refuses bad options before it touches the cluster (exit 2), and reads
 * durations as users write them.
 */
import t from 'tap';
import { CliError, type CliIO } from '../../src/cli/cli-error.js';
import { CONTROLLER_USAGE, controllerCommand } from '../../src/cli/controller-command.js';
import { parseDuration } from '../../src/cli/duration.js';

const io: CliIO = { stdout: () => {}, stderr: () => {}, readStdin: async () => '', isTTY: false, env: {}, now: () => new Date() };

t.test('durations', async (t) => {
  t.equal(parseDuration('10m'), 600_000);
  t.equal(parseDuration('1h30m'), 5_400_000);
  t.equal(parseDuration('90s'), 90_000);
  t.equal(parseDuration('1.5h'), 5_400_000);
  t.equal(parseDuration('500ms'), 500);
  t.equal(parseDuration('10'), undefined, 'a unit is required');
  t.equal(parseDuration('ten minutes'), undefined);
});

t.test('bad options: a usage error naming the option', async (t) => {
  const refused = async (args: string[], pattern: RegExp) => {
    const error = await controllerCommand(args, io).catch((e: unknown) => e);
    t.ok(error instanceof CliError, args.join(' '));
    t.match((error as Error).message, pattern);
    t.equal((error as CliError).exitCode, 2);
  };
  await refused(['--resync', 'often'], /--resync "often": expected a duration/);
  await refused(['--resync', '1s'], /at least 10s/);
  await refused(['--port', '70000'], /--port "70000"/);
  await refused(['--namespace', 'Not_A_Namespace'], /not a namespace name/);
  await refused(['--lease-duration', '1'], /--lease-duration "1"/);
  await refused(['--team-label', 'bad label'], /not a label key/);
  await refused(['--log-level', 'loud'], /--log-level "loud"/);
  await refused(['--no-builtin'], /no rules/);
  await refused(['--kubeconfig', '/nonexistent/kubeconfig'], /cannot load the kubeconfig/);
});

t.test('the usage names every option and the endpoints', async (t) => {
  for (const option of ['--kubeconfig', '--context', '--namespace', '--config', '--rules', '--no-builtin', '--resync', '--port', '--host', '--team-label', '--log-level']) t.match(CONTROLLER_USAGE, option);
  t.match(CONTROLLER_USAGE, /\/reports\/rollout/);
  t.match(CONTROLLER_USAGE, /no TLS/);
});
