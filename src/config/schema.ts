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

const denyEntry = {
  type: 'object',
  additionalProperties: false,
  required: ['reason'],
  minProperties: 2,
  properties: {
    digest: { type: 'string', pattern: '^sha256:[a-f0-9]{64}$' },
    repository: { type: 'string', minLength: 1 },
    tag: { type: 'string', minLength: 1 },
    reason: { type: 'string', minLength: 1, maxLength: 200 },
  },
} as const;

/** Image verification (src/images/): trusted keys per image pattern, the deny list, registries. */
const images = {
  type: 'object',
  additionalProperties: false,
  properties: {
    verify: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'images'],
        // Something to trust: keys, keyless signers, or both.
        anyOf: [{ required: ['keys'] }, { required: ['keyless'] }],
        properties: {
          name: { type: 'string', minLength: 1 },
          images: { ...strings, minItems: 1 },
          keys: { ...strings, minItems: 1 },
          keyless: {
            type: 'object',
            additionalProperties: false,
            required: ['trustedRoot', 'identities'],
            properties: {
              trustedRoot: { type: 'string', minLength: 1 },
              identities: {
                type: 'array',
                minItems: 1,
                items: {
                  type: 'object',
                  additionalProperties: false,
                  required: ['issuer'],
                  // A subject exactly, or by pattern: never any subject of an issuer by omission.
                  anyOf: [{ required: ['subject'] }, { required: ['subjectRegExp'] }],
                  properties: {
                    issuer: { type: 'string', minLength: 1 },
                    subject: { type: 'string', minLength: 1 },
                    subjectRegExp: { type: 'string', minLength: 1 },
                  },
                },
              },
              transparencyLog: { type: 'boolean' },
              ctLog: { type: 'boolean' },
            },
          },
          failurePolicy: { enum: ['Fail', 'Ignore'] },
        },
      },
    },
    deny: { type: 'array', items: denyEntry },
    denyFiles: { ...strings, uniqueItems: true },
    registries: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['host'],
        properties: { host: { type: 'string', minLength: 1 }, ca: { type: 'string', minLength: 1 }, insecure: { type: 'boolean' } },
      },
    },
    dockerConfig: { type: 'string', minLength: 1 },
    tagTtlSeconds: { type: 'integer', minimum: 0 },
    digestTtlSeconds: { type: 'integer', minimum: 0 },
    timeoutSeconds: { type: 'integer', minimum: 1, maximum: 30 },
  },
} as const;

export { denyEntry };

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
    images,
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
  images?: RawImages;
}

export interface RawDenyEntry {
  digest?: string;
  repository?: string;
  tag?: string;
  reason: string;
}

export interface RawKeyless {
  trustedRoot: string;
  identities: { issuer: string; subject?: string; subjectRegExp?: string }[];
  transparencyLog?: boolean;
  ctLog?: boolean;
}

export interface RawImages {
  verify?: { name: string; images: string[]; keys?: string[]; keyless?: RawKeyless; failurePolicy?: 'Fail' | 'Ignore' }[];
  deny?: RawDenyEntry[];
  denyFiles?: string[];
  registries?: { host: string; ca?: string; insecure?: boolean }[];
  dockerConfig?: string;
  tagTtlSeconds?: number;
  digestTtlSeconds?: number;
  timeoutSeconds?: number;
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
