/**
 * Image statuses for the audit, so `require-signed-images` and `deny-known-bad-images` judge what
 * already runs as they judge it at admission. Resolved a page of objects at a time (each image
 * once, through the verifier's caches and its bound on concurrent registry conversations, each
 * batch within the deadline), then read synchronously by each object's evaluation.
 *
 * One of these lives for one audit (the controller: one full audit and the watch events after
 * it), so a verdict is at most that old; the verifier's own TTLs decide when a registry is asked
 * again. What a registry could not answer is kept as answered (not verified, or ignored, by the
 * image's failure policy) until the next audit.
 */
import { setKey } from '../json/set-key.js';
import type { RuleSet } from '../engine/rule-set.js';
import type { ImageStatus, KubeObject } from '../engine/types.js';
import { imagesOf, statusesOfAll } from '../images/object-images.js';
import type { ImageVerifier } from '../images/verifier.js';

export interface ImageVerification {
  verifier: ImageVerifier;
  /** The deadline of one batch of images, in milliseconds. */
  timeoutMs: number;
}

export class AuditImages {
  readonly #statuses = new Map<string, ImageStatus>();
  readonly #ruleSet: RuleSet;
  readonly #verification: ImageVerification;

  constructor(verification: ImageVerification, ruleSet: RuleSet) {
    this.#verification = verification;
    this.#ruleSet = ruleSet;
  }

  /** Resolves the images of `objects` not resolved yet in this audit; `signal` stops it (throwing). */
  async resolve(objects: Iterable<KubeObject>, signal?: AbortSignal): Promise<void> {
    const wanted = new Set<string>();
    for (const object of objects) {
      for (const image of imagesOf(object, this.#ruleSet)) if (!this.#statuses.has(image)) wanted.add(image);
    }
    if (wanted.size === 0) return;
    const statuses = await statusesOfAll(this.#verification.verifier, wanted, this.#verification.timeoutMs, signal);
    for (const [image, status] of Object.entries(statuses)) this.#statuses.set(image, status);
  }

  /** The statuses of an object's images, as resolved (an image not resolved is absent). */
  of(object: KubeObject): Record<string, ImageStatus> {
    const out: Record<string, ImageStatus> = {};
    for (const image of imagesOf(object, this.#ruleSet)) {
      const status = this.#statuses.get(image);
      if (status) setKey(out, image, status);
    }
    return out;
  }
}
