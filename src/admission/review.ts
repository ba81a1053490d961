/**
 * AdmissionReview admission.k8s.io/v1: the types Palisade reads and writes, and the JSON Schema
 * the server validates every request body against before anything else looks at it. The schema is
 * strict where a wrong type would change a decision (uid, operation, kinds, userInfo) and open
 * where Kubernetes may add fields.
 */
import type { KubeObject, UserInfo } from '../engine/types.js';
import { OPERATIONS, type Operation } from '../rules/types.js';

export const ADMISSION_API_VERSION = 'admission.k8s.io/v1';

export interface GroupVersionKind {
  group: string;
  version: string;
  kind: string;
}

export interface GroupVersionResource {
  group: string;
  version: string;
  resource: string;
}

export interface AdmissionRequest {
  uid: string;
  kind: GroupVersionKind;
  resource: GroupVersionResource;
  subResource?: string;
  requestKind?: GroupVersionKind;
  requestResource?: GroupVersionResource;
  requestSubResource?: string;
  name?: string;
  namespace?: string;
  operation: Operation;
  userInfo: UserInfo;
  object?: KubeObject | null;
  oldObject?: KubeObject | null;
  dryRun?: boolean;
  options?: unknown;
}

export interface AdmissionReview {
  apiVersion: string;
  kind: 'AdmissionReview';
  request: AdmissionRequest;
}

export interface AdmissionStatus {
  code: number;
  reason?: string;
  message: string;
}

export interface AdmissionResponse {
  uid: string;
  allowed: boolean;
  status?: AdmissionStatus;
  warnings?: string[];
  auditAnnotations?: Record<string, string>;
  patchType?: 'JSONPatch';
  patch?: string;
}

export interface AdmissionReviewResponse {
  apiVersion: string;
  kind: 'AdmissionReview';
  response: AdmissionResponse;
}

const text = { type: 'string', maxLength: 1024 } as const;
const gvk = {
  type: 'object',
  required: ['group', 'version', 'kind'],
  properties: { group: { type: 'string', maxLength: 253 }, version: { type: 'string', maxLength: 63 }, kind: { type: 'string', maxLength: 253 } },
} as const;
const gvr = {
  type: 'object',
  required: ['group', 'version', 'resource'],
  properties: { group: { type: 'string', maxLength: 253 }, version: { type: 'string', maxLength: 63 }, resource: { type: 'string', maxLength: 253 } },
} as const;
const object = { anyOf: [{ type: 'object' }, { type: 'null' }] } as const;

export const admissionReviewSchema = {
  type: 'object',
  required: ['apiVersion', 'kind', 'request'],
  properties: {
    apiVersion: { const: ADMISSION_API_VERSION },
    kind: { const: 'AdmissionReview' },
    request: {
      type: 'object',
      required: ['uid', 'kind', 'resource', 'operation', 'userInfo'],
      properties: {
        // The API server's uids are UUIDs; printable ASCII keeps the echoed uid byte-identical.
        uid: { type: 'string', minLength: 1, maxLength: 128, pattern: '^[\\x21-\\x7e]+$' },
        kind: gvk,
        resource: gvr,
        subResource: text,
        requestKind: gvk,
        requestResource: gvr,
        requestSubResource: text,
        name: { type: 'string', maxLength: 253 },
        namespace: { type: 'string', maxLength: 63 },
        operation: { enum: [...OPERATIONS] },
        userInfo: {
          type: 'object',
          properties: {
            username: text,
            uid: text,
            groups: { type: 'array', maxItems: 1000, items: text },
            extra: { type: 'object', additionalProperties: { type: 'array', items: { type: 'string' } } },
          },
        },
        object,
        oldObject: object,
        dryRun: { type: 'boolean' },
      },
    },
  },
} as const;
