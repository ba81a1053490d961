/**
 * Finds where a value sits inside an object, by identity, and spells the path the way Kubernetes
 * does in field errors: `spec.template.spec.containers[1].securityContext`. Only called when a
 * finding is produced, so the search stays off the hot path of passing objects.
 */
export function pathOf(root: unknown, target: unknown): string {
  if (target === null || typeof target !== 'object') return '';
  const found = search(root, target, 0);
  return found ?? '';
}

const MAX_DEPTH = 64;

function search(node: unknown, target: object, depth: number): string | undefined {
  if (node === target) return '';
  if (node === null || typeof node !== 'object' || depth > MAX_DEPTH) return undefined;
  if (Array.isArray(node)) {
    for (let i = 0; i < node.length; i++) {
      const rest = search(node[i], target, depth + 1);
      if (rest !== undefined) return `[${i}]${rest.startsWith('[') || rest === '' ? rest : `.${rest}`}`;
    }
    return undefined;
  }
  for (const [key, value] of Object.entries(node)) {
    const rest = search(value, target, depth + 1);
    if (rest !== undefined) {
      const segment = /^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? key : `[${JSON.stringify(key)}]`;
      if (rest === '') return segment;
      return rest.startsWith('[') ? `${segment}${rest}` : `${segment}.${rest}`;
    }
  }
  return undefined;
}
