/**
 * A real OCI registry on loopback (`crane registry serve`, in memory) with images pushed by the
 * real `crane` and signed by the real `cosign` CLI (key-based, transparency log off), both built
 * from Go modules by test/tools/build-go-tools.sh. What the image-verification tests run against.
 *
 * Images (all tiny, one layer made here):
 * - `signed`: signed with the trusted key;
 * - `unsigned`;
 * - `other-key`: signed with a key Palisade does not trust;
 * - `tampered`: signed with the trusted key, then its signature bytes changed in the registry;
 * - `multi`: an OCI index of two platform images, the index signed with the trusted key;
 * - `swapped`: the trusted signature of `signed` copied under its own signature tag;
 * - `bundled`: signed with the trusted key by `cosign sign --new-bundle-format` (a Sigstore
 *   bundle attached as an OCI referrer, through the referrers tag schema);
 * - `keyless`, `keylessBundle`, `keylessStranger`: signed keylessly by a private Sigstore instance
 *   (test/images/sigstore-instance.ts, whose trust root is `trustedRoot`), as cosign stores it: a
 *   `.sig` layer with certificate and Rekor entry; a bundle referrer; a `.sig` layer of an
 *   identity Palisade does not trust.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { goToolsBin } from '../../chart/helm.js';
import { freePort } from '../control-plane/harness.js';
import { ISSUER, sigstoreInstance, type SigLayer } from '../../images/sigstore-instance.js';

export interface Registry {
  /** `127.0.0.1:PORT` */
  host: string;
  /** Trusted public key (PEM file) and another key's. */
  trustedKey: string;
  otherKey: string;
  /** Reference (host/repo:tag) and digest of each image. */
  images: Record<'signed' | 'unsigned' | 'otherKey' | 'tampered' | 'multi' | 'swapped' | 'bundled' | 'keyless' | 'keylessBundle' | 'keylessStranger', { ref: string; digest: string }>;
  /** The private Sigstore instance's trusted_root.json (file), and the identity it signed as. */
  trustedRoot: string;
  keylessIdentity: { issuer: string; subject: string };
  crane(args: string[]): string;
  stop(): Promise<void>;
  /** Stops the registry process only (the "registry down" case); stop() still cleans up. */
  kill(): Promise<void>;
}

