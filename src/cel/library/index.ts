/**
 * The Kubernetes CEL library Palisade offers rule authors, on top of cel-js's standard functions:
 * a few standard conversions cel-js lacks, the cel-go string extensions Kubernetes enables, and
 * Kubernetes' own regex, lists, quantity, URL, IP and CIDR libraries. Each function is documented, with an example, in docs/cel.md.
 */
import type { Environment } from '@marcbachmann/cel-js';
import { registerCIDRFunctions } from './cidr.js';
import { registerConversionFunctions } from './conversions.js';
import { registerIPFunctions } from './ip.js';
import { registerListFunctions } from './lists.js';
import { registerQuantityFunctions } from './quantity.js';
import { registerRegexFunctions } from './regex.js';
import { registerStringFunctions } from './strings.js';
import { registerURLFunctions } from './url.js';

export function registerKubernetesLibrary(env: Environment): void {
  registerConversionFunctions(env);
  registerRegexFunctions(env);
  registerStringFunctions(env);
  registerListFunctions(env);
  registerQuantityFunctions(env);
  registerURLFunctions(env);
  // IP before CIDR: CIDR signatures name the net.IP type.
  registerIPFunctions(env);
  registerCIDRFunctions(env);
}
