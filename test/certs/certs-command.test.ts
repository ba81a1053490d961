/**
 * `palisade certs generate`, run as main.ts runs it (a function of args and CliIO): it writes a
 * servable directory and says what it wrote, refuses to overwrite without --force, keeps its own
 * CA on --force so the caBundle stays valid, and rejects bad options as usage errors.
 */
import t from 'tap';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readCertDir } from '../../src/certs/cert-files.js';
import { certsCommand } from '../../src/cli/certs-command.js';
import { CliError, type CliIO } from '../../src/cli/cli-error.js';

function io(): CliIO & { out: string[] } {
  const out: string[] = [];
  return {
    out,
    stdout: (text) => out.push(text),
    stderr: (text) => out.push(text),
    readStdin: async () => '',
    isTTY: false,
    env: {},
    now: () => new Date(),
  };
}

t.test('writes the four files and says so', async (t) => {
  const dir = join(t.testdir({}), 'certs');
  const cli = io();
  t.equal(await certsCommand(['generate', '--out', dir, '--service', 'palisade', '--namespace', 'palisade-system', '--ip', '10.1.2.3', '--days', '30'], cli), 0);
  const text = cli.out.join('');
  for (const file of ['ca.key', 'ca.crt', 'tls.key', 'tls.crt']) t.match(text, `wrote ${join(dir, file)}`);
  t.match(text, /wrote .*tls\.key \(mode 0600\)/);
  t.match(text, /names: DNS:localhost, DNS:palisade, .*DNS:palisade\.palisade-system\.svc\.cluster\.local, .*IP Address:10\.1\.2\.3/);
  t.match(text, /caBundle is the base64 of .*ca\.crt/);
  t.equal((await stat(join(dir, 'tls.key'))).mode & 0o777, 0o600);
  const loaded = await readCertDir(dir);
  const days = (loaded.notAfter.getTime() - Date.now()) / 86_400_000;
  t.ok(days > 29 && days <= 30, '--days');
});

t.test('refuses to overwrite without --force; --force keeps the CA, --new-ca replaces it', async (t) => {
  const dir = t.testdir({});
  await certsCommand(['generate', '--out', dir], io());
  const first = await readCertDir(dir);
  await t.rejects(certsCommand(['generate', '--out', dir], io()), { name: 'CliError', message: /tls\.crt exists; use --force to replace it/ });
  t.equal((await readCertDir(dir)).serialNumber, first.serialNumber, 'untouched');

  const forced = io();
  t.equal(await certsCommand(['generate', '--out', dir, '--force'], forced), 0);
  const second = await readCertDir(dir);
  t.not(second.serialNumber, first.serialNumber);
  t.equal(second.caPem, first.caPem, 'same CA: the caBundle stays valid');
  t.match(forced.out.join(''), /kept the CA in .*ca\.crt/);
  t.notMatch(forced.out.join(''), /ca\.key/, 'the CA key is not rewritten');

  await certsCommand(['generate', '--out', dir, '--force', '--new-ca'], io());
  t.not((await readCertDir(dir)).caPem, first.caPem);
});

t.test('a CA key that does not belong to the CA is refused', async (t) => {
  const dir = t.testdir({});
  await certsCommand(['generate', '--out', dir], io());
  const otherDir = join(dir, 'other');
  await certsCommand(['generate', '--out', otherDir], io());
  await writeFile(join(dir, 'ca.key'), await readFile(join(otherDir, 'ca.key'), 'utf8'));
  await t.rejects(certsCommand(['generate', '--out', dir, '--force'], io()), /ca\.key is not the key of .*ca\.crt; use --new-ca/);
});

t.test('usage errors', async (t) => {
  const dir = t.testdir({});
  const cases: [string[], RegExp][] = [
    [[], /missing subcommand/],
    [['make'], /unknown subcommand "make"/],
    [['generate', 'somewhere'], /unexpected argument "somewhere"/],
    [['generate', '--out', dir, '--service', 'palisade'], /--service and --namespace go together/],
    [['generate', '--out', dir, '--days', '1.5'], /--days must be a whole number of days/],
    [['generate', '--out', dir, '--dns', 'not a name'], /"not a name" is not a valid DNS name/],
    [['generate', '--out', dir, '--ip', '1.2.3'], /"1\.2\.3" is not an IP address/],
  ];
  for (const [args, message] of cases) {
    const error = await certsCommand(args, io()).catch((e: unknown) => e);
    t.type(error, CliError, args.join(' '));
    t.match(error, { message }, args.join(' '));
  }
});
