/**
 * From the configuration's `images` section to a ready ImageVerifier: reads the public keys, the
 * registries' CA files, the deny-list files and the docker config the section names. Every file
 * that cannot be read or is not what it should be is a problem at the line of the configuration
 * that names it (or at its own line, for a deny-list file); with any problem, no verifier.
 *
 * Keys and pull credentials kept in a Secret or a ConfigMap reach Palisade as mounted files (the
 * chart mounts them), so a key rotation is a file change, and Palisade needs no read access to
 * Secrets.
 */
import { readFile } from 'node:fs/promises';
import type { ImagesConfig, KeylessConfig } from '../config/types.js';
import { denyEntry } from '../config/schema.js';
import { fieldName, type FileProblem } from '../rules/problems.js';
import { compileSchema, schemaProblems } from '../rules/schema-validator.js';
import { readYamlDocuments } from '../rules/yaml-documents.js';
import { readPublicKey, type TrustedKey } from './cosign.js';
import { DOCKER_HUB } from './reference.js';
import { compileIdentities, readTrustedRoot, type IdentityMatcher, type KeylessPolicy } from './sigstore.js';
import { RegistryClient, type RegistryCredentials, type RegistrySettings } from './registry-client.js';
import { ImageVerifier, type DenyEntry, type VerifyPolicy } from './verifier.js';

export interface VerifierLoad {
  verifier?: ImageVerifier;
  /** The deadline cap, in milliseconds. */
  timeoutMs: number;
  problems: FileProblem[];
}

const validateDenyList = compileSchema({ type: 'array', items: denyEntry });
/** ajv's words for a deny entry with a reason only (minProperties), and ours. */
const TOO_FEW = 'must NOT have fewer than 2 properties';
const NO_MATCHER = 'must name a digest, repository or tag besides the reason';

async function readText(path: string): Promise<string | Error> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    return new Error((error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : ((error as NodeJS.ErrnoException).code ?? String(error)));
  }
}

/** Docker Hub's key in a docker config is its old index URL. */
function registryOfAuthKey(key: string): string {
  const host = key.replace(/^https?:\/\//, '').split('/')[0] ?? key;
  return host === 'index.docker.io' || host === 'registry-1.docker.io' ? DOCKER_HUB : host;
}

/** `auths` of a docker config.json (or a Secret's `.dockerconfigjson`): credentials by registry. */
export function parseDockerConfig(text: string): Map<string, RegistryCredentials> {
  const parsed = JSON.parse(text) as { auths?: Record<string, { auth?: unknown; username?: unknown; password?: unknown }> };
  const out = new Map<string, RegistryCredentials>();
  for (const [key, entry] of Object.entries(parsed.auths ?? {})) {
    if (typeof entry.username === 'string' && typeof entry.password === 'string') {
      out.set(registryOfAuthKey(key), { username: entry.username, password: entry.password });
      continue;
    }
    if (typeof entry.auth !== 'string') continue;
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon > 0) out.set(registryOfAuthKey(key), { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) });
  }
  return out;
}

/** A verify entry's keyless signers: the trust root read, the identities' patterns compiled. */
async function keylessFromConfig(config: KeylessConfig, path: (string | number)[], at: (path: (string | number)[], message: string) => void): Promise<KeylessPolicy | undefined> {
  const identities: IdentityMatcher[] = [];
  for (const [j, identity] of config.identities.entries()) {
    try {
      identities.push(...compileIdentities([identity]));
    } catch (error) {
      at([...path, 'identities', j, 'subjectRegExp'], `not an RE2 regular expression: ${(error as Error).message}`);
    }
  }
  const text = await readText(config.trustedRoot);
  if (text instanceof Error) {
    at([...path, 'trustedRoot'], `cannot read ${config.trustedRoot}: ${text.message}`);
    return undefined;
  }
  try {
    const trust = readTrustedRoot(text);
    return { trustedRootFile: config.trustedRoot, trust, identities, transparencyLog: config.transparencyLog, ctLog: config.ctLog };
  } catch (error) {
    at([...path, 'trustedRoot'], `${config.trustedRoot} is not a Sigstore trusted root (trusted_root.json): ${(error as Error).message.slice(0, 200)}`);
    return undefined;
  }
}

