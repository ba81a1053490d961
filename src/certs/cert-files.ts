/**
 * The certificate directory the webhook serves from, laid out like a Kubernetes TLS Secret
 * (`tls.crt`, `tls.key`, `ca.crt`, as cert-manager writes it) plus `ca.key` when Palisade made the
 * CA itself. Files are written to a temporary name and renamed into place, so a process watching
 * the directory never reads half a file; tls.crt is written last, so its presence means the set
 * is complete. Keys are mode 0600.
 */
import { randomBytes } from 'node:crypto';
import { lstat, mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { generateCa, issueServingCert, type CaOptions, type PemPair, type ServingCertOptions } from './generate.js';
import { CertFileError, verifyCertPems, type CertPems, type VerifiedCert } from './verify-pair.js';

export const CA_CERT_FILE = 'ca.crt';
export const CA_KEY_FILE = 'ca.key';
export const TLS_CERT_FILE = 'tls.crt';
export const TLS_KEY_FILE = 'tls.key';
const MAX_READ_ATTEMPTS = 5;

export interface CertDirFiles extends CertPems {
  /** Only when the CA was generated here; a CA from elsewhere keeps its key elsewhere. */
  caKeyPem?: string;
}

export interface LoadedCertDir extends CertPems, VerifiedCert {
  dir: string;
}

/** Writes the files atomically; returns the paths written, in order. */
export async function writeCertDir(dir: string, files: CertDirFiles): Promise<string[]> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const plan: [string, string, number][] = [
    ...(files.caKeyPem !== undefined ? [[CA_KEY_FILE, files.caKeyPem, 0o600] as [string, string, number]] : []),
    [CA_CERT_FILE, files.caPem, 0o644],
    [TLS_KEY_FILE, files.keyPem, 0o600],
    [TLS_CERT_FILE, files.certPem, 0o644],
  ];
  const written: string[] = [];
  for (const [name, text, mode] of plan) {
    const path = join(dir, name);
    await writeFileAtomic(path, text, mode);
    written.push(path);
  }
  return written;
}

/**
 * Reads and verifies ca.crt, tls.crt and tls.key; throws CertFileError naming the file at fault.
 * The three reads are not one operation: if the files changed while they were read (the kubelet
 * swapped ..data between tls.crt and tls.key), they are read again, so a rotation is not mistaken
 * for a mismatched pair.
 */
export async function readCertDir(dir: string, now: Date = new Date()): Promise<LoadedCertDir> {
  const files = { ca: join(dir, CA_CERT_FILE), cert: join(dir, TLS_CERT_FILE), key: join(dir, TLS_KEY_FILE) };
  const paths = [files.ca, files.cert, files.key];
  let pems: CertPems;
  for (let attempt = 1; ; attempt++) {
    const before = await identities(paths);
    pems = { caPem: await readPem(files.ca), certPem: await readPem(files.cert), keyPem: await readPem(files.key) };
    if (attempt === MAX_READ_ATTEMPTS || (await identities(paths)) === before) break;
  }
  return { dir, ...pems, ...verifyCertPems(pems, files, now) };
}

/** The CA certificate and key in `dir`, when Palisade generated them there; undefined otherwise. */
export async function readCaKeyPair(dir: string): Promise<PemPair | undefined> {
  if (!(await exists(join(dir, CA_KEY_FILE))) || !(await exists(join(dir, CA_CERT_FILE)))) return undefined;
  return { certPem: await readPem(join(dir, CA_CERT_FILE)), keyPem: await readPem(join(dir, CA_KEY_FILE)) };
}

export interface EnsureCertDirOptions extends ServingCertOptions {
  /** Generate a CA and serving certificate when the directory has no tls.crt; otherwise that is an error. */
  generate: boolean;
  ca?: CaOptions;
}

export interface EnsuredCertDir {
  certs: LoadedCertDir;
  /** Paths written; empty when the directory already held a certificate. */
  written: string[];
  /** True when an existing ca.crt + ca.key signed the new certificate. */
  reusedCa: boolean;
}

/**
 * What `palisade serve` calls at start: use the certificate in `dir`, or make one when there is
 * none and generation is allowed. An existing but invalid certificate is an error, never replaced.
 */
export async function ensureCertDir(dir: string, options: EnsureCertDirOptions): Promise<EnsuredCertDir> {
  const now = options.now ?? new Date();
  const certFile = join(dir, TLS_CERT_FILE);
  // lstat: a dangling tls.crt symlink is a broken mount to report, not a reason to generate.
  if (await exists(certFile, lstat)) return { certs: await readCertDir(dir, now), written: [], reusedCa: false };
  if (!options.generate) {
    throw new CertFileError(certFile, `${certFile} not found: mount the webhook's TLS Secret (tls.crt, tls.key, ca.crt) at ${dir}, run "palisade certs generate --out ${dir}", or turn certificate generation on`);
  }
  const existingCa = await readCaKeyPair(dir);
  const ca = existingCa ?? generateCa({ ...options.ca, now });
  const serving = issueServingCert(ca, { ...options, now });
  const written = await writeCertDir(dir, {
    caPem: ca.certPem,
    certPem: serving.certPem,
    keyPem: serving.keyPem,
    ...(existingCa ? {} : { caKeyPem: ca.keyPem }),
  });
  return { certs: await readCertDir(dir, now), written, reusedCa: existingCa !== undefined };
}

async function readPem(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new CertFileError(path, code === 'ENOENT' ? `${path} not found` : `cannot read ${path}: ${code ?? String(error)}`);
  }
}

/** Which file each path resolves to and its version: changes when a file is replaced or written. */
async function identities(paths: readonly string[]): Promise<string> {
  const ids = await Promise.all(
    paths.map((path) =>
      stat(path, { bigint: true }).then(
        (s) => `${s.dev}:${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}`,
        () => 'missing',
      ),
    ),
  );
  return ids.join('|');
}

async function exists(path: string, check: (path: string) => Promise<unknown> = stat): Promise<boolean> {
  try {
    await check(path);
    return true;
  } catch {
    return false;
  }
}

/** Write beside the target, flush, then rename over it: readers see the old file or the new one. */
async function writeFileAtomic(path: string, text: string, mode: number): Promise<void> {
  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const handle = await open(temp, 'wx', mode);
    try {
      await handle.writeFile(text);
      await handle.chmod(mode); // in case the umask took bits we meant to keep
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}
