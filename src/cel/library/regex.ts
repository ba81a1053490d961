/**
 * Regular expressions with RE2 semantics and linear-time matching (re2js), for `matches`, `find`
 * and `findAll`. JavaScript's RegExp backtracks: `^(a+)+$` against 'a'×30+'!' takes seconds.
 * Compiled patterns are cached (rules reuse a handful of patterns on every object).
 *
 *   <string>.find(<pattern>) <string>                 first match, '' when there is none
 *   <string>.findAll(<pattern>) <list<string>>        every non-overlapping match
 *   <string>.findAll(<pattern>, <int>) <list<string>> at most n matches (n < 0: all)
 *
 * find/findAll follow Go's regexp (as Kubernetes does): an empty match right after a previous match
 * is skipped, so `'123 abc'.findAll('[0-9]*')` is ['123', '', '', '', ''].
 */
import { RE2JS } from 're2js';
import type { Environment } from '@marcbachmann/cel-js';
import { RE2_MATCHES_FUNCTION } from '../instrument.js';

const CACHE_LIMIT = 512;
const cache = new Map<string, RE2JS>();

export function compilePattern(pattern: string): RE2JS {
  const hit = cache.get(pattern);
  if (hit) return hit;
  let compiled: RE2JS;
  try {
    compiled = RE2JS.compile(pattern);
  } catch (error) {
    throw new Error(`invalid regular expression ${JSON.stringify(pattern)}: ${(error as Error).message}`);
  }
  if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
  cache.set(pattern, compiled);
  return compiled;
}

/**
 * Verdicts of `matches` per pattern, for short texts: the values rules test (env names, image
 * references, annotation keys) repeat across objects, and re2js, linear but interpreted, costs
 * microseconds per test. At most VERDICT_BUDGET verdicts are kept in all (then all are dropped),
 * each of a text of at most VERDICT_TEXT_LIMIT characters: about 2 MB at worst, whatever the
 * objects hold.
 */
const VERDICT_BUDGET = 4096;
const VERDICT_TEXT_LIMIT = 256;
const verdicts = new Map<string, Map<string, boolean>>();
let verdictCount = 0;

/** CEL `matches` is a partial match, like RE2's `PartialMatch`: anchor with ^ and $ to match all. */
export function re2Matches(text: string, pattern: string): boolean {
  if (text.length > VERDICT_TEXT_LIMIT) return compilePattern(pattern).test(text);
  const hit = verdicts.get(pattern)?.get(text);
  if (hit !== undefined) return hit;
  const verdict = compilePattern(pattern).test(text);
  if (++verdictCount > VERDICT_BUDGET) {
    verdicts.clear();
    verdictCount = 1;
  }
  let known = verdicts.get(pattern);
  if (!known) verdicts.set(pattern, (known = new Map()));
  known.set(text, verdict);
  return verdict;
}

/** The leftmost match, or '' (Go's FindString: no match and an empty match look the same). */
export function re2Find(text: string, pattern: string): string {
  const found: unknown = compilePattern(pattern).re2().find(text);
  return typeof found === 'string' ? found : '';
}

/** Go's FindAllString: n < 0 means every match; re2js returns null for none. */
export function re2FindAll(text: string, pattern: string, limit: bigint = -1n): string[] {
  if (limit === 0n) return [];
  // More matches than positions cannot exist, so a huge limit is the same as "all".
  const n = limit < 0n || limit > BigInt(text.length + 1) ? -1 : Number(limit);
  const found: unknown = compilePattern(pattern).re2().findAll(text, n);
  if (!Array.isArray(found)) return [];
  return found.filter((m): m is string => typeof m === 'string');
}

export function registerRegexFunctions(env: Environment): void {
  env.registerFunction(`${RE2_MATCHES_FUNCTION}(string, string): bool`, re2Matches);
  env.registerFunction('string.find(string): string', re2Find);
  env.registerFunction('string.findAll(string): list<string>', (text: string, pattern: string) =>
    re2FindAll(text, pattern),
  );
  env.registerFunction('string.findAll(string, int): list<string>', re2FindAll);
}
