/**
 * Tag-to-digest pinning at /mutate: each container whose image the verifier resolved and verified
 * is patched from `registry/app:1.4` to `registry/app:1.4@sha256:…`. The kubelet then pulls
 * exactly the content that was verified, whatever the tag points at later; /validate, called after
 * every mutation, checks the pinned digest (a cache hit). The tag stays for people to read.
 */
import { apiGroupOf } from '../engine/evaluate.js';
import { CONTAINER_LISTS, kindKey, podSpecView } from '../engine/pod-spec.js';
import type { RuleSet } from '../engine/rule-set.js';
import type { ImageStatus, KubeObject } from '../engine/types.js';
import { formatPointer, type JsonPatchOp } from './json-patch.js';

export function pinningOps(object: KubeObject, ruleSet: RuleSet, images: Readonly<Record<string, ImageStatus>>): JsonPatchOp[] {
  const kind = typeof object['kind'] === 'string' ? object['kind'] : '';
  const view = podSpecView(object, ruleSet.podTemplates.get(kindKey(apiGroupOf(object), kind)));
  if (!view) return [];
  const base = view.specPath.split('.');
  const ops: JsonPatchOp[] = [];
  for (const list of CONTAINER_LISTS) {
    const containers = view.spec[list];
    if (!Array.isArray(containers)) continue;
    containers.forEach((container: unknown, index) => {
      const image = typeof container === 'object' && container !== null ? (container as Record<string, unknown>)['image'] : undefined;
      if (typeof image !== 'string' || image.includes('@')) return;
      const status = images[image];
      if (!status?.verified || !status.digest) return;
      ops.push({ op: 'replace', path: formatPointer([...base, list, index, 'image']), value: `${image}@${status.digest}` });
    });
  }
  return ops;
}
