/**
 * The files a configuration names besides itself, so whoever serves it can watch them: a rotated
 * cosign key in a mounted ConfigMap, or a new deny list, must take effect like a change to the
 * configuration itself.
 */
import type { PalisadeConfig } from './types.js';

export function filesNamedBy(config: PalisadeConfig): string[] {
  const images = config.images;
  const files = [
    ...(config.exceptionFiles ?? []),
    ...(images?.verify.flatMap((entry) => [...entry.keys, ...(entry.keyless ? [entry.keyless.trustedRoot] : [])]) ?? []),
    ...(images?.registries.flatMap((registry) => (registry.ca ? [registry.ca] : [])) ?? []),
    ...(images?.denyFiles ?? []),
    ...(images?.dockerConfig ? [images.dockerConfig] : []),
  ];
  return [...new Set(files)].sort();
}
