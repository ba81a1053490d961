/**
 * Builds a Finding from a failed validation: the rule's metadata, the specific detail, and the
 * exact field paths — from which the offending containers and their images are read, so
 * exceptions can target injected sidecars.
 */
import type { CompiledRule, CompiledValidation } from '../rules/types.js';
import { CONTAINER_LISTS, type PodSpecView } from './pod-spec.js';
import type { Finding, FindingResult, KubeObject } from './types.js';
import { isRecord } from '../json/is-record.js';

export interface FindingInput {
  rule: CompiledRule;
  object: KubeObject;
  podSpec: PodSpecView | undefined;
}

export function findingFor(
  input: FindingInput,
  validation: CompiledValidation,
  result: FindingResult,
  message: string,
  paths: string[],
): Finding {
  const { rule, podSpec } = input;
  const meta = rule.meta;
  const fieldPaths = paths.length > 0 ? paths : podSpec ? [podSpec.specPath] : [];
  const containers = podSpec ? containersAt(fieldPaths, podSpec) : [];
  const finding: Finding = {
    ruleId: meta.id,
    code: result === 'error' ? meta.id : validation.code,
    title: meta.title,
    severity: meta.severity,
    category: meta.category,
    ruleClass: meta.ruleClass,
    message,
    remediation: meta.remediation,
    reason: validation.spec.reason,
    paths: fieldPaths,
    containers: containers.map((c) => c.name),
    images: [...new Set(containers.map((c) => c.image).filter((i) => i !== ''))],
    standards: meta.standards,
    result,
    docs: meta.docs,
  };
  // Set only when the rule has them (not spread in: a literal with spreads takes V8's slow path).
  if (meta.mode) finding.ruleMode = meta.mode;
  if (meta.onError) finding.onError = meta.onError;
  return finding;
}

/** The containers the paths point into (`<specPath>.containers[2].image` → containers[2]), each once. */
function containersAt(paths: readonly string[], podSpec: PodSpecView): { name: string; image: string }[] {
  const prefix = `${podSpec.specPath}.`;
  const found: { name: string; image: string }[] = [];
  const seen = new Set<unknown>();
  for (const path of paths) {
    if (!path.startsWith(prefix)) continue;
    const open = path.indexOf('[', prefix.length);
    const close = open === -1 ? -1 : path.indexOf(']', open);
    if (close === -1) continue;
    const list = path.slice(prefix.length, open);
    const index = path.slice(open + 1, close);
    if (!(CONTAINER_LISTS as readonly string[]).includes(list) || !/^\d+$/.test(index)) continue;
    const items = podSpec.spec[list];
    const container: unknown = Array.isArray(items) ? items[Number(index)] : undefined;
    if (!isRecord(container) || seen.has(container)) continue;
    seen.add(container);
    const name = typeof container['name'] === 'string' ? container['name'] : '';
    found.push({ name, image: typeof container['image'] === 'string' ? container['image'] : '' });
  }
  return found;
}
