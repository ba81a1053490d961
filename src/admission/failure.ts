/**
 * What Palisade answers when it could not evaluate a request (an internal error, a request that
 * waited past its deadline). It follows the registration's failure behaviour: the enforce
 * registration fails closed unless the configured onError allows, the audit registration allows.
 * The reason is always visible in the audit annotations.
 */
import { allowed, denied } from './responses.js';
import type { AdmissionResponse } from './review.js';
import type { AdmissionContext } from './validate.js';

export function failureResponse(uid: string, context: Pick<AdmissionContext, 'registration' | 'config'>, why: string): AdmissionResponse {
  const auditAnnotations = { 'palisade-error': why };
  const failClosed = context.registration !== 'audit' && context.config.policy.onError === 'deny';
  return failClosed
    ? denied(uid, { message: `Palisade could not evaluate this request: ${why}`, reason: 'Forbidden', code: 500, auditAnnotations })
    : allowed(uid, { auditAnnotations });
}
