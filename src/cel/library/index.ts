/**
 * The Kubernetes CEL library Palisade offers rule authors, on top of cel-js's standard functions.
 * Each function is documented, with an example, in docs/cel.md.
 */
import type { Environment } from '@marcbachmann/cel-js';
import { registerRegexFunctions } from './regex.js';

export function registerKubernetesLibrary(env: Environment): void {
  registerRegexFunctions(env);
}
