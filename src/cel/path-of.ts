/**
 * Finds where a value sits inside an object, by identity, and spells the path the way Kubernetes
 * does in field errors: `spec.template.spec.containers[1].securityContext`. The index of an object
 * is built once, on the first path() call, and reused by every rule evaluated on that object; an
 * object with no finding never pays for it.
 */
const MAX_DEPTH = 64;

export class PathIndex {
  #root: unknown = undefined;
  #paths: Map<object, string> | undefined;

  pathOf(root: unknown, target: unknown): string {
    if (target === null || typeof target !== 'object') return '';
    if (this.#root !== root || !this.#paths) {
      this.#root = root;
      this.#paths = new Map();
      index(root, '', this.#paths, 0);
    }
    return this.#paths.get(target) ?? '';
  }
}

function index(node: unknown, path: string, paths: Map<object, string>, depth: number): void {
  if (node === null || typeof node !== 'object' || depth > MAX_DEPTH) return;
  if (!paths.has(node)) paths.set(node, path);
  if (Array.isArray(node)) {
    for (let i = 0; i < node.length; i++) index(node[i], `${path}[${i}]`, paths, depth + 1);
    return;
  }
  for (const [key, value] of Object.entries(node)) {
    if (value === null || typeof value !== 'object') continue;
    const segment = /^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? key : `[${JSON.stringify(key)}]`;
    const child = path === '' ? segment : segment.startsWith('[') ? `${path}${segment}` : `${path}.${segment}`;
    index(value, child, paths, depth + 1);
  }
}
