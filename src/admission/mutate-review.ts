/**
 * /mutate: the remediation patches of the rules the configuration opts in (per rule, and per
 * namespace by name or the namespace label `palisade.dev/mutate: "true"`). By default only Pods are
 * mutated, at CREATE: patching a Deployment would make GitOps tools see drift forever, while its
 * Pods are created by the controller and patched on the way in. Mutation never denies; the
 * validating webhook, called after every mutation, judges the patched object. With image
 * verification configured, verified images are also pinned to their digests (pin-images.ts).
 */
import { stampResponse } from '../cluster/exception-stamp.js';
import { mutationsFor, type MutationError } from '../engine/mutate.js';
import { labelsOf, matchesAnyGlob } from '../engine/selectors.js';
import type { Resource } from '../engine/types.js';
import { skipReason, type SkipReason } from './gates.js';
import { pinningOps } from './pin-images.js';
import { allowed } from './responses.js';
import type { AdmissionRequest, AdmissionResponse } from './review.js';
import type { AdmissionContext } from './validate.js';
import type { PalisadeConfig } from '../config/types.js';
import { isRecord } from '../json/is-record.js';

export const MUTATE_LABEL = 'palisade.dev/mutate';

export interface MutateOutcome {
  response: AdmissionResponse;
  skipped?: SkipReason | 'not-opted-in' | 'not-a-pod-create';
  patchedRules: string[];
  errors: MutationError[];
  controllerOwned: boolean;
}

/** Whether /mutate may patch the request at all: the object itself, and by default Pods at CREATE only. */
export function mayMutate(request: AdmissionRequest, config: PalisadeConfig): boolean {
  if (request.subResource || (request.operation !== 'CREATE' && request.operation !== 'UPDATE')) return false;
  return !config.admission.mutatePodsOnly || (request.kind.group === '' && request.kind.kind === 'Pod' && request.operation === 'CREATE');
}

export function mutate(request: AdmissionRequest, context: AdmissionContext): MutateOutcome {
  const { config } = context;
  const none = (skipped?: MutateOutcome['skipped']): MutateOutcome => ({
    response: allowed(request.uid, {}),
    patchedRules: [],
    errors: [],
    controllerOwned: false,
    ...(skipped ? { skipped } : {}),
  });
  const stamped = stampResponse(request);
  if (stamped) return { response: stamped, patchedRules: [], errors: [], controllerOwned: false };
  const object = request.object ?? undefined;
  if (!mayMutate(request, config)) return none('not-a-pod-create');
  const skipped = skipReason(request, object, config);
  if (skipped || !object) return none(skipped ?? 'no-object');
  const namespaceObject = request.namespace ? context.namespaceObject?.(request.namespace) : undefined;
  const optedIn = (request.namespace !== undefined && matchesAnyGlob(config.admission.mutation.namespaces, request.namespace))
    || labelsOf(namespaceObject)[MUTATE_LABEL] === 'true';
  // Verified images are pinned to their digests wherever image verification is configured; rule
  // remediations only where the configuration opts in.
  const pins = context.images ? pinningOps(object, context.ruleSet, context.images) : [];
  const remediate = optedIn && config.admission.mutation.rules.length > 0;
  if (!remediate && pins.length === 0) return none('not-opted-in');

  const resource: Resource = {
    object,
    ...(request.oldObject ? { oldObject: request.oldObject } : {}),
    operation: request.operation,
    ...(namespaceObject ? { namespaceObject, namespaceLabels: labelsOf(namespaceObject) } : {}),
  };
  const result = remediate ? mutationsFor(context.ruleSet, resource, { ruleIds: new Set(config.admission.mutation.rules) }) : { ops: [], patches: [], errors: [] };
  const patchedRules = result.patches.map((p) => p.ruleId);
  const metadata = isRecord(object['metadata']) ? object['metadata'] : {};
  const controllerOwned = Array.isArray(metadata['ownerReferences']) && metadata['ownerReferences'].some((r) => isRecord(r) && r['controller'] === true);
  const ops = [...result.ops, ...pins];
  if (ops.length === 0) return { ...none(), errors: result.errors, controllerOwned };
  const mutated = [...patchedRules, ...(pins.length > 0 ? [PINNED] : [])];
  return {
    response: allowed(request.uid, {
      patch: Buffer.from(JSON.stringify(ops)).toString('base64'),
      auditAnnotations: { mutated: mutated.join(',') },
    }),
    patchedRules: mutated,
    errors: result.errors,
    controllerOwned,
  };
}

/** What the `mutated` audit annotation and the log say for images pinned to their digests. */
export const PINNED = 'pinned-image-digests';
