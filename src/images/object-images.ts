/**
 * The images an object runs (every container, init and ephemeral container of its pod spec, for
 * any kind the rule set knows a pod template of), and the statuses of many images at once.
 */
import { setKey } from '../json/set-key.js';
import { apiGroupOf } from '../engine/evaluate.js';
import { kindKey, podSpecView } from '../engine/pod-spec.js';
import type { RuleSet } from '../engine/rule-set.js';
import type { ImageStatus, KubeObject } from '../engine/types.js';
import { VERIFIER_DEFAULTS, type ImageVerifier } from './verifier.js';
import { isRecord } from '../json/is-record.js';

export function imagesOf(object: KubeObject, ruleSet: RuleSet): string[] {
  const kind = typeof object['kind'] === 'string' ? object['kind'] : '';
  const view = podSpecView(object, ruleSet.podTemplates.get(kindKey(apiGroupOf(object), kind)));
  const images = new Set<string>();
  const containers = view?.view['allContainers'];
  for (const container of Array.isArray(containers) ? containers : []) {
    if (isRecord(container) && typeof container['image'] === 'string' && container['image'] !== '') images.add(container['image']);
  }
  return [...images];
}

/**
 * The statuses of many images (a scan's), each image asked once, in batches of what the verifier
 * runs at once: each batch gets the whole deadline, where one image waiting for a free slot would
 * otherwise spend its deadline in the queue. `signal` (an audit's) stops it between and within
 * batches: throws its reason.
 */
export async function statusesOfAll(verifier: ImageVerifier, images: Iterable<string>, deadlineMs: number, signal?: AbortSignal): Promise<Record<string, ImageStatus>> {
  const unique = [...new Set(images)];
  const out: Record<string, ImageStatus> = {};
  for (let i = 0; i < unique.length; i += VERIFIER_DEFAULTS.maxConcurrent) {
    signal?.throwIfAborted();
    const deadline = AbortSignal.timeout(Math.max(1, deadlineMs));
    const batch = await verifier.statuses(unique.slice(i, i + VERIFIER_DEFAULTS.maxConcurrent), signal ? AbortSignal.any([signal, deadline]) : deadline);
    for (const [image, status] of Object.entries(batch)) setKey(out, image, status);
  }
  signal?.throwIfAborted();
  return out;
}
