/**
 * The mutating webhook's part for Exception resources: records who created one in the annotation
 * `palisade.dev/created-by`, which the cluster's exceptions carry as `createdBy` (reports say who
 * asked for an exception, not only the `owner` its author typed).
 *
 * - CREATE: the annotation is set to request.userInfo.username, whatever the request said.
 * - UPDATE: the annotation is put back to its value in oldObject when the request changed, removed
 *   or added it, so it cannot be forged after the fact.
 * The validating webhook checks the same (cluster/admission.ts), in case this one was skipped.
 */
import { formatPointer, type JsonPatchOp } from '../admission/json-patch.js';
import { allowed } from '../admission/responses.js';
import type { AdmissionRequest, AdmissionResponse } from '../admission/review.js';
import { CREATED_BY_ANNOTATION, EXCEPTION_KIND, PALISADE_GROUP } from './api-names.js';
import { createdByOf } from './resources.js';
import { isRecord } from '../json/is-record.js';

/**
 * The patch for an Exception CREATE or UPDATE, or undefined when there is nothing to change or the
 * request is not about an Exception.
 */
export function stampException(request: AdmissionRequest): JsonPatchOp[] | undefined {
  if (!isExceptionWrite(request)) return undefined;
  const object = request.object;
  if (!isRecord(object)) return undefined;
  let wanted: string | undefined;
  if (request.operation === 'CREATE') {
    wanted = request.userInfo.username || undefined;
  } else {
    if (!isRecord(request.oldObject)) return undefined;
    wanted = createdByOf(request.oldObject);
  }
  return setAnnotation(object, wanted);
}

/**
 * The whole mutating answer for an Exception write (allowed, with the patch when there is one);
 * undefined for any other request, which the caller handles as usual.
 */
export function stampResponse(request: AdmissionRequest): AdmissionResponse | undefined {
  if (!isExceptionWrite(request)) return undefined;
  const ops = stampException(request);
  if (!ops) return allowed(request.uid, {});
  return allowed(request.uid, { patch: Buffer.from(JSON.stringify(ops)).toString('base64') });
}

function isExceptionWrite(request: AdmissionRequest): boolean {
  return request.kind.group === PALISADE_GROUP
    && request.kind.kind === EXCEPTION_KIND
    && !request.subResource
    && (request.operation === 'CREATE' || request.operation === 'UPDATE');
}

/** Operations that leave the annotation at `value` (absent when undefined), or undefined when it is already so. */
function setAnnotation(object: Record<string, unknown>, value: string | undefined): JsonPatchOp[] | undefined {
  const metadata = object['metadata'];
  const annotations = isRecord(metadata) ? metadata['annotations'] : undefined;
  const current = isRecord(annotations) ? annotations[CREATED_BY_ANNOTATION] : undefined;
  if (current === value) return undefined;
  const pointer = formatPointer(['metadata', 'annotations', CREATED_BY_ANNOTATION]);
  if (value === undefined) return [{ op: 'remove', path: pointer }];
  // `add` of an existing member replaces it (RFC 6902), so one op covers set and overwrite.
  if (!isRecord(metadata)) return [{ op: 'add', path: '/metadata', value: { annotations: { [CREATED_BY_ANNOTATION]: value } } }];
  if (!isRecord(annotations)) return [{ op: 'add', path: '/metadata/annotations', value: { [CREATED_BY_ANNOTATION]: value } }];
  return [{ op: 'add', path: pointer, value }];
}
