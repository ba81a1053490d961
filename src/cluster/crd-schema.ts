/**
 * Turns Palisade's JSON Schemas (rules/rule-schema.ts, policy/exception-file.ts) into the structural
 * OpenAPI v3 schemas a CustomResourceDefinition needs, and checks that a schema is structural.
 *
 * The CRD schema is a first, shallow gate: it gives `kubectl apply` a fast, familiar error for a
 * wrong type or a missing field, and `kubectl explain` something to show. It is not where a rule
 * is validated: CEL cannot be compiled by the API server, and free-form values (a parameter's
 * default, a standards entry that is a string or a list) are only checked by the webhook
 * (cluster/admission.ts), which runs the same loader as rule files.
 *
 * What changes on the way (everything else is copied):
 * - `const: x` becomes `enum: [x]` with the type of x;
 * - an `enum` without a type gets the type of its values;
 * - `additionalProperties: false` is dropped (structural schemas prune unknown fields instead, and
 *   `kubectl apply` reports them with its default --validate=strict);
 * - a value of several shapes (`anyOf`/`oneOf`), an empty schema, or an object schema with neither
 *   `properties` nor `additionalProperties` becomes `x-kubernetes-preserve-unknown-fields: true`, so
 *   nothing the webhook should judge is pruned before it sees it.
 * Any other JSON Schema keyword is an error, so a change to the source schemas that the converter
 * does not understand fails the CRD test instead of being silently dropped.
 */
import { isRecord } from '../json/is-record.js';

export type StructuralType = 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';

export interface StructuralSchema {
  type?: StructuralType;
  description?: string;
  properties?: Record<string, StructuralSchema>;
  additionalProperties?: StructuralSchema;
  items?: StructuralSchema;
  required?: string[];
  enum?: (string | number | boolean)[];
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  maxItems?: number;
  'x-kubernetes-preserve-unknown-fields'?: true;
}

const PRESERVE = 'x-kubernetes-preserve-unknown-fields';
const FREE_FORM: StructuralSchema = { [PRESERVE]: true };

/** Constraints that mean the same in JSON Schema and in a structural schema, copied as they are. */
const COPIED = ['description', 'pattern', 'minLength', 'maxLength', 'minimum', 'maximum', 'minItems', 'maxItems'] as const;
const HANDLED = new Set<string>([
  ...COPIED,
  'type',
  'properties',
  'additionalProperties',
  'items',
  'required',
  'enum',
  'const',
  'anyOf',
  'oneOf',
]);
const TYPES = new Set<string>(['object', 'array', 'string', 'integer', 'number', 'boolean']);

export class SchemaConversionError extends Error {
  constructor(path: string, reason: string) {
    super(`${path || '(root)'}: ${reason}`);
    this.name = 'SchemaConversionError';
  }
}

