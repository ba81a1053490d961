/**
 * Keeps the served policy current: watches the rule folders (but not the built-in ones, which ship
 * with the package), the configuration file and every file
 * it names (exception files, image verification's keys, CA bundles, deny lists, docker config), and
 * reloads on change. The files named are those of the configuration last loaded, so a reload that
 * names a new key file starts watching it. A reload that fails keeps the last good set, and
 * says why in /readyz, the log and the load-status metric.
 */
import { resolve } from 'node:path';
import type { Logger } from 'pino';
import { BUILTIN_RULES_DIR } from '../paths.js';
import { watchPaths, type PathWatcher } from '../fs/watch-paths.js';
import { filesNamedBy } from '../config/named-files.js';
import type { PalisadeConfig } from '../config/types.js';
import { formatProblem } from '../rules/problems.js';
import { loadPolicy, type PolicySources } from './load-policy.js';
import type { Metrics } from './metrics.js';
import type { PolicyHolder } from './policy-holder.js';

export interface PolicyReloaderOptions {
  sources: PolicySources;
  holder: PolicyHolder;
  metrics: Metrics;
  log: Logger;
  clock?: () => Date;
}

export class PolicyReloader {
  readonly #options: PolicyReloaderOptions;
  #watcher: PathWatcher | undefined;
  /** Set by watch(); reloads before it only load. */
  #watching = false;
  /** What the watcher watches, joined. */
  #watched = '';
  #closed = false;

  constructor(options: PolicyReloaderOptions) {
    this.#options = options;
  }

  /** Loads once; true when a set is now served. */
  async reload(): Promise<boolean> {
    const { sources, holder, metrics, log } = this.#options;
    const now = (this.#options.clock ?? (() => new Date()))();
    const load = await loadPolicy(sources, now);
    let served: boolean;
    if ('ruleSet' in load) {
      const policy = holder.replace(load.ruleSet, load.config, now, load.fileRuleIds, load.images);
      if (load.skipped.length > 0) log.warn({ skipped: load.skipped }, 'Rule or Exception resources left out');
      metrics.ruleSetLoaded.set(1);
      metrics.ruleSetRules.set(load.ruleSet.rules.length);
      metrics.reloads.inc({ result: 'success' });
      log.info({ generation: policy.generation, rules: load.ruleSet.rules.length, config: load.config.file ?? null }, 'rules and configuration loaded');
      served = true;
    } else {
      const problems = load.problems.map(formatProblem);
      holder.fail(problems.join('\n'), now);
      metrics.ruleSetLoaded.set(0);
      metrics.reloads.inc({ result: 'failure' });
      log.error({ problems, serving: holder.current()?.generation ?? null }, 'rules or configuration refused; the last good set is still served');
      served = false;
    }
    // The configuration read (served or refused) may name files not watched yet: a new key, or
    // one that does not exist yet. Watch them, and read once more, in case one changed or appeared
    // between this load and the watch; the paths are then stable, so this stops.
    if (load.config && (await this.#watchPaths(load.config))) return this.reload();
    return served;
  }

  /** Starts watching; further changes reload. */
  async watch(): Promise<void> {
    this.#watching = true;
    await this.#watchPaths(this.#options.holder.current()?.config);
  }

  /** (Re)starts the watcher when the paths to watch changed; true when it did. */
  async #watchPaths(config: PalisadeConfig | undefined): Promise<boolean> {
    const { sources, log } = this.#options;
    if (!this.#watching) return false;
    const configFiles = sources.configFile ? [sources.configFile, ...(config ? filesNamedBy(config) : [])] : [];
    // The built-in rules ship with the package (read-only in the image) and change only with a new
    // version, that is a new process. Watching them cost a snapshot of their 400 files on every
    // safety-net poll (2 s): 35 ms of CPU each, 1.7% of a core, all the time.
    const paths = [...sources.ruleDirs.filter((dir) => resolve(dir) !== resolve(BUILTIN_RULES_DIR)), ...configFiles];
    if (this.#closed || paths.join('\n') === this.#watched) return false;
    this.#watched = paths.join('\n');
    this.#watcher?.close();
    this.#watcher = watchPaths({
      paths,
      recursive: true,
      onChange: async () => {
        await this.reload();
      },
      onError: (error) => log.warn({ err: error }, 'watching rules and configuration'),
    });
    await this.#watcher.ready;
    return true;
  }

  /** The paths watched now (empty before watch()). */
  watched(): string[] {
    return this.#watched ? this.#watched.split('\n') : [];
  }

  close(): void {
    this.#closed = true;
    this.#watcher?.close();
  }
}
