/**
 * The images an object runs (every container, init and ephemeral container of its pod spec, for
 * any kind the rule set knows a pod template of), and their statuses from the verifier before
 * evaluation, within a deadline.
 */
import { apiGroupOf } from '../engine/evaluate.js';
import { isRecord, kindKey, podSpecView } from '../engine/pod-spec.js';
import type { RuleSet } from '../engine/rule-set.js';
import type { ImageStatus, KubeObject } from '../engine/types.js';
import type { ImageVerifier } from './verifier.js';

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

/** The statuses of the object's images, or undefined when it runs none. */
export async function imageStatuses(verifier: ImageVerifier, object: KubeObject, ruleSet: RuleSet, deadlineMs: number): Promise<Record<string, ImageStatus> | undefined> {
  const images = imagesOf(object, ruleSet);
  if (images.length === 0) return undefined;
  return verifier.statuses(images, AbortSignal.timeout(Math.max(1, deadlineMs)));
}
