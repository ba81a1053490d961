/**
 * Finds where a value sits inside an object, by identity, and spells the path the way Kubernetes
 * does in field errors: `spec.template.spec.containers[1].securityContext`. Only called when a
 * finding is produced. Anchors (the PodSpec behind the podSpec view) are searched first, since
 * nearly every path a rule asks for lies inside them; the search allocates nothing until it hits.
 */
export interface PathAnchor {
  /** A view built over the object (podSpec) that stands for `node`. */
  view: unknown;
  node: object;
  /** Path of `node` from the root. */
  path: string;
}

const MAX_DEPTH = 64;

export function pathOf(root: unknown, target: unknown, anchors: readonly PathAnchor[] = []): string {
  if (target === null || typeof target !== 'object') return '';
  for (const anchor of anchors) {
    if (target === anchor.view || target === anchor.node) return anchor.path;
  }
  for (const anchor of anchors) {
    const rest = search(anchor.node, target, 0);
    if (rest !== undefined) return joinPath(anchor.path, rest);
  }
  return search(root, target, 0) ?? '';
}

function search(node: unknown, target: object, depth: number): string | undefined {
  if (node === target) return '';
  if (node === null || typeof node !== 'object' || depth > MAX_DEPTH) return undefined;
  if (Array.isArray(node)) {
    for (let i = 0; i < node.length; i++) {
      const item: unknown = node[i];
      if (item === null || typeof item !== 'object') continue;
      const rest = search(item, target, depth + 1);
      if (rest !== undefined) return joinPath(`[${i}]`, rest);
    }
    return undefined;
  }
  for (const key in node) {
    const item = (node as Record<string, unknown>)[key];
    if (item === null || typeof item !== 'object') continue;
    const rest = search(item, target, depth + 1);
    if (rest !== undefined) return joinPath(/^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? key : `[${JSON.stringify(key)}]`, rest);
  }
  return undefined;
}

/** Appends a field path (`a.b`, `[0].c`) to a base path. */
export function joinPath(base: string, rest: string): string {
  if (rest === '') return base;
  if (base === '') return rest;
  return rest.startsWith('[') ? `${base}${rest}` : `${base}.${rest}`;
}
