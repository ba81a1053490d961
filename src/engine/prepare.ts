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

/**
 * Converts whole JSON numbers to BigInt throughout the value, and drops null-valued fields, in place. Iterative, with an explicit
 * stack: JSON.parse accepts nesting far deeper than the JavaScript call stack, and a hostile
 * request must not be able to crash the process.
 */
export function integersToBigInt(value: unknown): void {
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const node = stack.pop();
    if (Array.isArray(node)) {
      for (let i = 0; i < node.length; i++) {
        const item: unknown = node[i];
        if (typeof item === 'number') {
          if (Number.isInteger(item)) node[i] = BigInt(item);
        } else if (typeof item === 'object' && item !== null) {
          stack.push(item);
        }
      }
    } else if (isRecord(node)) {
      for (const key in node) {
        const item = node[key];
        // `field: null` means the field is absent, as the API server reads it; rules then need
        // no null guards around `.?field.orValue(default)`.
        if (item === null) {
          delete node[key];
        } else if (typeof item === 'number') {
          if (Number.isInteger(item)) node[key] = BigInt(item);
        } else if (typeof item === 'object' && item !== null) {
          stack.push(item);
        }
      }
    }
  }
}
