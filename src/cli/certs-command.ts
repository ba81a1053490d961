/**
 * `palisade certs generate`: a private CA and a serving certificate for the webhook, laid out like
 * a Kubernetes TLS Secret, for clusters without cert-manager and for local runs. An existing
 * certificate is only replaced with --force, and a CA Palisade made before (ca.crt + ca.key) signs
 * the new one, so the caBundle already in the webhook configuration stays valid.
 */
import { createPrivateKey } from 'node:crypto';
import { lstat } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CA_CERT_FILE, CA_KEY_FILE, readCaKeyPair, readCertDir, TLS_CERT_FILE, TLS_KEY_FILE, writeCertDir } from '../certs/cert-files.js';
import { DEFAULT_CA_DAYS, DEFAULT_SERVING_DAYS, generateCa, issueServingCert, servingAltNames, type PemPair, type ServingCertOptions } from '../certs/generate.js';
import { parseCertificates } from '../certs/verify-pair.js';
import { CliError, EXIT_OK, type CliIO } from './cli-error.js';

export const CERTS_USAGE = `Usage: palisade certs generate [options]

Writes a private CA and a serving certificate signed by it (RSA 2048, SHA-256) for the webhook's
HTTPS listener: ca.crt, ca.key, tls.crt, tls.key, the layout of a Kubernetes TLS Secret.
localhost, 127.0.0.1 and ::1 are always in the certificate.

Options:
  --out DIR           the folder to write (default: certs)
  --dns NAME          another DNS name (repeatable)
  --ip ADDR           another IP address (repeatable)
  --service NAME      the webhook's Service; with --namespace adds NAME, NAME.NS, NAME.NS.svc
  --namespace NS      and NAME.NS.svc.cluster.local
  --days N            validity of the serving certificate in days (default: ${DEFAULT_SERVING_DAYS})
  --ca-days N         validity of a new CA in days (default: ${DEFAULT_CA_DAYS})
  --force             replace an existing tls.crt and tls.key; the CA in DIR (ca.crt + ca.key) is
                      kept and signs the new certificate, so the webhook's caBundle stays valid
  --new-ca            make a new CA even if DIR has one (the caBundle must then be updated)
`;

export async function certsCommand(args: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      out: { type: 'string', default: 'certs' },
      dns: { type: 'string', multiple: true },
      ip: { type: 'string', multiple: true },
      service: { type: 'string' },
      namespace: { type: 'string' },
      days: { type: 'string' },
      'ca-days': { type: 'string' },
      force: { type: 'boolean' },
      'new-ca': { type: 'boolean' },
    },
  });
  const [sub, ...extra] = positionals;
  if (sub !== 'generate') throw new CliError(`${sub ? `unknown subcommand "${sub}"` : 'missing subcommand'}\n\n${CERTS_USAGE}`);
  if (extra.length > 0) throw new CliError(`unexpected argument "${extra[0]}"; the folder is given with --out`);
  if ((values.service === undefined) !== (values.namespace === undefined)) throw new CliError('--service and --namespace go together');

  const out = values.out ?? 'certs';
  const now = io.now();
  const serving: ServingCertOptions = {
    dnsNames: values.dns ?? [],
    ipAddresses: values.ip ?? [],
    ...(values.service !== undefined && values.namespace !== undefined ? { service: { name: values.service, namespace: values.namespace } } : {}),
    days: days(values.days, '--days', DEFAULT_SERVING_DAYS),
    now,
  };
  try {
    servingAltNames(serving);
  } catch (error) {
    throw new CliError((error as Error).message);
  }
  for (const name of [TLS_CERT_FILE, TLS_KEY_FILE]) {
    if (!values.force && (await present(join(out, name)))) throw new CliError(`${join(out, name)} exists; use --force to replace it`);
  }

  const existingCa = values['new-ca'] ? undefined : await usableCa(out, now);
  const ca = existingCa ?? generateCa({ days: days(values['ca-days'], '--ca-days', DEFAULT_CA_DAYS), now });
  const cert = issueServingCert(ca, serving);
  let written: string[];
  try {
    written = await writeCertDir(out, {
      caPem: ca.certPem,
      certPem: cert.certPem,
      keyPem: cert.keyPem,
      ...(existingCa ? {} : { caKeyPem: ca.keyPem }),
    });
  } catch (error) {
    throw new CliError(`cannot write ${out}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  const loaded = await readCertDir(out, now);

  const lines = written.map((path) => `wrote ${path}${path.endsWith('.key') ? ' (mode 0600)' : ''}`);
  if (existingCa) lines.push(`kept the CA in ${join(out, CA_CERT_FILE)}: it signed the new certificate`);
  lines.push(
    `serving certificate: serial ${loaded.serialNumber}, valid until ${loaded.notAfter.toISOString()}`,
    `  names: ${loaded.subjectAltName}`,
    `CA valid until ${loaded.caNotAfter.toISOString()}; the webhook configuration's caBundle is the base64 of ${join(out, CA_CERT_FILE)}`,
  );
  io.stdout(`${lines.join('\n')}\n`);
  return EXIT_OK;
}

/** The CA Palisade generated in `dir` before, if it is still good to sign with. */
async function usableCa(dir: string, now: Date): Promise<PemPair | undefined> {
  const ca = await readCaKeyPair(dir);
  if (!ca) return undefined;
  const file = join(dir, CA_CERT_FILE);
  try {
    const [cert] = parseCertificates(ca.certPem, file);
    if (!cert?.ca) throw new Error(`${file} is not a CA certificate`);
    if (!cert.checkPrivateKey(createPrivateKey(ca.keyPem))) throw new Error(`${join(dir, CA_KEY_FILE)} is not the key of ${file}`);
    if (new Date(cert.validTo).getTime() <= now.getTime()) throw new Error(`${file} expired at ${new Date(cert.validTo).toISOString()}`);
  } catch (error) {
    throw new CliError(`${(error as Error).message}; use --new-ca to replace the CA (and then update the caBundle)`);
  }
  return ca;
}

function days(text: string | undefined, option: string, fallback: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw new CliError(`${option} must be a whole number of days ≥ 1, not "${text}"`);
  return value;
}

async function present(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch {
    return false;
  }
}
