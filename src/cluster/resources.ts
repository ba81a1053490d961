/**
 * Rule and Exception custom resources, as the API server returns them (metadata.uid,
 * resourceVersion, managedFields, annotations...), turned into what the file loaders produce.
 *
 * Each object is written back as the YAML document a user would write (apiVersion, kind,
 * metadata.name — and metadata.namespace for an Exception — and spec, nothing else) and read by the
 * very loader that reads files, under a pseudo file name: `Rule/<name>` and
 * `Exception/<namespace>/<name>`. So a resource is held to exactly the rules of a file, and its
 * problems read like a file's: `Rule/team-registry:14: spec.validations[0].expression: ...`, the
 * line counting in that document (resourceText shows it).
 *
 * The id of a Rule resource is its metadata.name, as in a file; the folder = file = id convention
 * has no folder to check here, and the name must still be a rule id (a DNS label of at most 63
 * characters), which the schema checks.
 */
import { stringify } from 'yaml';
import type { ClusterConfig } from '../config/types.js';
import { parseExceptions } from '../policy/exception-file.js';
import { buildRuleSet, type RuleSetOptions } from '../engine/rule-set.js';
import type { PolicyException } from '../policy/types.js';
import { parseRuleFile, type LoadedRule, type RuleLoad } from '../rules/loader.js';
import type { FileProblem } from '../rules/problems.js';
import { CREATED_BY_ANNOTATION, EXCEPTION_KIND, PALISADE_API_VERSION, RULE_KIND, type PalisadeKind } from './api-names.js';
import { clusterExceptionRefusals, createdAtOf } from './exception-policy.js';
import { isRecord } from '../json/is-record.js';

export interface RefusedException {
  name: string;
  namespace: string;
  /** Every reason, `field: message`, joined with "; ". */
  reason: string;
}

export interface ClusterExceptions {
  exceptions: PolicyException[];
  refused: RefusedException[];
}

export interface RuleResourceOptions {
  /**
   * Ids of rules loaded from rule folders (built-in and --rules). A Rule resource with one of these
   * names is a problem and is left out: it would silently replace a rule someone reviewed.
   */
  reservedIds?: ReadonlySet<string>;
  /**
   * When given, each rule is also compiled on its own with these options (the served CEL limits,
   * pod templates and the configuration's parameters, by rule id), and one that does not compile
   * is left out with its problems. So one broken resource (applied while the webhook was down)
   * cannot make buildRuleSet refuse the whole rule set. The selection (disabled, standard,
   * minSeverity) is ignored here: a disabled rule is checked too.
   */
  compile?: RuleSetOptions;
}

/** The pseudo file name problems of a resource are reported under. */
export function resourceFile(kind: PalisadeKind, object: unknown): string {
  const metadata = metadataOf(object);
  const name = typeof metadata['name'] === 'string' && metadata['name'] ? metadata['name'] : '<unnamed>';
  const namespace = typeof metadata['namespace'] === 'string' && metadata['namespace'] ? metadata['namespace'] : undefined;
  return kind === EXCEPTION_KIND && namespace ? `${kind}/${namespace}/${name}` : `${kind}/${name}`;
}

/**
 * The document Palisade reads for a resource: apiVersion, kind, metadata.name (and namespace for an
 * Exception) and spec, in that order. Line numbers in problems count in this text.
 */
export function resourceText(kind: PalisadeKind, object: unknown): string {
  const record = isRecord(object) ? object : {};
  const metadata = metadataOf(object);
  const document: Record<string, unknown> = {
    apiVersion: record['apiVersion'] ?? PALISADE_API_VERSION,
    kind: record['kind'] ?? kind,
    metadata: {
      name: metadata['name'],
      ...(kind === EXCEPTION_KIND && metadata['namespace'] !== undefined ? { namespace: metadata['namespace'] } : {}),
    },
    spec: record['spec'],
  };
  // Literal block scalars keep a multi-line CEL expression on its own lines, so a compile error
  // inside it points at the right line; no folding, no anchors.
  return stringify(document, { lineWidth: 0, blockQuote: 'literal', aliasDuplicateObjects: false });
}

/** One Rule resource, loaded as a rule file would be (schema and normalisation; not compiled). */
export function parseRuleResource(object: unknown): RuleLoad {
  const file = resourceFile(RULE_KIND, object);
  if (!isRecord(object)) return { rules: [], problems: [{ file, line: 0, field: '', message: 'is not an object' }] };
  return parseRuleFile(resourceText(RULE_KIND, object), file);
}

