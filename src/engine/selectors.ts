/**
 * Label selectors (Kubernetes semantics) and name globs, shared by rule matching and exceptions.
 */
import { setKey } from '../json/set-key.js';
import type { LabelSelector } from '../rules/types.js';

export function matchesLabelSelector(selector: LabelSelector | undefined, labels: Record<string, string>): boolean {
  if (!selector) return true;
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    if (labels[key] !== value) return false;
  }
  for (const requirement of selector.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, requirement.key);
    const value = labels[requirement.key];
    const values = requirement.values ?? [];
    switch (requirement.operator) {
      case 'In':
        if (!has || !values.includes(value ?? '')) return false;
        break;
      case 'NotIn':
        if (has && values.includes(value ?? '')) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
    }
  }
  return true;
}

/**
 * `*` matches any run of characters; nothing else is special. Greedy segment matching keeps it
 * linear in the name's length for the patterns users write (no backtracking regex).
 */
export function matchesGlob(pattern: string, name: string): boolean {
  if (!pattern.includes('*')) return pattern === name;
  const parts = pattern.split('*');
  const first = parts[0] ?? '';
  const last = parts[parts.length - 1] ?? '';
  if (!name.startsWith(first) || name.length < first.length + last.length) return false;
  let position = first.length;
  const end = name.length - last.length;
  for (let i = 1; i < parts.length - 1; i++) {
    const part = parts[i] ?? '';
    const found = name.indexOf(part, position);
    if (found === -1 || found + part.length > end) return false;
    position = found + part.length;
  }
  return name.endsWith(last);
}

export function matchesAnyGlob(patterns: readonly string[], name: string): boolean {
  for (const pattern of patterns) if (matchesGlob(pattern, name)) return true;
  return false;
}

/** Labels of an object, as strings (values may have been turned into BigInt by the engine). */
export function labelsOf(object: Record<string, unknown> | null | undefined): Record<string, string> {
  const metadata = object?.['metadata'];
  const labels = typeof metadata === 'object' && metadata !== null ? (metadata as Record<string, unknown>)['labels'] : undefined;
  if (typeof labels !== 'object' || labels === null) return {};
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(labels)) setKey(out, k, String(v));
  return out;
}
