/**
 * Updates a directory the way the kubelet updates a mounted Secret or ConfigMap (AtomicWriter):
 * the files go into a new `..<timestamp>` directory, a `..data_tmp` symlink to it is renamed over
 * `..data`, and the visible names are symlinks to `..data/<name>`, so readers switch from the old
 * set to the new one in a single rename.
 */
import { mkdir, readlink, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

let generation = 0;

export async function writeKubeVolume(dir: string, files: Record<string, string>): Promise<void> {
  const stamp = `..2026_01_01_00_00_00.${process.pid}_${++generation}`;
  await mkdir(join(dir, stamp), { recursive: true });
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, stamp, name), text, { mode: 0o600 });
  const old = await readlink(join(dir, '..data')).catch(() => undefined);
  await symlink(stamp, join(dir, '..data_tmp'));
  await rename(join(dir, '..data_tmp'), join(dir, '..data'));
  for (const name of Object.keys(files)) {
    await symlink(join('..data', name), join(dir, name)).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'EEXIST') throw error;
    });
  }
  if (old !== undefined && old !== stamp) await rm(join(dir, old), { recursive: true, force: true });
}
