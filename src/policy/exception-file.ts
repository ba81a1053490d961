/**
 * Parses `kind: Exception` documents (files, and the custom resources of the same schema) into
 * PolicyExceptions. Takes text, not paths: reading files is the caller's job.
 */
import { labelSelectorSchema } from '../rules/rule-schema.js';
import type { FileProblem } from '../rules/problems.js';
import { compileSchema, schemaProblems } from '../rules/schema-validator.js';
import { readYamlDocuments } from '../rules/yaml-documents.js';
import type { LabelSelector, SourceRef } from '../rules/types.js';
import type { PolicyException } from './types.js';

const names = { type: 'array', items: { type: 'string', minLength: 1 } } as const;

export const exceptionSchema = {
  type: 'object',
  required: ['apiVersion', 'kind', 'metadata', 'spec'],
  properties: {
    apiVersion: { const: 'palisade.dev/v1alpha1' },
    kind: { const: 'Exception' },
    metadata: {
      type: 'object',
      required: ['name'],
      properties: { name: { type: 'string', minLength: 1 }, namespace: { type: 'string' } },
    },
    spec: {
      type: 'object',
      additionalProperties: false,
      required: ['rules', 'match', 'reason', 'owner', 'expiresAt'],
      properties: {
        rules: { ...names, minItems: 1 },
        match: {
          type: 'object',
          additionalProperties: false,
          properties: {
            namespaces: names,
            kinds: names,
            names,
            selector: labelSelectorSchema,
            owners: {
              type: 'array',
              items: {
                type: 'object',
                additionalProperties: false,
                required: ['kind', 'name'],
                properties: { kind: { type: 'string', minLength: 1 }, name: { type: 'string', minLength: 1 } },
              },
            },
            containers: names,
            images: names,
          },
        },
        reason: { type: 'string', minLength: 1 },
        owner: { type: 'string', minLength: 1 },
        expiresAt: { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}(T\\d{2}:\\d{2}(:\\d{2}(\\.\\d+)?)?(Z|[+-]\\d{2}:\\d{2}))?$' },
      },
    },
  },
} as const;

const validateException = compileSchema(exceptionSchema);

/** An exception that passed the schema (metadata + spec), before it becomes a PolicyException. */
export interface RawException {
  metadata: { name: string; namespace?: string };
  spec: {
    rules: string[];
    match: {
      namespaces?: string[];
      kinds?: string[];
      names?: string[];
      selector?: LabelSelector;
      owners?: { kind: string; name: string }[];
      containers?: string[];
      images?: string[];
    };
    reason: string;
    owner: string;
    expiresAt: string;
  };
}

export function parseExceptions(text: string, file: string): { exceptions: PolicyException[]; problems: FileProblem[] } {
  const exceptions: PolicyException[] = [];
  const problems: FileProblem[] = [];
  for (const doc of readYamlDocuments(text)) {
    if (doc.errors.length > 0) {
      problems.push(...doc.errors.map((e) => ({ file, line: e.line, field: '', message: `invalid YAML: ${e.message}` })));
      continue;
    }
    const found = schemaProblems(validateException, doc, file);
    if (found.length > 0) {
      problems.push(...found);
      continue;
    }
    const raw = doc.value as RawException;
    const expiresAt = parseExpiresAt(raw.spec.expiresAt);
    if (!expiresAt) {
      problems.push({ file, line: doc.lineOf(['spec', 'expiresAt']), field: 'spec.expiresAt', message: 'is not a valid date' });
      continue;
    }
    exceptions.push(toPolicyException(raw, expiresAt, { file, line: doc.line }));
  }
  return { exceptions, problems };
}

/** `expiresAt` as written (already matched by the schema's pattern); undefined when it is no real date. */
export function parseExpiresAt(value: string): Date | undefined {
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/** Shared by exception files and inline exceptions in the configuration file (config/load.ts). */
export function toPolicyException(raw: RawException, expiresAt: Date, source: SourceRef): PolicyException {
  const match = raw.spec.match;
  return {
    name: raw.metadata.name,
    ...(raw.metadata.namespace ? { namespace: raw.metadata.namespace } : {}),
    rules: raw.spec.rules,
    match: {
      namespaces: match.namespaces ?? [],
      kinds: match.kinds ?? [],
      names: match.names ?? [],
      ...(match.selector ? { selector: match.selector } : {}),
      owners: match.owners ?? [],
      containers: match.containers ?? [],
      images: match.images ?? [],
    },
    reason: raw.spec.reason,
    owner: raw.spec.owner,
    expiresAt,
    source,
  };
}
