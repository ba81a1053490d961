/**
 * Reads Kubernetes manifests from files, folders (recursively) and stdin: multi-document YAML and
 * JSON, `kind: List`, and the output of `helm template` and `kustomize build`. Every object keeps
 * its file and line; a document that is not a Kubernetes object is a problem with file:line, and
 * reading goes on.
 */
import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { KubeObject } from '../engine/types.js';
import { readYamlDocuments, splitFieldPath, type YamlDocument } from '../rules/yaml-documents.js';
import type { InputProblem } from '../report/types.js';
import { isRecord } from '../json/is-record.js';

export interface Manifest {
  object: KubeObject;
  file: string;
  line: number;
  /** Line of a field path inside this object (for findings). */
  lineOf(fieldPath: string): number;
}

export interface ManifestRead {
  manifests: Manifest[];
  problems: InputProblem[];
}

const MANIFEST_FILE = /\.(ya?ml|json)$/i;
/** A scan must not be sunk by one enormous file; etcd objects are at most 1.5 MB anyway. */
export const MAX_MANIFEST_BYTES = 16 * 1024 * 1024;

export async function readManifestInputs(inputs: readonly string[], readStdin: () => Promise<string>): Promise<ManifestRead> {
  const out: ManifestRead = { manifests: [], problems: [] };
  for (const input of inputs) {
    if (input === '-') {
      try {
        addText(out, await readStdin(), '-');
      } catch (error) {
        out.problems.push({ file: '-', message: `cannot read stdin: ${(error as Error).message}` });
      }
      continue;
    }
    let files: string[];
    try {
      files = await expand(input);
    } catch (error) {
      out.problems.push({ file: input, message: `cannot read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}` });
      continue;
    }
    for (const file of files) {
      try {
        const info = await stat(file);
        if (info.size > MAX_MANIFEST_BYTES) {
          out.problems.push({ file, message: `file is ${info.size} bytes; the limit is ${MAX_MANIFEST_BYTES}` });
          continue;
        }
        addText(out, await readFile(file, 'utf8'), file);
      } catch (error) {
        out.problems.push({ file, message: `cannot read: ${(error as Error).message}` });
      }
    }
  }
  return out;
}

async function expand(path: string): Promise<string[]> {
  const info = await stat(path);
  if (!info.isDirectory()) return [path];
  const entries = await readdir(path, { withFileTypes: true });
  entries.sort((a, b) => a.name.localeCompare(b.name));
  const files: string[] = [];
  for (const entry of entries) {
    if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
    const full = join(path, entry.name);
    if (entry.isDirectory()) files.push(...(await expand(full)));
    else if (MANIFEST_FILE.test(entry.name)) files.push(full);
  }
  return files;
}

/** Adds every object in one file's text. */
export function addText(out: ManifestRead, text: string, file: string): void {
  let docs: YamlDocument[];
  try {
    docs = readYamlDocuments(text);
  } catch (error) {
    out.problems.push({ file, line: 1, message: `cannot parse: ${(error as Error).message}` });
    return;
  }
  for (const doc of docs) {
    if (doc.errors.length > 0) {
      for (const e of doc.errors) out.problems.push({ file, line: e.line, message: `invalid YAML: ${e.message}` });
      continue;
    }
    addObject(out, doc, doc.value, [], file);
  }
}

function addObject(out: ManifestRead, doc: YamlDocument, value: unknown, at: (string | number)[], file: string): void {
  const line = doc.lineOf(at);
  const problem = notAnObject(value);
  if (problem) {
    out.problems.push({ file, line, message: problem });
    return;
  }
  const object = value as KubeObject;
  const kind = object['kind'] as string;
  if (kind.endsWith('List') && Array.isArray(object['items'])) {
    object['items'].forEach((item: unknown, i: number) => addObject(out, doc, item, [...at, 'items', i], file));
    return;
  }
  out.manifests.push({ object, file, line, lineOf: (fieldPath) => doc.lineOf([...at, ...splitFieldPath(fieldPath)]) });
}

function notAnObject(value: unknown): string | undefined {
  if (!isRecord(value)) return `not a Kubernetes object: the document is a ${Array.isArray(value) ? 'list' : typeof value}`;
  if (typeof value['apiVersion'] !== 'string' || !value['apiVersion']) return 'not a Kubernetes object: apiVersion is missing';
  if (typeof value['kind'] !== 'string' || !value['kind']) return 'not a Kubernetes object: kind is missing';
  return undefined;
}
