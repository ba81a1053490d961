/**
 * The response schema of the admission routes: fast serialisation, and a guard against disclosure
 * (a field not listed here never leaves the server, whatever a bug puts in the object).
 */
const stringMap = { type: 'object', additionalProperties: { type: 'string' } } as const;

export const admissionReviewResponseSchema = {
  type: 'object',
  required: ['apiVersion', 'kind', 'response'],
  properties: {
    apiVersion: { type: 'string' },
    kind: { type: 'string' },
    response: {
      type: 'object',
      required: ['uid', 'allowed'],
      properties: {
        uid: { type: 'string' },
        allowed: { type: 'boolean' },
        status: {
          type: 'object',
          properties: { code: { type: 'integer' }, reason: { type: 'string' }, message: { type: 'string' } },
        },
        warnings: { type: 'array', items: { type: 'string' } },
        auditAnnotations: stringMap,
        patchType: { type: 'string' },
        patch: { type: 'string' },
      },
    },
  },
} as const;
