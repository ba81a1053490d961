/**
 * JSON Schema of a rule file (`kind: Rule`). Validated once at load; errors are mapped back to
 * file:line through the YAML source. Exported so editors and CI can use it too
 * (`palisade rules schema`).
 */
import { MODES, OPERATIONS, RULE_CLASSES, SEVERITIES, STATUS_REASONS } from './types.js';

export const RULE_ID_PATTERN = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';

const expression = { type: 'string', minLength: 1 } as const;
const stringList = { type: 'array', items: { type: 'string', minLength: 1 } } as const;
/** Variables are read as `variables.<name>`, so their names are CEL identifiers. */
const variable = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'expression'],
  properties: { name: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]*$' }, expression },
} as const;
/** matchConditions names are qualified names, as in ValidatingAdmissionPolicy. */
const matchCondition = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'expression'],
  properties: { name: { type: 'string', maxLength: 63, pattern: '^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$' }, expression },
} as const;

export const labelSelectorSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    matchLabels: { type: 'object', additionalProperties: { type: 'string' } },
    matchExpressions: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['key', 'operator'],
        properties: {
          key: { type: 'string', minLength: 1 },
          operator: { enum: ['In', 'NotIn', 'Exists', 'DoesNotExist'] },
          values: stringList,
        },
      },
    },
  },
} as const;

export const ruleSchema = {
  type: 'object',
  required: ['apiVersion', 'kind', 'metadata', 'spec'],
  additionalProperties: false,
  properties: {
    apiVersion: { const: 'palisade.dev/v1alpha1' },
    kind: { const: 'Rule' },
    metadata: {
      type: 'object',
      required: ['name'],
      properties: {
        name: { type: 'string', maxLength: 63, pattern: RULE_ID_PATTERN },
        labels: { type: 'object', additionalProperties: { type: 'string' } },
        annotations: { type: 'object', additionalProperties: { type: 'string' } },
      },
    },
    spec: {
      type: 'object',
      additionalProperties: false,
      required: ['title', 'description', 'severity', 'category', 'class', 'remediation', 'match', 'validations'],
      properties: {
        title: { type: 'string', minLength: 1, maxLength: 120 },
        description: { type: 'string', minLength: 1 },
        severity: { enum: [...SEVERITIES] },
        category: { type: 'string', pattern: RULE_ID_PATTERN },
        class: { enum: [...RULE_CLASSES] },
        version: { type: 'integer', minimum: 1 },
        since: { type: 'string', pattern: '^\\d+\\.\\d+\\.\\d+$' },
        standards: {
          type: 'object',
          additionalProperties: {
            anyOf: [{ type: 'string', minLength: 1 }, { ...stringList, minItems: 1 }],
          },
        },
        mode: { enum: [...MODES] },
        onError: { enum: ['deny', 'allow'] },
        remediation: { type: 'string', minLength: 1 },
        docs: { type: 'string', pattern: '^(https?://|docs/)' },
        contextKinds: stringList,
        parameters: {
          type: 'array',
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['name', 'description', 'default'],
            properties: {
              name: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]*$' },
              description: { type: 'string' },
              default: {},
            },
          },
        },
        match: {
          type: 'object',
          additionalProperties: false,
          required: ['resources'],
          properties: {
            resources: {
              type: 'array',
              minItems: 1,
              items: {
                anyOf: [
                  { const: 'workloads' },
                  {
                    type: 'object',
                    additionalProperties: false,
                    required: ['kinds'],
                    // '' is the core API group.
                    properties: { apiGroups: { type: 'array', items: { type: 'string' } }, kinds: { ...stringList, minItems: 1 } },
                  },
                ],
              },
            },
            operations: { type: 'array', items: { enum: [...OPERATIONS, '*'] } },
            namespaces: stringList,
            excludeNamespaces: stringList,
            namespaceSelector: labelSelectorSchema,
            objectSelector: labelSelectorSchema,
          },
        },
        matchConditions: { type: 'array', items: matchCondition },
        variables: { type: 'array', items: variable },
        validations: {
          type: 'array',
          minItems: 1,
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['expression'],
            properties: {
              name: { type: 'string', pattern: RULE_ID_PATTERN },
              expression,
              message: { type: 'string', minLength: 1 },
              messageExpression: expression,
              reason: { enum: [...STATUS_REASONS] },
              fieldPathExpression: expression,
            },
          },
        },
        auditAnnotations: {
          type: 'array',
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['key', 'valueExpression'],
            properties: { key: { type: 'string', pattern: '^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$' }, valueExpression: expression },
          },
        },
        mutations: {
          type: 'array',
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['patchType', 'expression'],
            properties: { patchType: { const: 'JSONPatch' }, expression },
          },
        },
      },
    },
  },
} as const;
