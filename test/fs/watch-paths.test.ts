/**
 * watchPaths on a real filesystem: the ways config, rules and certificates really change (edit in
 * place, write-and-rename, the kubelet's ..data symlink swap, folders appearing and disappearing),
 * one debounced call per burst, nothing for unrelated changes, nothing after close.
 * Most tests set a poll far longer than the test, so they prove the inotify path; one proves the poll.
 * A new directory's watch exists before onChange reports it, so tests write into it straight away.
 */
import t, { type Test } from 'tap';
import { writeFileSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { watchPaths, type WatchPathsOptions } from '../../src/fs/watch-paths.js';
import { writeKubeVolume } from './kube-volume.js';
import { waitFor } from './wait-for.js';

const DEBOUNCE_MS = 40;
const NO_POLL_MS = 600_000;
/** Long enough for a change that is (wrongly) noticed to be reported: only for "nothing happens" checks. */
const QUIET_MS = DEBOUNCE_MS * 6;

async function watching(t: Test, options: Omit<WatchPathsOptions, 'onChange'>) {
  const state = { calls: 0, errors: [] as Error[] };
  const watcher = watchPaths({
    debounceMs: DEBOUNCE_MS,
    pollMs: NO_POLL_MS,
    onError: (error) => state.errors.push(error),
    ...options,
    onChange: () => {
      state.calls++;
    },
  });
  t.teardown(() => watcher.close());
  await watcher.ready;
  const changes = async (n: number, what: string): Promise<void> => {
    await waitFor(() => state.calls >= n, what);
    t.pass(what);
  };
  return { state, watcher, changes };
}

t.test('a file edited in place: one call for a burst of writes', async (t) => {
  const dir = t.testdir({ 'config.yaml': 'a: 1\n' });
  const file = join(dir, 'config.yaml');
  const { state, changes } = await watching(t, { paths: [file] });
  // Synchronous writes: the burst cannot be interleaved with a check, so exactly one call is due.
  for (let i = 0; i < 5; i++) writeFileSync(file, `a: ${i + 2}\n`);
  await changes(1, 'the edit');
  await delay(QUIET_MS);
  t.equal(state.calls, 1, 'debounced into one call');
  t.same(state.errors, []);
});

t.test('a file replaced by rename (editors, cert-manager) and then edited again', async (t) => {
  const dir = t.testdir({ 'config.yaml': 'a: 1\n' });
  const file = join(dir, 'config.yaml');
  const { changes } = await watching(t, { paths: [file] });
  await writeFile(join(dir, '.config.yaml.tmp'), 'a: 2\n');
  await rename(join(dir, '.config.yaml.tmp'), file);
  await changes(1, 'the rename');
  await writeFile(file, 'a: 3\n');
  await changes(2, 'an edit of the new file');
});

t.test('the kubelet swaps ..data under a watched file and a watched folder', async (t) => {
  const dir = t.testdir({});
  await writeKubeVolume(dir, { 'config.yaml': 'a: 1\n', 'other.yaml': 'b: 1\n' });
  const file = await watching(t, { paths: [join(dir, 'config.yaml')] });
  const folder = await watching(t, { paths: [dir] });
  await writeKubeVolume(dir, { 'config.yaml': 'a: 2\n', 'other.yaml': 'b: 1\n' });
  await file.changes(1, 'the file path to notice the swap');
  await folder.changes(1, 'the folder path to notice the swap');
  await writeKubeVolume(dir, { 'config.yaml': 'a: 3\n', 'other.yaml': 'b: 1\n' });
  await file.changes(2, 'the second swap');
  await folder.changes(2, 'the second swap');
});

t.test('unrelated files beside a watched file do not count', async (t) => {
  const dir = t.testdir({ 'config.yaml': 'a: 1\n' });
  const { state } = await watching(t, { paths: [join(dir, 'config.yaml')] });
  await writeFile(join(dir, 'notes.txt'), 'x');
  await rm(join(dir, 'notes.txt'));
  await delay(QUIET_MS);
  t.equal(state.calls, 0);
});

t.test('recursive folders: files in subfolders, new subfolders and files written into them at once', async (t) => {
  const dir = t.testdir({ rules: { a: { 'a.yaml': '1' } } });
  const rules = join(dir, 'rules');
  const { changes } = await watching(t, { paths: [rules], recursive: true });
  await writeFile(join(rules, 'a', 'a.yaml'), '2');
  await changes(1, 'a change one level down');
  await mkdir(join(rules, 'b', 'c'), { recursive: true });
  await writeFile(join(rules, 'b', 'c', 'c.yaml'), '1');
  await changes(2, 'a new nested folder with a file');
  await writeFile(join(rules, 'b', 'c', 'c.yaml'), '2');
  await changes(3, 'an edit inside the new folder');
  await rm(join(rules, 'a'), { recursive: true });
  await changes(4, 'a removed subfolder');
});

t.test('without recursive, changes inside subfolders do not count', async (t) => {
  const dir = t.testdir({ certs: { sub: { 'x.crt': '1' }, 'tls.crt': '1' } });
  const certs = join(dir, 'certs');
  const { state, changes } = await watching(t, { paths: [certs] });
  await writeFile(join(certs, 'sub', 'x.crt'), '2');
  await delay(QUIET_MS);
  t.equal(state.calls, 0);
  await writeFile(join(certs, 'tls.crt'), '2');
  await changes(1, 'a top-level change');
});

t.test('a folder that does not exist yet, then is deleted and recreated', async (t) => {
  const dir = t.testdir({});
  const certs = join(dir, 'certs');
  const { changes } = await watching(t, { paths: [certs] });
  await mkdir(certs);
  await writeFile(join(certs, 'tls.crt'), '1');
  await changes(1, 'the folder to appear (seen through its parent)');
  await rm(certs, { recursive: true });
  await changes(2, 'the folder to go');
  await mkdir(certs);
  await writeFile(join(certs, 'tls.crt'), '2');
  await changes(3, 'the folder to come back');
  await writeFile(join(certs, 'tls.crt'), '3');
  await changes(4, 'a change in the recreated folder (a new watch)');
});

t.test('the poll finds what no watch can see: a path whose parent does not exist yet', async (t) => {
  const dir = t.testdir({});
  const deep = join(dir, 'a', 'b', 'config.yaml');
  const { changes } = await watching(t, { paths: [deep], pollMs: 50 });
  await mkdir(join(dir, 'a', 'b'), { recursive: true });
  await writeFile(deep, 'x');
  await changes(1, 'the poll to notice the file');
});

t.test('close() and an aborted signal stop all calls', async (t) => {
  const dir = t.testdir({ 'a.yaml': '1', 'b.yaml': '1' });
  const closed = await watching(t, { paths: [join(dir, 'a.yaml')], pollMs: 20 });
  closed.watcher.close();
  const controller = new AbortController();
  const aborted = await watching(t, { paths: [join(dir, 'b.yaml')], pollMs: 20, signal: controller.signal });
  controller.abort();
  await writeFile(join(dir, 'a.yaml'), '2');
  await writeFile(join(dir, 'b.yaml'), '2');
  await delay(QUIET_MS);
  t.equal(closed.state.calls, 0);
  t.equal(aborted.state.calls, 0);
});

t.test('onChange is awaited: checks never overlap, and a failing onChange is reported', async (t) => {
  const dir = t.testdir({ 'a.yaml': '1' });
  const file = join(dir, 'a.yaml');
  let running = 0;
  let overlapped = false;
  let calls = 0;
  const errors: Error[] = [];
  const watcher = watchPaths({
    paths: [file],
    debounceMs: 5,
    pollMs: 5,
    onError: (error) => errors.push(error),
    onChange: async () => {
      calls++;
      overlapped ||= running > 0;
      running++;
      await delay(50);
      running--;
      if (calls === 1) throw new Error('reload failed');
    },
  });
  t.teardown(() => watcher.close());
  await watcher.ready;
  await writeFile(file, '2');
  await waitFor(() => calls >= 1, 'the first call');
  await writeFile(file, '3');
  await waitFor(() => calls >= 2, 'the second call');
  t.notOk(overlapped);
  t.match(errors, [{ message: 'reload failed' }]);
});