/** The structural equivalent of one JSON Schema node (and everything below it). */
export function toStructuralSchema(schema: unknown, path = ''): StructuralSchema {
  if (!isRecord(schema)) throw new SchemaConversionError(path, 'a schema must be an object');
  for (const key of Object.keys(schema)) {
    if (!HANDLED.has(key)) throw new SchemaConversionError(path, `JSON Schema keyword "${key}" has no structural equivalent`);
  }
  // Several shapes, or any shape: left to the webhook.
  if ('anyOf' in schema || 'oneOf' in schema || Object.keys(schema).length === 0) return { ...FREE_FORM };

  const out: StructuralSchema = {};
  const values = 'const' in schema ? [schema['const']] : Array.isArray(schema['enum']) ? (schema['enum'] as unknown[]) : undefined;
  const declared = schema['type'];
  if (declared !== undefined && (typeof declared !== 'string' || !TYPES.has(declared))) {
    throw new SchemaConversionError(path, `type ${JSON.stringify(declared)} is not one structural type`);
  }
  const type = (declared as StructuralType | undefined) ?? (values ? typeOfValues(values, path) : undefined);
  if (!type) throw new SchemaConversionError(path, 'a schema needs a type, an enum or a const');
  out.type = type;
  if (values) out.enum = values.map((v) => enumValue(v, type, path));
  for (const key of COPIED) {
    if (schema[key] !== undefined) (out as Record<string, unknown>)[key] = schema[key];
  }

  if (type === 'object') {
    const properties = schema['properties'];
    const additional = schema['additionalProperties'];
    if (isRecord(properties)) {
      out.properties = {};
      for (const [name, child] of Object.entries(properties)) out.properties[name] = toStructuralSchema(child, join(path, name));
      if (isRecord(additional)) throw new SchemaConversionError(path, 'properties and a schema for additionalProperties cannot be combined');
    } else if (isRecord(additional)) {
      out.additionalProperties = toStructuralSchema(additional, `${path}[*]`);
    } else {
      // An object whose members are not described would be pruned empty.
      out[PRESERVE] = true;
    }
    if (Array.isArray(schema['required'])) out.required = [...(schema['required'] as string[])];
  } else if (type === 'array') {
    out.items = schema['items'] === undefined ? { ...FREE_FORM } : toStructuralSchema(schema['items'], `${path}[*]`);
  }
  return out;
}

function typeOfValues(values: readonly unknown[], path: string): StructuralType | undefined {
  const types = new Set(values.map((v) => (typeof v === 'number' ? (Number.isInteger(v) ? 'integer' : 'number') : typeof v)));
  const [only] = types;
  if (types.size !== 1 || !only || !TYPES.has(only)) throw new SchemaConversionError(path, 'enum values must all be strings, numbers or booleans of one type');
  return only as StructuralType;
}

function enumValue(value: unknown, type: StructuralType, path: string): string | number | boolean {
  const ok = (type === 'string' && typeof value === 'string')
    || (type === 'boolean' && typeof value === 'boolean')
    || ((type === 'integer' || type === 'number') && typeof value === 'number');
  if (!ok) throw new SchemaConversionError(path, `enum value ${JSON.stringify(value)} is not of type ${type}`);
  return value as string | number | boolean;
}

function join(path: string, name: string): string {
  return path ? `${path}.${name}` : name;
}

/**
 * The openAPIV3Schema of a custom resource from the JSON Schema of the whole document. apiVersion
 * and kind are plain strings (the API server sets and checks them); metadata keeps only the
 * restrictions on `name`, the one thing a structural schema may say about metadata.
 */
export function resourceSchema(documentSchema: unknown, description: string): StructuralSchema {
  if (!isRecord(documentSchema) || !isRecord(documentSchema['properties'])) {
    throw new SchemaConversionError('', 'a document schema must have properties');
  }
  const properties = documentSchema['properties'];
  const spec = properties['spec'];
  if (spec === undefined) throw new SchemaConversionError('', 'a document schema must describe spec');
  const metadata = isRecord(properties['metadata']) && isRecord(properties['metadata']['properties']) ? properties['metadata']['properties'] : {};
  const name = metadata['name'];
  const required = Array.isArray(documentSchema['required'])
    ? (documentSchema['required'] as string[]).filter((key) => key !== 'apiVersion' && key !== 'kind' && key !== 'metadata')
    : [];
  return {
    type: 'object',
    description,
    properties: {
      apiVersion: { type: 'string' },
      kind: { type: 'string' },
      metadata: { type: 'object', ...(name === undefined ? {} : { properties: { name: toStructuralSchema(name, 'metadata.name') } }) },
      spec: toStructuralSchema(spec, 'spec'),
    },
    ...(required.length > 0 ? { required } : {}),
  };
}

/** Keys a node of a structural schema may have, as Palisade writes them. */
const STRUCTURAL_KEYS = new Set<string>([...COPIED, 'type', 'properties', 'additionalProperties', 'items', 'required', 'enum', PRESERVE, 'x-kubernetes-int-or-string']);

