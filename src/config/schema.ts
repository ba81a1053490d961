/**
 * JSON Schema of the server's configuration file (`kind: Configuration`, docs/configuration.md).
 * Every mapping is closed (`additionalProperties: false`) so a misspelt field is an error, not a
 * silently ignored setting; the only open mapping is a rule's `parameters`, which the rule itself
 * validates. Inline exceptions reuse the schema of `kind: Exception` files.
 */
import { exceptionSchema, type RawException } from '../policy/exception-file.js';
import type { RuleOverride } from '../policy/types.js';
import { MODES, type Mode, type OnError } from '../rules/types.js';

export const CONFIG_API_VERSION = 'palisade.dev/v1alpha1';
export const CONFIG_KIND = 'Configuration';
export const ON_ERROR = ['deny', 'allow'] as const;

const strings = { type: 'array', items: { type: 'string', minLength: 1 } } as const;
const mode = { enum: [...MODES] } as const;
const onError = { enum: [...ON_ERROR] } as const;
const userMatch = {
  type: 'object',
  additionalProperties: false,
  properties: { usernames: strings, groups: strings },
} as const;

const exceptionProperties = exceptionSchema.properties;

/** An exception written inside the configuration: `metadata` and `spec` as in a `kind: Exception` file. */
const inlineException = {
  type: 'object',
  additionalProperties: false,
  required: ['metadata', 'spec'],
  properties: {
    // Optional, so a whole Exception document can be pasted in.
    apiVersion: exceptionProperties.apiVersion,
    kind: exceptionProperties.kind,
    metadata: { ...exceptionProperties.metadata, additionalProperties: false },
    spec: exceptionProperties.spec,
  },
} as const;

export const configSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    apiVersion: { const: CONFIG_API_VERSION },
    kind: { const: CONFIG_KIND },
    defaultMode: mode,
    onError,
    release: { type: 'string', pattern: '^\\d+\\.\\d+\\.\\d+$' },
    rules: {
      type: 'object',
      additionalProperties: {
        type: 'object',
        additionalProperties: false,
        properties: { mode, disabled: { type: 'boolean' }, onError, parameters: { type: 'object' } },
      },
    },
    disabledCategories: strings,
    namespaces: {
      type: 'object',
      additionalProperties: false,
      properties: { excluded: strings, modes: { type: 'object', additionalProperties: mode } },
    },
    admission: {
      type: 'object',
      additionalProperties: false,
      properties: {
        allowExistingViolations: { type: 'boolean' },
        exemptions: {
          type: 'object',
          additionalProperties: false,
          properties: { usernames: strings, runtimeClasses: strings },
        },
        breakGlass: userMatch,
        modeLabelSetters: userMatch,
        mutation: {
          type: 'object',
          additionalProperties: false,
          properties: { rules: strings, namespaces: strings },
        },
        mutatePodsOnly: { type: 'boolean' },
      },
    },
    cluster: {
      type: 'object',
      additionalProperties: false,
      properties: {
        exceptionNamespaces: strings,
        maxExceptionLifetimeDays: { type: 'integer', minimum: 1 },
      },
    },
    exceptions: { type: 'array', items: inlineException },
    exceptionFiles: { ...strings, uniqueItems: true },
  },
} as const;

/** The file's content once it matches configSchema. */
export interface RawConfig {
  apiVersion?: string;
  kind?: string;
  defaultMode?: Mode;
  onError?: OnError;
  release?: string;
  rules?: Record<string, RuleOverride>;
  disabledCategories?: string[];
  namespaces?: { excluded?: string[]; modes?: Record<string, Mode> };
  admission?: {
    allowExistingViolations?: boolean;
    exemptions?: { usernames?: string[]; runtimeClasses?: string[] };
    breakGlass?: { usernames?: string[]; groups?: string[] };
    modeLabelSetters?: { usernames?: string[]; groups?: string[] };
    mutation?: { rules?: string[]; namespaces?: string[] };
    mutatePodsOnly?: boolean;
  };
  cluster?: { exceptionNamespaces?: string[]; maxExceptionLifetimeDays?: number };
  exceptions?: RawException[];
  exceptionFiles?: string[];
}

/** The sub-schema that describes the value at path, if the schema says anything about it. */
export function schemaAt(path: readonly (string | number)[], schema: unknown = configSchema): Record<string, unknown> | undefined {
  let node: unknown = schema;
  for (const part of path) {
    if (!isObject(node)) return undefined;
    if (typeof part === 'number') {
      node = node['items'];
      continue;
    }
    const properties = node['properties'];
    if (isObject(properties) && Object.hasOwn(properties, part)) node = properties[part];
    else node = node['additionalProperties'];
  }
  return isObject(node) ? node : undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
