/**
 * Keeps the served policy current: watches the configuration file, the exception files it names
 * and the rule folders, and reloads on change. A reload that fails keeps the last good set, and
 * says why in /readyz, the log and the load-status metric.
 */
import type { Logger } from 'pino';
import { watchPaths, type PathWatcher } from '../fs/watch-paths.js';
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

  constructor(options: PolicyReloaderOptions) {
    this.#options = options;
  }

  /** Loads once; true when a set is now served. */
  async reload(): Promise<boolean> {
    const { sources, holder, metrics, log } = this.#options;
    const now = (this.#options.clock ?? (() => new Date()))();
    const load = await loadPolicy(sources, now);
    if ('ruleSet' in load) {
      const served = holder.replace(load.ruleSet, load.config, now, load.fileRuleIds, load.images);
      if (load.skipped.length > 0) log.warn({ skipped: load.skipped }, 'Rule or Exception resources left out');
      metrics.ruleSetLoaded.set(1);
      metrics.ruleSetRules.set(load.ruleSet.rules.length);
      metrics.reloads.inc({ result: 'success' });
      log.info({ generation: served.generation, rules: load.ruleSet.rules.length, config: load.config.file ?? null }, 'rules and configuration loaded');
      return true;
    }
    const problems = load.problems.map(formatProblem);
    holder.fail(problems.join('\n'), now);
    metrics.ruleSetLoaded.set(0);
    metrics.reloads.inc({ result: 'failure' });
    log.error({ problems, serving: holder.current()?.generation ?? null }, 'rules or configuration refused; the last good set is still served');
    return false;
  }

  /** Starts watching; further changes reload. */
  async watch(): Promise<void> {
    const { sources, log } = this.#options;
    const configFiles = sources.configFile ? [sources.configFile, ...(this.#options.holder.current()?.config.exceptionFiles ?? [])] : [];
    this.#watcher = watchPaths({
      paths: [...sources.ruleDirs, ...configFiles],
      recursive: true,
      onChange: async () => {
        await this.reload();
      },
      onError: (error) => log.warn({ err: error }, 'watching rules and configuration'),
    });
    await this.#watcher.ready;
  }

  close(): void {
    this.#watcher?.close();
  }
}
