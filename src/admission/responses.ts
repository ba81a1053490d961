/**
 * Small named response builders (pod-security-admission's shape): allowed and denied. Warnings
 * are only ever attached to allowed responses, as the API server shows them.
 */
import type { AdmissionResponse } from './review.js';

export interface ResponseParts {
  warnings?: string[];
  auditAnnotations?: Record<string, string>;
  patch?: string;
}

export function allowed(uid: string, parts: ResponseParts): AdmissionResponse {
  return {
    uid,
    allowed: true,
    ...(parts.warnings && parts.warnings.length > 0 ? { warnings: parts.warnings } : {}),
    ...(parts.auditAnnotations && Object.keys(parts.auditAnnotations).length > 0 ? { auditAnnotations: parts.auditAnnotations } : {}),
    ...(parts.patch ? { patchType: 'JSONPatch' as const, patch: parts.patch } : {}),
  };
}

export function denied(uid: string, parts: ResponseParts & { message: string; reason: string; code: number }): AdmissionResponse {
  return {
    uid,
    allowed: false,
    status: { code: parts.code, reason: parts.reason, message: parts.message },
    ...(parts.auditAnnotations && Object.keys(parts.auditAnnotations).length > 0 ? { auditAnnotations: parts.auditAnnotations } : {}),
  };
}
