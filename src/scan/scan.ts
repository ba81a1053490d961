/**
 * The scan pipeline: manifests → evaluate → decide → ScanReport. The same engine and the same
 * decide step as admission, so a rule behaves identically in CI and at `kubectl apply`.
 */
import { evaluate } from '../engine/evaluate.js';
import type { RuleSet } from '../engine/rule-set.js';
import type { ClusterContext, ImageStatus, KubeObject } from '../engine/types.js';
import { decide } from '../policy/decide.js';
import { subjectOf } from '../policy/subject.js';
import type { DecidedFinding, PolicyConfig } from '../policy/types.js';
import type { InputProblem, ResourceRef, ResourceResult, ScanReport, ScanSummary } from '../report/types.js';
import { scoreStandards } from '../standards/score.js';
import type { Standard } from '../standards/types.js';
import type { Manifest } from './manifests.js';
import { isRecord } from '../json/is-record.js';

export interface ScanInput {
  manifests: readonly Manifest[];
  problems: readonly InputProblem[];
  ruleSet: RuleSet;
  config: PolicyConfig;
  now: Date;
  version: string;
  /** Catalogues to score the scan against (none: no scores). */
  standards?: readonly Standard[];
  /** Image statuses resolved before the scan (`--verify-images`), by manifest object. */
  images?: ReadonlyMap<KubeObject, Record<string, ImageStatus>>;
}

export function scanManifests(input: ScanInput): ScanReport {
  const cluster = input.ruleSet.rules.some((r) => r.meta.ruleClass === 'context')
    ? clusterContextOf(input.manifests.map((m) => m.object))
    : undefined;
  const results: ResourceResult[] = [];
  for (const manifest of input.manifests) {
    const images = input.images?.get(manifest.object);
    const resource = { object: manifest.object, operation: 'CREATE' as const, source: { file: manifest.file, line: manifest.line }, ...(images ? { images } : {}) };
    const ref = resourceRef(manifest);
    const evaluation = evaluate(input.ruleSet, resource, { phase: 'scan', ...(cluster ? { cluster } : {}) });
    const findings = evaluation.findings.map((f) => ({ ...f, line: f.paths[0] ? manifest.lineOf(f.paths[0]) : manifest.line }));
    const decision = decide(findings, subjectOf(resource), input.config, input.now);
    results.push({ resource: ref, findings: decision.findings });
  }
  return {
    tool: { name: 'palisade', version: input.version },
    generatedAt: input.now.toISOString(),
    results,
    problems: [...input.problems],
    summary: summarise(results),
    standards: scoreStandards(input.standards ?? [], input.ruleSet.rules.map((r) => r.meta), results),
  };
}

function resourceRef(manifest: Manifest): ResourceRef {
  const object = manifest.object;
  const metadata = isRecord(object['metadata']) ? object['metadata'] : {};
  const name =
    typeof metadata['name'] === 'string'
      ? metadata['name']
      : typeof metadata['generateName'] === 'string'
        ? `${metadata['generateName']}*`
        : '(unnamed)';
  return {
    apiVersion: String(object['apiVersion']),
    kind: String(object['kind']),
    ...(typeof metadata['namespace'] === 'string' ? { namespace: metadata['namespace'] } : {}),
    name,
    file: manifest.file,
    line: manifest.line,
  };
}

/** The scanned set as cluster context: objects by namespace and kind (Namespaces by their own name). */
export function clusterContextOf(objects: readonly KubeObject[]): ClusterContext {
  const context: ClusterContext = { namespaced: {}, clusterScoped: {} };
  for (const object of objects) {
    const kind = String(object['kind']);
    const metadata = isRecord(object['metadata']) ? object['metadata'] : {};
    const namespace = typeof metadata['namespace'] === 'string' ? metadata['namespace'] : undefined;
    if (namespace) {
      const byKind = (context.namespaced[namespace] ??= {});
      (byKind[kind] ??= []).push(object);
    } else {
      (context.clusterScoped[kind] ??= []).push(object);
    }
  }
  return context;
}

export function summarise(results: readonly ResourceResult[]): ScanSummary {
  const all: DecidedFinding[] = results.flatMap((r) => r.findings);
  const bySeverity: Record<string, number> = {};
  for (const f of all) bySeverity[f.severity] = (bySeverity[f.severity] ?? 0) + 1;
  return {
    resources: results.length,
    findings: all.length,
    denied: all.filter((f) => f.denies).length,
    warned: all.filter((f) => !f.denies && !f.exceptedBy && f.mode !== 'dry-run').length,
    recorded: all.filter((f) => !f.denies && !f.exceptedBy && f.mode === 'dry-run').length,
    excepted: all.filter((f) => f.exceptedBy).length,
    bySeverity,
  };
}
