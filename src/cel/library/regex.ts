/**
 * Regular expressions with RE2 semantics and linear-time matching (re2js), for `matches`, `find`
 * and `findAll`. JavaScript's RegExp backtracks: `^(a+)+$` against 'a'×30+'!' takes seconds.
 * Compiled patterns are cached (rules reuse a handful of patterns on every object).
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

/** CEL `matches` is a partial match, like RE2's `PartialMatch`: anchor with ^ and $ to match all. */
export function re2Matches(text: string, pattern: string): boolean {
  return compilePattern(pattern).matcher(text).find();
}

export function registerRegexFunctions(env: Environment): void {
  env.registerFunction(`${RE2_MATCHES_FUNCTION}(string, string): bool`, re2Matches);
}
