/**
 * Runs one rule against its pass/ and fail/ fixtures. A fixture file may begin with a
 * `kind: FixtureContext` document giving what admission or the image verifier would supply
 * (operation, oldObject, namespace labels, image signature status); it applies to the documents
 * after it. Context rules see the whole fixture file as the cluster.
 */
import { readFile } from 'node:fs/promises';
import { evaluate } from '../engine/evaluate.js';
import type { RuleSet } from '../engine/rule-set.js';
import type { ImageStatus, KubeObject, RequestView, Resource } from '../engine/types.js';
import type { CompiledRule, Operation } from '../rules/types.js';
import { addText, type Manifest, type ManifestRead } from '../scan/manifests.js';
import { clusterContextOf } from '../scan/scan.js';
import { isRecord } from '../json/is-record.js';

export type Expectation = 'pass' | 'fail';

export interface FixtureCase {
  file: string;
  expectation: Expectation;
  ok: boolean;
  /** What happened, for the report line (messages of the findings, or why the case failed). */
  detail: string;
}

interface FixtureContext {
  /** Parameter values for the rule under test, to cover non-default settings. */
  params?: Record<string, unknown>;
  operation?: Operation;
  request?: RequestView;
  namespaceObject?: KubeObject;
  oldObject?: KubeObject;
  namespaceLabels?: Record<string, string>;
  images?: Record<string, ImageStatus>;
}

export async function runFixture(ruleSet: RuleSet, rule: CompiledRule, file: string, expectation: Expectation): Promise<FixtureCase> {
  const read: ManifestRead = { manifests: [], problems: [] };
  addText(read, await readFile(file, 'utf8'), file);
  const fail = (detail: string): FixtureCase => ({ file, expectation, ok: false, detail });
  if (read.problems.length > 0) {
    const p = read.problems[0];
    return fail(`fixture cannot be read: ${p?.file}:${p?.line ?? 0}: ${p?.message ?? ''}`);
  }
  const { documents, context, unknownFields } = splitContext(read.manifests);
  if (unknownFields.length > 0) {
    return fail(`FixtureContext has unknown fields: ${unknownFields.join(', ')} (known: ${CONTEXT_FIELDS.join(', ')})`);
  }
  if (documents.length === 0) return fail('fixture holds no Kubernetes object');
  const isContextRule = rule.meta.ruleClass === 'context';
  const cluster = isContextRule ? clusterContextOf(documents.map((d) => d.manifest.object)) : undefined;
  const phase = rule.meta.ruleClass === 'admission' ? 'admission' : 'scan';

  const messages: string[] = [];
  let evaluatedCount = 0;
  let failedCount = 0;
  for (const { manifest, context: ctx } of documents) {
    const where = `${String(manifest.object['kind'])} at line ${manifest.line}`;
    const params = (ctx ?? context)?.params;
    const unknownParams = Object.keys(params ?? {}).filter((k) => !(k in rule.params));
    if (unknownParams.length > 0) return fail(`FixtureContext sets unknown parameters: ${unknownParams.join(', ')}`);
    const evaluation = evaluate(ruleSet, resourceOf(manifest, ctx ?? context), {
      phase,
      ...(cluster ? { cluster } : {}),
      ...(params ? { parameters: { [rule.meta.id]: params } } : {}),
    });
    if (evaluation.excludedByCondition.includes(rule.meta.id)) {
      // An object a matchCondition exempts is a valid pass case (sandbox pods, system users…).
      if (expectation === 'fail') return fail(`${where}: a matchCondition excluded it, so it cannot fail`);
      evaluatedCount++;
      messages.push(`${where}: excluded by a matchCondition`);
      continue;
    }
    if (!evaluation.evaluated.includes(rule.meta.id)) {
      if (!isContextRule) return fail(`${where}: the rule does not apply to it, so the fixture proves nothing`);
      continue;
    }
    evaluatedCount++;
    const own = evaluation.findings.filter((f) => f.ruleId === rule.meta.id);
    const error = own.find((f) => f.result === 'error');
    if (error) return fail(`${where}: ${error.message}`);
    if (own.length > 0) {
      failedCount++;
      messages.push(...own.map((f) => `${f.code}: ${f.message}`));
    } else if (expectation === 'fail' && !isContextRule) {
      return fail(`${where}: expected a finding, got none`);
    }
  }
  if (evaluatedCount === 0) return fail('the rule applies to no object in the fixture');
  if (expectation === 'pass' && failedCount > 0) return fail(`expected no finding, got: ${messages.join('; ')}`);
  if (expectation === 'pass') return { file, expectation, ok: true, detail: messages.length > 0 ? messages.join('; ') : 'no finding' };
  if (expectation === 'fail' && failedCount === 0) return fail('expected a finding, got none');
  return { file, expectation, ok: true, detail: messages.join('; ') };
}

const CONTEXT_FIELDS = ['params', 'operation', 'request', 'oldObject', 'namespaceObject', 'namespaceLabels', 'images'];

function splitContext(manifests: readonly Manifest[]): {
  documents: { manifest: Manifest; context: FixtureContext | undefined }[];
  context: FixtureContext | undefined;
  unknownFields: string[];
} {
  let current: FixtureContext | undefined;
  const unknownFields: string[] = [];
  const documents: { manifest: Manifest; context: FixtureContext | undefined }[] = [];
  for (const manifest of manifests) {
    if (manifest.object['kind'] === 'FixtureContext' && String(manifest.object['apiVersion']).startsWith('palisade.dev/')) {
      const spec = isRecord(manifest.object['spec']) ? manifest.object['spec'] : {};
      // A typo (operaton: UPDATE) must not silently test something else.
      unknownFields.push(...Object.keys(spec).filter((k) => !CONTEXT_FIELDS.includes(k)));
      current = spec as FixtureContext;
      continue;
    }
    documents.push({ manifest, context: current });
  }
  return { documents, context: undefined, unknownFields };
}

function resourceOf(manifest: Manifest, context: FixtureContext | undefined): Resource {
  return {
    object: manifest.object,
    operation: context?.operation ?? context?.request?.operation ?? 'CREATE',
    ...(context?.request ? { request: requestOf(context.request, manifest.object, context.operation) } : {}),
    ...(context?.namespaceObject ? { namespaceObject: context.namespaceObject } : {}),
    ...(context?.oldObject ? { oldObject: context.oldObject } : {}),
    ...(context?.namespaceLabels ? { namespaceLabels: context.namespaceLabels } : {}),
    ...(context?.images ? { images: context.images } : {}),
  };
}

/** Fills the parts of an AdmissionRequest a fixture need not spell out. */
function requestOf(partial: Partial<RequestView>, object: KubeObject, operation: Operation | undefined): RequestView {
  const [group, version] = String(object['apiVersion']).includes('/') ? String(object['apiVersion']).split('/') : ['', String(object['apiVersion'])];
  return {
    uid: 'fixture',
    kind: { group: group ?? '', version: version ?? '', kind: String(object['kind']) },
    resource: { group: group ?? '', version: version ?? '', resource: `${String(object['kind']).toLowerCase()}s` },
    operation: operation ?? partial.operation ?? 'CREATE',
    userInfo: {},
    dryRun: false,
    ...partial,
  };
}