export async function startRegistry(): Promise<Registry> {
  const bin = goToolsBin();
  const work = mkdtempSync(join(tmpdir(), 'palisade-registry-'));
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  const child: ChildProcess = spawn(join(bin, 'crane'), ['registry', 'serve', '--address', host], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const kill = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
  };
  const stop = async (): Promise<void> => {
    await kill();
    rmSync(work, { recursive: true, force: true });
  };
  try {
    for (let i = 0; ; i++) {
      const ok = await fetch(`http://${host}/v2/`).then((r) => r.status === 200, () => false);
      if (ok) break;
      if (i > 100) throw new Error(`crane registry serve did not start: ${stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const env = { ...process.env, COSIGN_PASSWORD: 'test-only', COSIGN_YES: 'true' };
    const run = (name: string, args: string[], cwd = work): string => {
      const result = spawnSync(join(bin, name), args, { cwd, env, encoding: 'utf8' });
      if (result.status !== 0) throw new Error(`${name} ${args.join(' ')}: ${result.stderr}`);
      return result.stdout.trim();
    };
    const crane = (args: string[]): string => run('crane', [...args, '--insecure']);
    run('cosign', ['generate-key-pair', '--output-key-prefix', 'trusted']);
    run('cosign', ['generate-key-pair', '--output-key-prefix', 'other']);
    const sign = (key: string, ref: string): void => {
      run('cosign', ['sign', '--key', join(work, `${key}.key`), '--tlog-upload=false', '--allow-http-registry', '--allow-insecure-registry', ref]);
    };
    const push = (name: string, content: string): { ref: string; digest: string } => {
      const layer = join(work, `${name}.tar`);
      const folder = join(work, `${name}-layer`);
      spawnSync('mkdir', ['-p', folder]);
      writeFileSync(join(folder, 'hello.txt'), content);
      const tar = spawnSync('tar', ['-cf', layer, '-C', folder, 'hello.txt']);
      if (tar.status !== 0) throw new Error(`tar: ${tar.stderr.toString()}`);
      const ref = `${host}/palisade-test/${name}:1.0`;
      crane(['append', '-f', layer, '-t', ref]);
      return { ref, digest: crane(['digest', ref]) };
    };
    const signed = push('signed', 'signed');
    sign('trusted', `${host}/palisade-test/signed@${signed.digest}`);
    const unsigned = push('unsigned', 'unsigned');
    const otherKey = push('other-key', 'other');
    sign('other', `${host}/palisade-test/other-key@${otherKey.digest}`);
    const tampered = push('tampered', 'tampered');
    sign('trusted', `${host}/palisade-test/tampered@${tampered.digest}`);
    await tamper(host, 'palisade-test/tampered', `${tampered.digest.replace(':', '-')}.sig`);
    const amd = push('multi-amd64', 'amd64');
    const arm = push('multi-arm64', 'arm64');
    const multiRef = `${host}/palisade-test/multi:1.0`;
    crane(['index', 'append', '-m', amd.ref, '-m', arm.ref, '-t', multiRef]);
    const multi = { ref: multiRef, digest: crane(['digest', multiRef]) };
    sign('trusted', `${host}/palisade-test/multi@${multi.digest}`);
    const swapped = push('swapped', 'swapped');
    crane(['copy', `${host}/palisade-test/signed:${signed.digest.replace(':', '-')}.sig`, `${host}/palisade-test/swapped:${swapped.digest.replace(':', '-')}.sig`]);
    const bundled = push('bundled', 'bundled');
    run('cosign', ['sign', '--key', join(work, 'trusted.key'), '--new-bundle-format', '--tlog-upload=false', '--allow-http-registry', '--allow-insecure-registry', `${host}/palisade-test/bundled@${bundled.digest}`]);

    const sigstore = await sigstoreInstance();
    writeFileSync(join(work, 'trusted_root.json'), sigstore.trustedRoot);
    const keylessIdentity = { issuer: ISSUER, subject: 'https://github.com/example/app/.github/workflows/release.yaml@refs/heads/main' };
    const keyless = push('keyless', 'keyless');
    await pushSigLayer(host, 'palisade-test/keyless', keyless.digest, await sigstore.sigLayer(keyless.digest, `${host}/palisade-test/keyless`, keylessIdentity));
    const keylessStranger = push('keyless-stranger', 'keyless-stranger');
    const stranger = { issuer: ISSUER, subject: 'https://github.com/stranger/app/.github/workflows/release.yaml@refs/heads/main' };
    await pushSigLayer(host, 'palisade-test/keyless-stranger', keylessStranger.digest, await sigstore.sigLayer(keylessStranger.digest, `${host}/palisade-test/keyless-stranger`, stranger));
    const keylessBundle = push('keyless-bundle', 'keyless-bundle');
    await pushBundleReferrer(host, 'palisade-test/keyless-bundle', keylessBundle.digest, await sigstore.bundle(keylessBundle.digest, keylessIdentity));
    return {
      host,
      trustedKey: join(work, 'trusted.pub'),
      otherKey: join(work, 'other.pub'),
      trustedRoot: join(work, 'trusted_root.json'),
      keylessIdentity,
      images: { signed, unsigned, otherKey, tampered, multi, swapped, bundled, keyless, keylessBundle, keylessStranger },
      crane,
      stop,
      kill,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Rewrites the first signature annotation of a signature manifest (one bit of it flipped). */
async function tamper(host: string, repository: string, tag: string): Promise<void> {
  const url = `http://${host}/v2/${repository}/manifests/${tag}`;
  const res = await fetch(url, { headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } });
  const manifest = (await res.json()) as { mediaType?: string; layers: { annotations: Record<string, string> }[] };
  const layer = manifest.layers[0];
  const signature = Buffer.from(layer?.annotations['dev.cosignproject.cosign/signature'] ?? '', 'base64');
  signature[signature.length - 1] = (signature[signature.length - 1] ?? 0) ^ 1;
  if (layer) layer.annotations['dev.cosignproject.cosign/signature'] = signature.toString('base64');
  const put = await fetch(url, { method: 'PUT', headers: { 'content-type': manifest.mediaType ?? 'application/vnd.oci.image.manifest.v1+json' }, body: JSON.stringify(manifest) });
  if (put.status >= 300) throw new Error(`tampering with ${tag}: ${put.status} ${await put.text()}`);
}

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const EMPTY_CONFIG = { mediaType: 'application/vnd.oci.empty.v1+json', digest: `sha256:${createHash('sha256').update('{}').digest('hex')}`, size: 2 };

/** Uploads a blob (POST, then PUT with its digest: the distribution spec's two-step upload). */
async function pushBlob(host: string, repository: string, bytes: Buffer): Promise<{ digest: string; size: number }> {
  const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
  const started = await fetch(`http://${host}/v2/${repository}/blobs/uploads/`, { method: 'POST' });
  const location = new URL(started.headers.get('location') ?? '', `http://${host}`);
  location.searchParams.set('digest', digest);
  const put = await fetch(location, { method: 'PUT', headers: { 'content-type': 'application/octet-stream' }, body: bytes });
  if (put.status >= 300) throw new Error(`blob upload: ${put.status} ${await put.text()}`);
  return { digest, size: bytes.length };
}

async function putManifest(host: string, repository: string, reference: string, manifest: object, mediaType: string): Promise<string> {
  const body = Buffer.from(JSON.stringify(manifest));
  const put = await fetch(`http://${host}/v2/${repository}/manifests/${reference}`, { method: 'PUT', headers: { 'content-type': mediaType }, body });
  if (put.status >= 300) throw new Error(`manifest ${reference}: ${put.status} ${await put.text()}`);
  return `sha256:${createHash('sha256').update(body).digest('hex')}`;
}

/** A keyless `.sig` manifest, as cosign writes one. */
async function pushSigLayer(host: string, repository: string, digest: string, layer: SigLayer): Promise<void> {
  await pushBlob(host, repository, Buffer.from('{}'));
  const payload = await pushBlob(host, repository, layer.payload);
  await putManifest(host, repository, `${digest.replace(':', '-')}.sig`, {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: EMPTY_CONFIG,
    layers: [{ mediaType: 'application/vnd.dev.cosign.simplesigning.v1+json', ...payload, annotations: layer.annotations }],
  }, OCI_MANIFEST);
}

/** A Sigstore bundle attached as a referrer, through the referrers tag schema (`sha256-<hex>`), as cosign does on a registry without the API. */
async function pushBundleReferrer(host: string, repository: string, digest: string, bundle: string): Promise<void> {
  const bundleType = 'application/vnd.dev.sigstore.bundle.v0.3+json';
  await pushBlob(host, repository, Buffer.from('{}'));
  const layer = await pushBlob(host, repository, Buffer.from(bundle));
  const subject = await fetch(`http://${host}/v2/${repository}/manifests/${digest}`, { method: 'HEAD', headers: { accept: 'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json' } });
  const manifest = {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    artifactType: bundleType,
    config: EMPTY_CONFIG,
    layers: [{ mediaType: bundleType, ...layer }],
    subject: { mediaType: subject.headers.get('content-type') ?? OCI_MANIFEST, digest, size: Number(subject.headers.get('content-length') ?? 0) },
  };
  const size = Buffer.byteLength(JSON.stringify(manifest));
  const manifestDigest = await putManifest(host, repository, `sha256:${createHash('sha256').update(JSON.stringify(manifest)).digest('hex')}`, manifest, OCI_MANIFEST);
  await putManifest(host, repository, digest.replace(':', '-'), {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: [{ mediaType: OCI_MANIFEST, digest: manifestDigest, size, artifactType: bundleType }],
  }, 'application/vnd.oci.image.index.v1+json');
}
