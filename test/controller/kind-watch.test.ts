/**
 * One kind's watch, kept alive: a normal end resumes from the last version seen (bookmarks too),
 * 410 Gone (refused, or an ERROR event) relists, other errors back off exponentially up to the cap,
 * a silent watch is restarted by the watchdog, aborting stops it. Scripted watches, a fake clock.
 */
import t from 'tap';
import { KubeApiError } from '../../src/audit/kube-api.js';
import { KindWatch, type KindWatchOptions, type RestartReason } from '../../src/controller/kind-watch.js';
import type { WatchApi, WatchEvent, WatchQuery } from '../../src/controller/watch-stream.js';

type Script = (query: WatchQuery, signal: AbortSignal) => AsyncIterable<WatchEvent>;

/** Each watch request runs the next script; when they run out, the watch waits until aborted. */
class ScriptedWatches implements WatchApi {
  readonly requests: WatchQuery[] = [];
  readonly #scripts: Script[];
  constructor(scripts: Script[]) {
    this.#scripts = scripts;
  }
  watch(_path: string, query: WatchQuery, signal: AbortSignal): AsyncIterable<WatchEvent> {
    this.requests.push(query);
    const script = this.#scripts.shift() ?? (() => hang(signal));
    return script(query, signal);
  }
}

async function* hang(signal: AbortSignal): AsyncIterable<WatchEvent> {
  await new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true }));
}

async function* events(list: WatchEvent[]): AsyncIterable<WatchEvent> {
  for (const event of list) yield event;
}

async function* refuse(error: Error): AsyncIterable<WatchEvent> {
  throw error;
}

const pod = (version: string, name = 'p'): WatchEvent => ({ type: 'ADDED', object: { metadata: { name, resourceVersion: version } } });

function harness(scripts: Script[], options: Partial<KindWatchOptions> = {}) {
  const api = new ScriptedWatches(scripts);
  const received: WatchEvent[] = [];
  const restarts: RestartReason[] = [];
  const sleeps: number[] = [];
  let clock = 0;
  const controller = new AbortController();
  const watch = new KindWatch({
    api,
    path: '/api/v1/pods',
    label: 'Pod',
    resourceVersion: '100',
    onEvent: (event) => received.push(event),
    relist: async () => '500',
    onRestart: (reason) => restarts.push(reason),
    timing: {
      initialBackoffMs: 100,
      maxBackoffMs: 800,
      staleAfterMs: 60_000,
      watchdogMs: 3_600_000,
      now: () => clock,
      random: () => 0.999,
      sleep: async (ms, signal) => {
        signal.throwIfAborted();
        sleeps.push(ms);
        clock += ms;
        await new Promise((resolve) => setImmediate(resolve));
      },
    },
    ...options,
  });
  const running = watch.run(controller.signal);
  return {
    api,
    watch,
    received,
    restarts,
    sleeps,
    advance: (ms: number) => (clock += ms),
    /** Waits (turns of the event loop, no timers) until `check` holds. */
    async until(check: () => boolean): Promise<void> {
      for (let i = 0; i < 10_000 && !check(); i++) await new Promise((resolve) => setImmediate(resolve));
      if (!check()) throw new Error('condition never held');
    },
    stop: async () => {
      controller.abort();
      await running;
    },
  };
}

t.test('events are passed on; a normal end resumes from the last version seen, bookmarks included', async (t) => {
  const h = harness([
    () => events([pod('101'), pod('102'), { type: 'BOOKMARK', object: { metadata: { resourceVersion: '150' } } }]),
    () => events([pod('151')]),
  ]);
  await h.until(() => h.api.requests.length === 3);
  await h.stop();
  t.same(h.received.map((e) => e.object['metadata']), [{ name: 'p', resourceVersion: '101' }, { name: 'p', resourceVersion: '102' }, { name: 'p', resourceVersion: '151' }], 'bookmarks are not passed on');
  t.same(h.api.requests.map((q) => q.resourceVersion), ['100', '150', '151']);
  t.ok(h.api.requests.every((q) => q.allowWatchBookmarks && (q.timeoutSeconds ?? 0) >= 300), 'bookmarks asked for; the server ends each watch after 5–10 min');
  t.same(h.restarts, [], 'a normal end is not a restart');
});

t.test('410 Gone, refused or as an ERROR event: the kind is listed again and watched from that list', async (t) => {
  const h = harness([
    () => refuse(new KubeApiError(410, 'Expired', 'too old resource version')),
    () => events([pod('501'), { type: 'ERROR', object: { kind: 'Status', code: 410, reason: 'Expired', message: 'too old' } }]),
  ]);
  await h.until(() => h.api.requests.length === 3);
  await h.stop();
  t.same(h.restarts, ['gone', 'gone']);
  t.same(h.api.requests.map((q) => q.resourceVersion), ['100', '500', '500'], 'from the relist’s version each time');
  t.same(h.sleeps, [], 'no backoff before a relist');
});

t.test('other errors: capped exponential backoff from the last version; a success resets it', async (t) => {
  const down = () => refuse(new Error('connect ECONNREFUSED 127.0.0.1:6443'));
  const h = harness([down, down, down, down, down, () => events([pod('103')]), down]);
  await h.until(() => h.api.requests.length === 8);
  await h.stop();
  t.same(h.sleeps, [100, 200, 400, 800, 800, 100], 'doubling to the cap, back to the start after events');
  t.same(h.restarts, ['error', 'error', 'error', 'error', 'error', 'error']);
  t.same(h.api.requests.map((q) => q.resourceVersion), ['100', '100', '100', '100', '100', '100', '103', '103']);
});

t.test('a watch that ends at once without a word counts as a failure (no busy loop)', async (t) => {
  const h = harness([() => events([]), () => events([])]);
  await h.until(() => h.api.requests.length === 3);
  await h.stop();
  t.same(h.restarts, ['error', 'error']);
  t.same(h.sleeps, [100, 200]);
});

t.test('the watchdog restarts a watch silent for too long', async (t) => {
  const h = harness([]);
  await h.until(() => h.api.requests.length === 1);
  h.advance(30_000);
  t.notOk(h.watch.checkStaleness(), 'not yet');
  h.advance(31_000);
  t.ok(h.watch.checkStaleness(), 'silent for 61 s');
  await h.until(() => h.api.requests.length === 2);
  await h.stop();
  t.same(h.restarts, ['stale']);
  t.same(h.api.requests.map((q) => q.resourceVersion), ['100', '100']);
});

t.test('a relist that fails backs off and tries the watch again', async (t) => {
  let relists = 0;
  const h = harness([() => refuse(new KubeApiError(410, 'Gone', 'gone'))], {
    relist: async () => {
      relists += 1;
      throw new Error('the API server is down');
    },
  });
  await h.until(() => h.api.requests.length === 2);
  await h.stop();
  t.equal(relists, 1);
  t.same(h.restarts, ['gone', 'error']);
  t.same(h.sleeps, [100]);
});

t.test('aborting ends run() at once, in a watch or in a backoff', async (t) => {
  const h = harness([]);
  await h.until(() => h.api.requests.length === 1);
  await h.stop();
  t.pass('stopped while watching');
  const slow = harness([() => refuse(new Error('down'))], {});
  await slow.until(() => slow.sleeps.length === 1);
  await slow.stop();
  t.pass('stopped while backing off');
});
