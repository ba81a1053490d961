/**
 * The rule set and configuration being served, swapped whole on a successful reload. A failed
 * reload leaves the last good pair in place and keeps its error for /readyz, logs and metrics:
 * the server never serves half a rule set.
 */
import type { PalisadeConfig } from '../config/types.js';
import type { RuleSet } from '../engine/rule-set.js';
import type { ImageVerifier } from '../images/verifier.js';

export interface ServedPolicy {
  ruleSet: RuleSet;
  config: PalisadeConfig;
  /** Increments on every successful load. */
  generation: number;
  loadedAt: Date;
  /** Ids of the rules from rule folders: a Rule resource may not take one. */
  fileRuleIds: ReadonlySet<string>;
  /** Image verification set up by the configuration (a reload makes a new verifier, cache and all). */
  images?: { verifier: ImageVerifier; timeoutMs: number };
}

export interface LoadFailure {
  message: string;
  at: Date;
}

export class PolicyHolder {
  #current: ServedPolicy | undefined;
  #lastError: LoadFailure | undefined;
  #generation = 0;
  readonly #listeners: ((policy: ServedPolicy) => void)[] = [];

  current(): ServedPolicy | undefined {
    return this.#current;
  }

  lastError(): LoadFailure | undefined {
    return this.#lastError;
  }

  /** Serves a new pair and clears the last error. */
  replace(ruleSet: RuleSet, config: PalisadeConfig, now: Date, fileRuleIds: ReadonlySet<string> = new Set(ruleSet.rules.map((r) => r.meta.id)), images?: ServedPolicy['images']): ServedPolicy {
    this.#generation += 1;
    this.#current = { ruleSet, config, generation: this.#generation, loadedAt: now, fileRuleIds, ...(images ? { images } : {}) };
    this.#lastError = undefined;
    for (const listener of this.#listeners) listener(this.#current);
    return this.#current;
  }

  /** Records a failed load; what is served does not change. */
  fail(message: string, now: Date): void {
    this.#lastError = { message, at: now };
  }

  onReplace(listener: (policy: ServedPolicy) => void): void {
    this.#listeners.push(listener);
  }
}