/**
 * Why a schema is not structural (apiextensions.k8s.io/v1), as `path: reason` lines; empty when it
 * is. Checks what Kubernetes checks for the subset of OpenAPI Palisade uses: every node has a type
 * (or preserves unknown fields), `properties` and `additionalProperties` are not combined and the
 * latter is never a boolean, arrays say what their items are, enums match their type, and the root
 * says nothing about metadata but its name.
 */
export function structuralProblems(schema: unknown): string[] {
  const problems: string[] = [];
  check(schema, '', problems);
  if (isRecord(schema)) {
    if (schema['type'] !== 'object') problems.push('(root): type must be object');
    const metadata = isRecord(schema['properties']) ? schema['properties']['metadata'] : undefined;
    if (metadata !== undefined) {
      const { type, properties, ...rest } = isRecord(metadata) ? metadata : {};
      if (type !== 'object') problems.push('metadata: type must be object');
      if (Object.keys(rest).length > 0) problems.push(`metadata: may only restrict name and generateName, not ${Object.keys(rest).join(', ')}`);
      for (const key of Object.keys(isRecord(properties) ? properties : {})) {
        if (key !== 'name' && key !== 'generateName') problems.push(`metadata.${key}: only name and generateName may be restricted`);
      }
    }
  }
  return problems;
}

function check(node: unknown, path: string, problems: string[]): void {
  const at = path || '(root)';
  if (!isRecord(node)) {
    problems.push(`${at}: a schema must be an object`);
    return;
  }
  for (const key of Object.keys(node)) {
    if (!STRUCTURAL_KEYS.has(key)) problems.push(`${at}: "${key}" is not allowed in a structural schema`);
  }
  const preserve = node[PRESERVE];
  if (preserve !== undefined && preserve !== true) problems.push(`${at}: ${PRESERVE} must be true when set`);
  const type = node['type'];
  if (type === undefined) {
    if (preserve !== true && node['x-kubernetes-int-or-string'] !== true) problems.push(`${at}: needs a type (or ${PRESERVE}: true)`);
  } else if (typeof type !== 'string' || !TYPES.has(type)) {
    problems.push(`${at}: type ${JSON.stringify(type)} is not a structural type`);
  }
  if ('properties' in node && 'additionalProperties' in node) problems.push(`${at}: properties and additionalProperties are mutually exclusive`);
  if ('additionalProperties' in node && !isRecord(node['additionalProperties'])) problems.push(`${at}: additionalProperties must be a schema, not ${JSON.stringify(node['additionalProperties'])}`);
  if (('properties' in node || 'additionalProperties' in node) && type !== 'object') problems.push(`${at}: properties need type object`);
  if (type === 'array' && !isRecord(node['items'])) problems.push(`${at}: an array needs one schema for its items`);
  if ('items' in node && type !== 'array') problems.push(`${at}: items need type array`);
  if (Array.isArray(node['enum'])) {
    for (const value of node['enum'] as unknown[]) {
      const fits = type === 'string' ? typeof value === 'string' : type === 'boolean' ? typeof value === 'boolean' : type === 'integer' ? Number.isInteger(value) : type === 'number' ? typeof value === 'number' : false;
      if (!fits) problems.push(`${at}: enum value ${JSON.stringify(value)} does not match type ${String(type)}`);
    }
  }
  if (Array.isArray(node['required'])) {
    const properties = isRecord(node['properties']) ? node['properties'] : {};
    for (const name of node['required'] as unknown[]) {
      if (typeof name !== 'string' || !(name in properties)) problems.push(`${at}: required field ${JSON.stringify(name)} is not among its properties`);
    }
  }
  if (isRecord(node['properties'])) {
    for (const [name, child] of Object.entries(node['properties'])) check(child, path ? `${path}.${name}` : name, problems);
  }
  if (isRecord(node['additionalProperties'])) check(node['additionalProperties'], `${path}[*]`, problems);
  if (isRecord(node['items'])) check(node['items'], `${path}[*]`, problems);
}
