/**
 * Prepares an object for CEL, in place, in one pass each: Secret values are redacted before any
 * rule can see (and print) them, and whole numbers become BigInt so `object.spec.replicas * 2` is
 * CEL int arithmetic. The engine owns the objects it is given.
 */
import { isRecord } from './pod-spec.js';
import type { KubeObject } from './types.js';

export const REDACTED = '[redacted]';
export const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

export function redactSecrets(object: KubeObject): void {
  if (object['kind'] === 'Secret') {
    for (const field of ['data', 'stringData']) {
      const values = object[field];
      if (isRecord(values)) for (const key of Object.keys(values)) values[key] = REDACTED;
    }
  }
  // The annotation holds a full copy of the applied object, a Secret's values included.
  const metadata = object['metadata'];
  const annotations = isRecord(metadata) ? metadata['annotations'] : undefined;
  if (isRecord(annotations) && LAST_APPLIED in annotations) annotations[LAST_APPLIED] = REDACTED;
}

/** Converts whole JSON numbers to BigInt throughout the value, in place. */
export function integersToBigInt(value: unknown): void {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      if (typeof item === 'number') {
        if (Number.isInteger(item)) value[i] = BigInt(item);
      } else if (typeof item === 'object' && item !== null) {
        integersToBigInt(item);
      }
    }
    return;
  }
  if (!isRecord(value)) return;
  for (const key in value) {
    const item = value[key];
    if (typeof item === 'number') {
      if (Number.isInteger(item)) value[key] = BigInt(item);
    } else if (typeof item === 'object' && item !== null) {
      integersToBigInt(item);
    }
  }
}

/** JSON.stringify that writes BigInt as a number, for anything that leaves the engine. */
export function stringifyWithBigInt(value: unknown, space?: number): string {
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? Number(v) : v), space);
}
