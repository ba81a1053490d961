/** The names Palisade's custom resources are known by in the API server. */

export const PALISADE_GROUP = 'palisade.dev';
export const PALISADE_VERSION = 'v1alpha1';
export const PALISADE_API_VERSION = `${PALISADE_GROUP}/${PALISADE_VERSION}`;

export const RULE_KIND = 'Rule';
export const EXCEPTION_KIND = 'Exception';
export type PalisadeKind = typeof RULE_KIND | typeof EXCEPTION_KIND;

/**
 * Who created an Exception resource: set by Palisade's mutating webhook from the request's user
 * (cluster/exception-stamp.ts), kept from being changed afterwards, and never read from the spec.
 */
export const CREATED_BY_ANNOTATION = 'palisade.dev/created-by';
