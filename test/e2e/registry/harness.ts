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
 * - `swapped`: the trusted signature of `signed` copied under its own signature tag.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { goToolsBin } from '../../chart/helm.js';
import { freePort } from '../control-plane/harness.js';

export interface Registry {
  /** `127.0.0.1:PORT` */
  host: string;
  /** Trusted public key (PEM file) and another key's. */
  trustedKey: string;
  otherKey: string;
  /** Reference (host/repo:tag) and digest of each image. */
  images: Record<'signed' | 'unsigned' | 'otherKey' | 'tampered' | 'multi' | 'swapped', { ref: string; digest: string }>;
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
    return {
      host,
      trustedKey: join(work, 'trusted.pub'),
      otherKey: join(work, 'other.pub'),
      images: { signed, unsigned, otherKey, tampered, multi, swapped },
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
