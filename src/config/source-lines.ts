/**
 * Lines of the keys of a one-document YAML file. yaml-documents.ts locates a field by its value,
 * which for a nested mapping is the line *below* its key; a user fixing `rules.some-rule` wants
 * the line of the key itself. Used only on a document that readYamlDocuments already accepted.
 */
import { isMap, isNode, isScalar, isSeq, LineCounter, parseAllDocuments, type Node } from 'yaml';
import { fieldName } from '../rules/problems.js';

export interface SourceLines {
  /** 1-based line of the key (in a mapping) or item (in a list) at path; the nearest ancestor's when absent. */
  lineOf(path: readonly (string | number)[]): number;
  /** Every key and list item of the document, by field name (`rules.x.mode`, `exceptions[0]`) → line. */
  all(): Record<string, number>;
}

export function sourceLines(text: string): SourceLines {
  const lineCounter = new LineCounter();
  const parsed = parseAllDocuments(text, { lineCounter, uniqueKeys: false });
  const docs = Array.isArray(parsed) ? parsed : [];
  // The same document readYamlDocuments kept: the first whose value is not null.
  const doc = docs.find((d) => d.contents !== null && !(isScalar(d.contents) && d.contents.value === null));
  const lineAt = (offset: number): number => lineCounter.linePos(offset).line;
  const root: unknown = doc?.contents;
  const rootLine = isNode(root) && root.range ? lineAt(root.range[0]) : 1;

  return {
    lineOf(path) {
      let node: unknown = root;
      let line = rootLine;
      for (const part of path) {
        const child = childOf(node, part);
        if (!child) break;
        line = lineAt(child.start);
        node = child.node;
      }
      return line;
    },
    all() {
      const lines: Record<string, number> = {};
      const walk = (node: unknown, path: (string | number)[]): void => {
        for (const [part, child] of childrenOf(node)) {
          const at = [...path, part];
          lines[fieldName(at)] = lineAt(child.start);
          walk(child.node, at);
        }
      };
      walk(root, []);
      return lines;
    },
  };
}

interface Child {
  node: unknown;
  /** Offset of the key (mapping) or of the item (list). */
  start: number;
}

function childOf(node: unknown, part: string | number): Child | undefined {
  for (const [key, child] of childrenOf(node)) if (key === part) return child;
  return undefined;
}

/** Aliases are not followed: a key is where it is written. */
function childrenOf(node: unknown): [string | number, Child][] {
  const out: [string | number, Child][] = [];
  if (isMap(node)) {
    for (const pair of node.items) {
      const key: unknown = pair.key;
      const name = isScalar(key) ? String(key.value) : undefined;
      const start = offsetOf(key) ?? offsetOf(pair.value);
      if (name !== undefined && start !== undefined) out.push([name, { node: pair.value, start }]);
    }
  } else if (isSeq(node)) {
    node.items.forEach((item, index) => {
      const start = offsetOf(item);
      if (start !== undefined) out.push([index, { node: item, start }]);
    });
  }
  return out;
}

function offsetOf(node: unknown): number | undefined {
  return isNode(node) && (node as Node).range ? (node as Node).range?.[0] : undefined;
}
