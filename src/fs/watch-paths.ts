/**
 * Tells the caller, once things settle, that files or directories changed: certificates, the
 * config file, rule folders. Built for the ways these change under Kubernetes and its tools:
 *
 * - Mounted Secrets and ConfigMaps change by writing a new `..2026_…` directory and renaming a
 *   `..data` symlink over the old one; the visible files are symlinks through `..data` and are
 *   never written themselves. Editors and cert-manager write a new file and rename it. Either way
 *   a watch on the *file* goes stale, so the watch is on its *directory*, and what counts is what
 *   the path resolves to (inode, size, mtime, ctime), compared before and after.
 * - Events are only hints: each one (debounced) triggers a fresh snapshot of the paths, and
 *   onChange runs only when the snapshot differs. So spurious events cost a stat, and lost events
 *   (inotify queue overflow, a directory deleted and recreated, a path that does not exist yet,
 *   filesystems without inotify) are caught by a slow poll of the same snapshot.
 * - Recursive folders watch each directory separately instead of `fs.watch(…, {recursive: true})`:
 *   on Linux that option is emulated in JavaScript in Node 20, which misses events while it walks
 *   the tree (nodejs/node#48437) and can throw on deletions (nodejs/node#52018). Rescanning the
 *   snapshot after every event also sees files written into a directory before its watch existed.
 *
 * Checks never overlap, and onChange is awaited before the next one. Timers are unref()'d and
 * watches are non-persistent: this never keeps the process alive.
 */
import { watch, type BigIntStats, type FSWatcher } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';

export interface WatchPathsOptions {
  /** Files or directories; they need not exist yet. */
  paths: readonly string[];
  /** Descend into subdirectories of directory paths (rule folders). Default false. */
  recursive?: boolean;
  /** Quiet time after the last event before looking. Default 200 ms. */
  debounceMs?: number;
  /** Safety-net poll. Default 2000 ms. */
  pollMs?: number;
  onChange: () => void | Promise<void>;
  /** Errors of onChange and of the watches themselves. Default: a process warning. */
  onError?: (error: Error) => void;
  signal?: AbortSignal;
}

export interface PathWatcher {
  /** Resolves once the first snapshot is taken; changes from then on are reported. */
  readonly ready: Promise<void>;
  close(): void;
}

export const DEFAULT_DEBOUNCE_MS = 200;
export const DEFAULT_POLL_MS = 2000;

interface Snapshot {
  signature: string;
  /** Directories to watch, with their inode, so a recreated directory gets a new watch. */
  dirs: Map<string, bigint>;
}

export function watchPaths(options: WatchPathsOptions): PathWatcher {
  const debounceMs = options.debounceMs ?? DEFAULT_DEBOUNCE_MS;
  const onError = options.onError ?? ((error: Error) => process.emitWarning(error));
  const watches = new Map<string, { watcher: FSWatcher; ino: bigint }>();
  const unwatchable = new Set<string>();
  let last: string | undefined;
  let closed = false;
  let running = false;
  let again = false;
  let debounce: NodeJS.Timeout | undefined;

  const schedule = (): void => {
    if (closed) return;
    clearTimeout(debounce);
    debounce = setTimeout(() => void check(), debounceMs);
    debounce.unref();
  };

  const reconcile = (dirs: Map<string, bigint>): void => {
    for (const [dir, entry] of watches) {
      if (dirs.get(dir) === entry.ino) continue;
      entry.watcher.close();
      watches.delete(dir);
    }
    for (const [dir, ino] of dirs) {
      if (watches.has(dir)) continue;
      try {
        const watcher = watch(dir, { persistent: false }, schedule);
        watcher.on('error', () => {
          // The directory went away or became unreadable: drop the watch, look again soon.
          watcher.close();
          if (watches.get(dir)?.watcher === watcher) watches.delete(dir);
          schedule();
        });
        watches.set(dir, { watcher, ino });
      } catch (error) {
        // Gone since the snapshot (the next one will tell), or out of inotify watches (the poll
        // covers it: said once per directory, not on every poll).
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT' && !unwatchable.has(dir)) onError(error as Error);
        unwatchable.add(dir);
      }
    }
  };

  const check = async (): Promise<void> => {
    if (closed) return;
    if (running) {
      again = true;
      return;
    }
    running = true;
    try {
      const snapshot = await takeSnapshot(options.paths, options.recursive ?? false);
      if (closed) return;
      reconcile(snapshot.dirs);
      const changed = last !== undefined && snapshot.signature !== last;
      last = snapshot.signature;
      if (changed) await options.onChange();
    } catch (error) {
      onError(error instanceof Error ? error : new Error(String(error)));
    } finally {
      running = false;
      if (again) {
        again = false;
        schedule();
      }
    }
  };

  const poll = setInterval(() => void check(), options.pollMs ?? DEFAULT_POLL_MS);
  poll.unref();

  const close = (): void => {
    if (closed) return;
    closed = true;
    clearTimeout(debounce);
    clearInterval(poll);
    for (const { watcher } of watches.values()) watcher.close();
    watches.clear();
    options.signal?.removeEventListener('abort', close);
  };
  if (options.signal?.aborted) close();
  else options.signal?.addEventListener('abort', close, { once: true });

  return { ready: check(), close };
}

/** What every path resolves to now, as one comparable string, and which directories to watch. */
async function takeSnapshot(paths: readonly string[], recursive: boolean): Promise<Snapshot> {
  const lines: string[] = [];
  const dirs = new Map<string, bigint>();
  const visited = new Set<string>();

  const visitDir = async (dir: string, ino: bigint, descend: boolean): Promise<void> => {
    dirs.set(dir, ino);
    let names: string[];
    try {
      names = (await readdir(dir)).sort();
    } catch {
      lines.push(`${dir}\tunreadable`);
      return;
    }
    for (const name of names) {
      const path = join(dir, name);
      const info = await statOrUndefined(path);
      if (!info) {
        lines.push(`${path}\tmissing`);
      } else if (info.isDirectory()) {
        lines.push(`${path}\tdir ${info.ino}`);
        const key = `${info.dev}:${info.ino}`;
        // Symlinks may lead to a directory already seen (Kubernetes' ..data) or to a loop.
        if (descend && !visited.has(key)) {
          visited.add(key);
          await visitDir(path, info.ino, true);
        }
      } else {
        lines.push(`${path}\t${fileSignature(info)}`);
      }
    }
  };

  for (const path of paths) {
    const info = await statOrUndefined(path);
    if (!info) {
      lines.push(`${path}\tmissing`);
      // Watch the parent to see the path appear; deeper absences are left to the poll.
      const parent = await statOrUndefined(dirname(path));
      if (parent?.isDirectory()) dirs.set(dirname(path), parent.ino);
    } else if (info.isDirectory()) {
      lines.push(`${path}\tdir ${info.ino}`);
      visited.add(`${info.dev}:${info.ino}`);
      await visitDir(path, info.ino, recursive);
    } else {
      lines.push(`${path}\t${fileSignature(info)}`);
      // The directory, not the file: see the header.
      const parent = await statOrUndefined(dirname(path));
      if (parent) dirs.set(dirname(path), parent.ino);
    }
  }
  return { signature: lines.join('\n'), dirs };
}

async function statOrUndefined(path: string): Promise<BigIntStats | undefined> {
  try {
    return await stat(path, { bigint: true });
  } catch {
    return undefined;
  }
}

function fileSignature(info: BigIntStats): string {
  return `${info.dev}:${info.ino} ${info.size} ${info.mtimeNs} ${info.ctimeNs}`;
}
