/**
 * Reads multi-document YAML (JSON is YAML too) and keeps enough of the source to point a user at
 * the exact file and line of a document, or of a field inside it.
 */
import { isMap, isNode, isScalar, LineCounter, parseAllDocuments, visit, type Document } from 'yaml';

export interface YamlDocument {
  /** The decoded value; undefined when the document failed to parse. */
  value: unknown;
  /** 1-based line where the document starts. */
  line: number;
  /** Parse errors, each with its own line. */
  errors: { line: number; message: string }[];
  /** 1-based line of the node at `path` (keys and indices), or of the document when absent. */
  lineOf(path: readonly (string | number)[]): number;
  /** Offset-based line lookup, for positions inside a scalar. */
  lineAt(offset: number): number;
}

/** Caps alias expansion ("billion laughs"): a hostile document must not exhaust memory. */
const MAX_ALIAS_COUNT = 100;

export function readYamlDocuments(text: string): YamlDocument[] {
  const lineCounter = new LineCounter();
  // The parser's own duplicate-key check compares every key with every other (quadratic: 20,000 keys
  // took seconds); duplicateKeyErrors does the same job with a Set.
  const docs = parseAllDocuments(text, { lineCounter, prettyErrors: false, uniqueKeys: false });
  const list = Array.isArray(docs) ? docs : [docs];
  const lineAt = (offset: number): number => lineCounter.linePos(offset).line;
  return list
    .map((doc) => toYamlDocument(doc, lineAt))
    .filter((doc) => doc.errors.length > 0 || (doc.value !== null && doc.value !== undefined));
}

function toYamlDocument(doc: Document.Parsed, lineAt: (offset: number) => number): YamlDocument {
  const start = doc.contents && isNode(doc.contents) && doc.contents.range ? doc.contents.range[0] : doc.range[0];
  const line = lineAt(start);
  const errors = doc.errors.map((error) => ({
    line: lineAt(error.pos[0]),
    message: error.message.split('\n')[0] ?? error.message,
  }));
  errors.push(...duplicateKeyErrors(doc, lineAt));
  let value: unknown;
  if (errors.length === 0) {
    try {
      value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (error) {
      errors.push({ line, message: (error as Error).message });
    }
  }
  return {
    value,
    line,
    errors,
    lineAt,
    lineOf(path) {
      for (let depth = path.length; depth > 0; depth--) {
        const node = doc.getIn(path.slice(0, depth), true);
        if (isNode(node) && node.range) return lineAt(node.range[0]);
      }
      return line;
    },
  };
}

/** `spec.template.spec.containers[1].securityContext` → ['spec', 'template', 'spec', 'containers', 1, 'securityContext']. */
export function splitFieldPath(path: string): (string | number)[] {
  const parts: (string | number)[] = [];
  const pattern = /([^.[\]]+)|\[(\d+)\]|\["((?:[^"\\]|\\.)*)"\]/g;
  for (const match of path.matchAll(pattern)) {
    if (match[1] !== undefined) parts.push(match[1]);
    else if (match[2] !== undefined) parts.push(Number(match[2]));
    else if (match[3] !== undefined) parts.push(JSON.parse(`"${match[3]}"`) as string);
  }
  return parts;
}

/** Keys that appear twice in one mapping: an error, as in the API server's strict decoding. */
function duplicateKeyErrors(doc: Document.Parsed, lineAt: (offset: number) => number): { line: number; message: string }[] {
  const errors: { line: number; message: string }[] = [];
  visit(doc, {
    Map(_key, map) {
      if (!isMap(map)) return;
      const seen = new Set<unknown>();
      for (const pair of map.items) {
        const key = isScalar(pair.key) ? pair.key.value : pair.key;
        if (seen.has(key)) {
          const at = isNode(pair.key) && pair.key.range ? pair.key.range[0] : 0;
          errors.push({ line: lineAt(at), message: `Map keys must be unique: "${String(key)}" appears twice` });
        }
        seen.add(key);
      }
    },
  });
  return errors;
}