export async function verifierFromConfig(images: ImagesConfig): Promise<VerifierLoad> {
  const file = images.file ?? 'configuration';
  const problems: FileProblem[] = [];
  const at = (path: (string | number)[], message: string): void => {
    const field = fieldName(path);
    problems.push({ file, line: images.lines[field] ?? 0, field, message });
  };

  const policies: VerifyPolicy[] = [];
  for (const [i, policy] of images.verify.entries()) {
    const keys: TrustedKey[] = [];
    for (const [j, path] of policy.keys.entries()) {
      const text = await readText(path);
      if (text instanceof Error) {
        at(['images', 'verify', i, 'keys', j], `cannot read ${path}: ${text.message}`);
        continue;
      }
      try {
        keys.push(readPublicKey(path, text));
      } catch (error) {
        at(['images', 'verify', i, 'keys', j], (error as Error).message);
      }
    }
    const keyless = policy.keyless ? await keylessFromConfig(policy.keyless, ['images', 'verify', i, 'keyless'], at) : undefined;
    policies.push({ name: policy.name, images: policy.images, keys, ...(keyless ? { keyless } : {}), failurePolicy: policy.failurePolicy });
  }

  const deny: DenyEntry[] = images.deny.map((entry) => ({ ...entry }));
  for (const [i, path] of images.denyFiles.entries()) {
    const text = await readText(path);
    if (text instanceof Error) {
      at(['images', 'denyFiles', i], `cannot read ${path}: ${text.message}`);
      continue;
    }
    for (const doc of readYamlDocuments(text)) {
      const yamlErrors = doc.errors.map((e) => ({ file: path, line: e.line, field: '', message: `invalid YAML: ${e.message}` }));
      problems.push(...yamlErrors);
      if (yamlErrors.length > 0 || doc.value === null || doc.value === undefined) continue;
      const found = schemaProblems(validateDenyList, doc, path).map((p) => (p.message === TOO_FEW ? { ...p, message: NO_MATCHER } : p));
      problems.push(...found);
      if (found.length === 0) deny.push(...(doc.value as DenyEntry[]));
    }
  }

  const settings = new Map<string, RegistrySettings>();
  for (const [i, registry] of images.registries.entries()) {
    let ca: string | undefined;
    if (registry.ca) {
      const text = await readText(registry.ca);
      if (text instanceof Error) at(['images', 'registries', i, 'ca'], `cannot read ${registry.ca}: ${text.message}`);
      else ca = text;
    }
    settings.set(registry.host, { ...(ca ? { ca } : {}), insecure: registry.insecure });
  }
  if (images.dockerConfig) {
    const text = await readText(images.dockerConfig);
    if (text instanceof Error) at(['images', 'dockerConfig'], `cannot read ${images.dockerConfig}: ${text.message}`);
    else {
      try {
        // The file holds passwords: a parse error says where, never what.
        for (const [host, credentials] of parseDockerConfig(text)) settings.set(host, { ...settings.get(host), credentials });
      } catch {
        at(['images', 'dockerConfig'], `${images.dockerConfig} is not a docker config (JSON with "auths")`);
      }
    }
  }

  const timeoutMs = images.timeoutSeconds * 1000;
  if (problems.length > 0) return { problems, timeoutMs };
  const client = new RegistryClient({ registries: (host) => settings.get(host) });
  const verifier = new ImageVerifier({
    client,
    policies,
    deny,
    tagTtlMs: images.tagTtlSeconds * 1000,
    digestTtlMs: images.digestTtlSeconds * 1000,
  });
  return { verifier, timeoutMs, problems: [] };
}
