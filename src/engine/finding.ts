/**
 * Builds a Finding from a failed validation: the rule's metadata, the specific detail, and the
 * exact field paths — from which the offending containers and their images are read, so
 * exceptions can target injected sidecars.
 */
import type { CompiledRule, CompiledValidation } from '../rules/types.js';
import { CONTAINER_LISTS, isRecord, type PodSpecView } from './pod-spec.js';
import type { Finding, FindingResult, KubeObject } from './types.js';

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
  return {
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
    ...(meta.mode ? { ruleMode: meta.mode } : {}),
    ...(meta.onError ? { onError: meta.onError } : {}),
    result,
    docs: meta.docs,
  };
}

function containersAt(paths: readonly string[], podSpec: PodSpecView): { name: string; image: string }[] {
  const prefix = `${podSpec.specPath}.`;
  const seen = new Map<string, { name: string; image: string }>();
  for (const path of paths) {
    if (!path.startsWith(prefix)) continue;
    const match = /^(\w+)\[(\d+)\]/.exec(path.slice(prefix.length));
    if (!match || !(CONTAINER_LISTS as readonly string[]).includes(match[1] ?? '')) continue;
    const list = podSpec.spec[match[1] ?? ''];
    const container: unknown = Array.isArray(list) ? list[Number(match[2])] : undefined;
    if (!isRecord(container)) continue;
    const name = typeof container['name'] === 'string' ? container['name'] : '';
    seen.set(`${match[1]}/${match[2]}`, { name, image: typeof container['image'] === 'string' ? container['image'] : '' });
  }
  return [...seen.values()];
}
