/**
 * Reads the standards catalogues (`kind: Standard`), validating them like rules: every problem
 * with file, line and field.
 */
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { FileProblem } from '../rules/problems.js';
import { compileSchema, schemaProblems } from '../rules/schema-validator.js';
import { readYamlDocuments } from '../rules/yaml-documents.js';
import { COVERAGES, type Standard } from './types.js';

const text = { type: 'string', minLength: 1 } as const;

export const standardSchema = {
  type: 'object',
  required: ['apiVersion', 'kind', 'metadata', 'spec'],
  additionalProperties: false,
  properties: {
    apiVersion: { const: 'palisade.dev/v1alpha1' },
    kind: { const: 'Standard' },
    metadata: { type: 'object', required: ['name'], properties: { name: { type: 'string', pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$' } } },
    spec: {
      type: 'object',
      additionalProperties: false,
      required: ['title', 'version', 'url', 'controls'],
      properties: {
        title: text,
        version: text,
        url: text,
        notes: text,
        controls: {
          type: 'array',
          minItems: 1,
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['id', 'title', 'section', 'coverage'],
            properties: { id: text, title: text, section: text, coverage: { enum: [...COVERAGES] }, reason: text },
            // An out-of-scope control must say why; an in-scope one must not pretend to.
            if: { properties: { coverage: { const: 'out-of-scope' } } },
            then: { required: ['reason'] },
          },
        },
      },
    },
  },
} as const;

const validateStandard = compileSchema(standardSchema);

interface RawStandard {
  metadata: { name: string };
  spec: Omit<Standard, 'id'>;
}

export interface StandardsLoad {
  standards: Standard[];
  problems: FileProblem[];
}

export function parseStandard(source: string, file: string): StandardsLoad {
  const out: StandardsLoad = { standards: [], problems: [] };
  for (const doc of readYamlDocuments(source)) {
    if (doc.errors.length > 0) {
      out.problems.push(...doc.errors.map((e) => ({ file, line: e.line, field: '', message: `invalid YAML: ${e.message}` })));
      continue;
    }
    const problems = schemaProblems(validateStandard, doc, file);
    if (problems.length > 0) {
      out.problems.push(...problems);
      continue;
    }
    const raw = doc.value as RawStandard;
    const seen = new Set<string>();
    raw.spec.controls.forEach((control, i) => {
      if (seen.has(control.id)) {
        out.problems.push({ file, line: doc.lineOf(['spec', 'controls', i, 'id']), field: `spec.controls[${i}].id`, message: `control "${control.id}" is listed twice` });
      }
      seen.add(control.id);
    });
    out.standards.push({ id: raw.metadata.name, ...raw.spec });
  }
  return out;
}

/** Every `*.yaml` catalogue in the folder. */
export async function loadStandards(dir: string): Promise<StandardsLoad> {
  const out: StandardsLoad = { standards: [], problems: [] };
  const names = (await readdir(dir)).filter((n) => /\.ya?ml$/.test(n)).sort();
  for (const name of names) {
    const file = join(dir, name);
    const one = parseStandard(await readFile(file, 'utf8'), file);
    out.standards.push(...one.standards);
    out.problems.push(...one.problems);
  }
  return out;
}
