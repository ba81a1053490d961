/**
 * The Subject of a decision: what the object is and who owns it. Owners come from the caller (the
 * audit loop resolves full chains) or from ownerReferences; a ReplicaSet made by a Deployment is
 * named `<deployment>-<pod-template-hash>`, so the Deployment is inferred without a cluster read.
 */
import { apiGroupOf } from '../engine/evaluate.js';
import { labelsOf } from '../engine/selectors.js';
import type { OwnerRef, Resource } from '../engine/types.js';
import type { Subject } from './types.js';
import { isRecord } from '../json/is-record.js';

export function subjectOf(resource: Resource): Subject {
  const object = resource.object;
  const metadata = isRecord(object['metadata']) ? object['metadata'] : {};
  const labels = labelsOf(object);
  const namespace = typeof metadata['namespace'] === 'string' && metadata['namespace'] ? metadata['namespace'] : resource.request?.namespace;
  const name = typeof metadata['name'] === 'string' ? metadata['name'] : (resource.request?.name ?? '');
  return {
    apiGroup: apiGroupOf(object),
    kind: typeof object['kind'] === 'string' ? object['kind'] : '',
    ...(namespace ? { namespace } : {}),
    name,
    labels,
    owners: resource.owners ?? ownersFromReferences(metadata, labels),
    ...(resource.namespaceLabels ? { namespaceLabels: resource.namespaceLabels } : {}),
  };
}

function ownersFromReferences(metadata: Record<string, unknown>, labels: Record<string, string>): OwnerRef[] {
  const refs = Array.isArray(metadata['ownerReferences']) ? metadata['ownerReferences'] : [];
  const owners: OwnerRef[] = [];
  for (const ref of refs) {
    if (!isRecord(ref) || typeof ref['kind'] !== 'string' || typeof ref['name'] !== 'string') continue;
    owners.push({ kind: ref['kind'], name: ref['name'], ...(typeof ref['apiVersion'] === 'string' ? { apiVersion: ref['apiVersion'] } : {}) });
    const hash = labels['pod-template-hash'];
    if (ref['kind'] === 'ReplicaSet' && hash && ref['name'].endsWith(`-${hash}`)) {
      owners.push({ kind: 'Deployment', name: ref['name'].slice(0, -hash.length - 1), apiVersion: 'apps/v1' });
    }
  }
  return owners;
}