/**
 * Every Rule resource of a list, loaded as rule files. A resource with a problem is left out and
 * its problems are returned; the others load (see `compile` to leave out those that do not compile).
 */
export function rulesFromResources(objects: readonly unknown[], options: RuleResourceOptions = {}): RuleLoad {
  const load: RuleLoad = { rules: [], problems: [] };
  for (const object of objects) {
    const one = parseRuleResource(object);
    load.problems.push(...one.problems);
    for (const rule of one.rules) {
      const problems = ruleProblems(rule, options);
      if (problems.length > 0) load.problems.push(...problems);
      else load.rules.push(rule);
    }
  }
  return load;
}

function ruleProblems(rule: LoadedRule, options: RuleResourceOptions): FileProblem[] {
  const id = rule.document.id;
  if (options.reservedIds?.has(id)) {
    return [{
      file: rule.document.source.file,
      line: rule.locate(['metadata', 'name']),
      field: 'metadata.name',
      message: `rule id "${id}" is already defined by a rule file (built-in or --rules); give the Rule resource another name, or change the existing rule through the configuration (rules.${id})`,
    }];
  }
  if (!options.compile) return [];
  const { limits, podTemplates, parameters } = options.compile;
  const own = parameters?.[id];
  return buildRuleSet([rule], {
    ...(limits ? { limits } : {}),
    ...(podTemplates ? { podTemplates } : {}),
    ...(own ? { parameters: { [id]: own } } : {}),
  }).problems;
}

export interface ExceptionResource {
  file: string;
  exception?: PolicyException;
  /** Schema problems, as for an exception file. */
  problems: FileProblem[];
}

/**
 * One Exception resource, read as an exception file would be (schema and dates), with `createdBy`
 * taken from the annotation Palisade sets. The cluster's policy is not applied here.
 */
export function parseExceptionResource(object: unknown): ExceptionResource {
  const file = resourceFile(EXCEPTION_KIND, object);
  if (!isRecord(object)) return { file, problems: [{ file, line: 0, field: '', message: 'is not an object' }] };
  const parsed = parseExceptions(resourceText(EXCEPTION_KIND, object), file);
  const [exception] = parsed.exceptions;
  if (parsed.problems.length > 0 || !exception) return { file, problems: parsed.problems };
  const createdBy = createdByOf(object);
  return { file, problems: [], exception: { ...exception, ...(createdBy ? { createdBy } : {}) } };
}

/**
 * The Exception resources the cluster's policy accepts, and why each of the others is refused:
 * schema problems, a namespace not in `cluster.exceptionNamespaces`, a lifetime beyond
 * `cluster.maxExceptionLifetimeDays` from its creationTimestamp (`now` when the object has none).
 * Expired exceptions are kept: `decide` reports them as expired.
 */
export function exceptionsFromResources(objects: readonly unknown[], cluster: ClusterConfig, now: Date): ClusterExceptions {
  const out: ClusterExceptions = { exceptions: [], refused: [] };
  for (const object of objects) {
    const metadata = metadataOf(object);
    const who = {
      name: typeof metadata['name'] === 'string' ? metadata['name'] : '',
      namespace: typeof metadata['namespace'] === 'string' ? metadata['namespace'] : '',
    };
    const parsed = parseExceptionResource(object);
    if (!parsed.exception) {
      out.refused.push({ ...who, reason: parsed.problems.map((p) => (p.field ? `${p.field}: ${p.message}` : p.message)).join('; ') });
      continue;
    }
    const refusals = clusterExceptionRefusals(
      { namespace: parsed.exception.namespace, expiresAt: parsed.exception.expiresAt, createdAt: createdAtOf(metadata, now) },
      cluster,
    );
    if (refusals.length > 0) out.refused.push({ ...who, reason: refusals.map((r) => `${r.field}: ${r.message}`).join('; ') });
    else out.exceptions.push(parsed.exception);
  }
  return out;
}

/** The `palisade.dev/created-by` annotation, when set to a non-empty string. */
export function createdByOf(object: unknown): string | undefined {
  const annotations = metadataOf(object)['annotations'];
  const value = isRecord(annotations) ? annotations[CREATED_BY_ANNOTATION] : undefined;
  return typeof value === 'string' && value ? value : undefined;
}

function metadataOf(object: unknown): Record<string, unknown> {
  return isRecord(object) && isRecord(object['metadata']) ? object['metadata'] : {};
}
