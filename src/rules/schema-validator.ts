/**
 * Validates a decoded YAML document against a JSON Schema and turns ajv's errors into
 * file:line:field problems a user can act on.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { YamlDocument } from './yaml-documents.js';
import { fieldName, type FileProblem } from './problems.js';

const ajv = new Ajv({ allErrors: true, strict: false });

export function compileSchema(schema: object): ValidateFunction {
  return ajv.compile(schema);
}

export function schemaProblems(validate: ValidateFunction, doc: YamlDocument, file: string): FileProblem[] {
  if (validate(doc.value)) return [];
  const errors = pruneAnyOfNoise(validate.errors ?? []);
  return errors.map((error) => {
    const path = pointerToPath(error.instancePath);
    const missing = error.keyword === 'required' ? String(error.params['missingProperty']) : undefined;
    const extra = error.keyword === 'additionalProperties' ? String(error.params['additionalProperty']) : undefined;
    const at = extra ? [...path, extra] : path;
    return { file, line: doc.lineOf(at), field: fieldName(missing ? [...path, missing] : at), message: describe(error) };
  });
}

function describe(error: ErrorObject): string {
  switch (error.keyword) {
    case 'required':
      return 'is required';
    case 'additionalProperties':
      return 'is not a known field';
    case 'enum':
      return `must be one of: ${(error.params['allowedValues'] as unknown[]).map(String).join(', ')}`;
    case 'const':
      return `must be ${JSON.stringify(error.params['allowedValue'])}`;
    case 'pattern':
      return `must match ${String(error.params['pattern'])}`;
    default:
      return error.message ?? error.keyword;
  }
}

/**
 * An `anyOf` failure reports every branch's error plus its own; keep only the summary, which
 * says the value has none of the accepted shapes.
 */
function pruneAnyOfNoise(errors: ErrorObject[]): ErrorObject[] {
  const anyOfPaths = new Set(errors.filter((e) => e.keyword === 'anyOf').map((e) => e.instancePath));
  return errors.filter((e) => e.keyword === 'anyOf' || !anyOfPaths.has(e.instancePath));
}

function pointerToPath(pointer: string): (string | number)[] {
  if (!pointer) return [];
  return pointer
    .slice(1)
    .split('/')
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((part) => (/^\d+$/.test(part) ? Number(part) : part));
}
