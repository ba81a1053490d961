/**
 * Loads the server's configuration file (`palisade serve --config palisade.yaml`, documented in
 * docs/configuration.md): one YAML document, validated once at start-up against configSchema and
 * the checks in check.ts, every problem reported together with file:line and the field. What the
 * file leaves out keeps its default (defaults.ts). A config that has any problem is not returned.
 */
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, join } from 'node:path';
import { parseExceptions, parseExpiresAt, toPolicyException } from '../policy/exception-file.js';
import type { PolicyException } from '../policy/types.js';
import { fieldName, formatProblem, type FileProblem } from '../rules/problems.js';
import { compileSchema, schemaProblems } from '../rules/schema-validator.js';
import { readYamlDocuments, splitFieldPath } from '../rules/yaml-documents.js';
import { exceptionKey, semanticProblems, valueAt, type ProblemAt } from './check.js';
import { defaultConfig } from './defaults.js';
import { CONFIG_KIND, configSchema, schemaAt, type RawConfig } from './schema.js';
import { sourceLines, type SourceLines } from './source-lines.js';
import { closest, didYouMean } from './suggest.js';
import type { PalisadeConfig } from './types.js';
import { isRecord } from '../json/is-record.js';

export interface ConfigLoad {
  /** Present only when there are no problems. */
  config?: PalisadeConfig;
  problems: FileProblem[];
}

const validateConfig = compileSchema(configSchema);

/** Parses the text of a configuration file; `file` is used in problems and to resolve exceptionFiles. */
export function parseConfig(text: string, file: string): ConfigLoad {
  const docs = readYamlDocuments(text);
  const yamlProblems = docs.flatMap((doc) => doc.errors.map((e) => ({ file, line: e.line, field: '', message: `invalid YAML: ${e.message}` })));
  if (yamlProblems.length > 0) return { problems: yamlProblems };
  const [doc, second] = docs;
  if (second) {
    const message = `the file holds ${docs.length} YAML documents; a configuration file holds exactly one`;
    return { problems: [{ file, line: second.line, field: '', message }] };
  }
  if (!doc) return { config: { ...defaultConfig(), file, exceptionFiles: [], lines: {} }, problems: [] };

  const lines = sourceLines(text);
  const at: ProblemAt = (path, message) => ({ file, line: lines.lineOf(path), field: fieldName(path), message });
  const value = withoutNulls(doc.value, []);
  const problems = [
    ...schemaProblems(validateConfig, { ...doc, value }, file).map((problem) => refine(problem, value, lines)),
    ...semanticProblems(value, at),
  ];
  if (problems.length > 0) return { problems: tidy(problems) };
  return { config: buildConfig(value as RawConfig, file, lines), problems: [] };
}

/**
 * Reads and parses the configuration file, then the exception files it names. A file that cannot
 * be read is a problem like any other: the configuration at line 0, an exception file at the line
 * of the config that names it.
 */
export async function loadConfigFile(path: string): Promise<ConfigLoad> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    return { problems: [{ file: path, line: 0, field: '', message: `cannot read the file: ${readError(error)}` }] };
  }
  const parsed = parseConfig(text, path);
  const config = parsed.config;
  if (!config) return parsed;

  const problems: FileProblem[] = [];
  const fromFiles: PolicyException[] = [];
  for (const [index, exceptionFile] of (config.exceptionFiles ?? []).entries()) {
    const field = fieldName(['exceptionFiles', index]);
    let content: string;
    try {
      content = await readFile(exceptionFile, 'utf8');
    } catch (error) {
      problems.push({ file: path, line: config.lines?.[field] ?? 0, field, message: `cannot read ${exceptionFile}: ${readError(error)}` });
      continue;
    }
    const result = parseExceptions(content, exceptionFile);
    fromFiles.push(...result.exceptions);
    problems.push(...result.problems.map((problem) => ({ ...problem, message: plainWords(problem) })));
  }
  problems.push(...duplicateExceptions(config.policy.exceptions, fromFiles));
  if (problems.length > 0) return { problems: tidy(problems) };
  config.policy.exceptions.push(...fromFiles);
  return { config, problems: [] };
}

function buildConfig(raw: RawConfig, file: string, lines: SourceLines): PalisadeConfig {
  const config = defaultConfig();
  const { policy, admission, cluster } = config;
  if (raw.defaultMode) policy.defaultMode = raw.defaultMode;
  if (raw.onError) policy.onError = raw.onError;
  for (const [id, override] of Object.entries(raw.rules ?? {})) policy.rules[id] = { ...override };
  if (raw.disabledCategories) policy.disabledCategories = raw.disabledCategories;
  if (raw.namespaces?.excluded) policy.excludedNamespaces = raw.namespaces.excluded;
  if (raw.namespaces?.modes) policy.namespaceModes = { ...raw.namespaces.modes };
  policy.exceptions = (raw.exceptions ?? []).map((exception, index) => {
    // check.ts has made sure the date is real.
    const expiresAt = parseExpiresAt(exception.spec.expiresAt) ?? new Date(Number.NaN);
    return toPolicyException(exception, expiresAt, { file, line: lines.lineOf(['exceptions', index]) });
  });

  const given = raw.admission ?? {};
  admission.allowExistingViolations = given.allowExistingViolations ?? admission.allowExistingViolations;
  admission.exemptUsernames = given.exemptions?.usernames ?? admission.exemptUsernames;
  admission.exemptRuntimeClasses = given.exemptions?.runtimeClasses ?? admission.exemptRuntimeClasses;
  admission.breakGlass = { ...admission.breakGlass, ...given.breakGlass };
  admission.modeLabelSetters = { ...admission.modeLabelSetters, ...given.modeLabelSetters };
  admission.mutation = { ...admission.mutation, ...given.mutation };
  admission.mutatePodsOnly = given.mutatePodsOnly ?? admission.mutatePodsOnly;

  cluster.exceptionNamespaces = raw.cluster?.exceptionNamespaces ?? cluster.exceptionNamespaces;
  cluster.maxExceptionLifetimeDays = raw.cluster?.maxExceptionLifetimeDays ?? cluster.maxExceptionLifetimeDays;

  const resolve = (name: string): string => (isAbsolute(name) ? name : join(dirname(file), name));
  const images = raw.images;
  return {
    ...config,
    ...(raw.release ? { release: raw.release } : {}),
    ...(images
      ? {
          images: {
            verify: (images.verify ?? []).map((v) => ({
              name: v.name,
              images: v.images,
              keys: (v.keys ?? []).map(resolve),
              ...(v.keyless
                ? { keyless: { trustedRoot: resolve(v.keyless.trustedRoot), identities: v.keyless.identities, transparencyLog: v.keyless.transparencyLog ?? true, ctLog: v.keyless.ctLog ?? true } }
                : {}),
              failurePolicy: v.failurePolicy ?? 'Fail',
            })),
            deny: images.deny ?? [],
            denyFiles: (images.denyFiles ?? []).map(resolve),
            registries: (images.registries ?? []).map((r) => ({ host: r.host, ...(r.ca ? { ca: resolve(r.ca) } : {}), insecure: r.insecure ?? false })),
            ...(images.dockerConfig ? { dockerConfig: resolve(images.dockerConfig) } : {}),
            tagTtlSeconds: images.tagTtlSeconds ?? 300,
            digestTtlSeconds: images.digestTtlSeconds ?? 3600,
            timeoutSeconds: images.timeoutSeconds ?? 8,
            lines: lines.all(),
            file,
          },
        }
      : {}),
    file,
    exceptionFiles: (raw.exceptionFiles ?? []).map((name) => (isAbsolute(name) ? name : join(dirname(file), name))),
    lines: lines.all(),
  };
}

/**
 * A key written with no value (`exemptions:` with every entry commented out) means the same as a
 * key left out. Lists keep their nulls (an empty list item is an error), and so do the parts the
 * file does not own: a rule's parameters and inline exceptions, which are checked as the rule and
 * the Exception schema say. A rule named with no value is a rule named with no override.
 */
function withoutNulls(value: unknown, path: readonly (string | number)[]): unknown {
  if (path[0] === 'exceptions' || (path[0] === 'rules' && path[2] === 'parameters')) return value;
  if (Array.isArray(value)) return value.map((item: unknown, index) => withoutNulls(item, [...path, index]));
  if (!isRecord(value)) return value;
  const entries = Object.entries(value)
    .map(([key, item]): [string, unknown] => [key, item === null && path.length === 1 && path[0] === 'rules' ? {} : item])
    .filter(([, item]) => item !== null)
    .map(([key, item]): [string, unknown] => [key, withoutNulls(item, [...path, key])]);
  // fromEntries defines own properties: a `__proto__` key stays a key (and the schema rejects it).
  return Object.fromEntries(entries);
}

/** Rewords ajv's messages for YAML users, adds "did you mean", and points at the line of the key. */
function refine(problem: FileProblem, value: unknown, lines: SourceLines): FileProblem {
  const path = splitFieldPath(problem.field);
  return { ...problem, line: lines.lineOf(path), message: reword(problem, path, value) };
}

function reword(problem: FileProblem, path: (string | number)[], value: unknown): string {
  const { field, message } = problem;
  const last = path[path.length - 1];
  if (message === 'is not a known field' && typeof last === 'string') {
    const known = Object.keys(propertiesOf(schemaAt(path.slice(0, -1))));
    if (known.length === 0) return message;
    const suggestion = closest(last, known);
    return suggestion ? `${message} (did you mean "${suggestion}"?)` : `${message}; known fields: ${known.join(', ')}`;
  }
  if (message.startsWith('must be one of:')) {
    const given = valueAt(value, path);
    const allowed = schemaAt(path)?.['enum'];
    if (typeof given === 'string' && Array.isArray(allowed)) return message + didYouMean(given, allowed.map(String));
    return message;
  }
  if (field === 'release') return 'must be a release version x.y.z, such as 0.2.0 (quote it if YAML reads it as a number)';
  if (field === 'kind' && valueAt(value, ['kind']) === 'Exception') {
    return `must be "${CONFIG_KIND}"; list Exception files in exceptionFiles, or write the exception under exceptions`;
  }
  if (field === '' && message === 'must be object') return 'must be a mapping of configuration fields (apiVersion, kind, defaultMode, …)';
  if (message.startsWith('must NOT have duplicate items')) return 'names the same file twice';
  return plainWords(problem);
}

/** ajv's wording of the common cases, in the words of a YAML file. */
function plainWords({ field, message }: FileProblem): string {
  if (field.endsWith('spec.expiresAt') && message.startsWith('must match')) {
    return 'must be a date (2027-01-31) or a time (2027-01-31T18:00:00Z)';
  }
  if (/^must NOT have fewer than 1 (items|characters)$/.test(message)) return 'must not be empty';
  // Only a deny-list entry counts its properties: a reason and something to match.
  if (message === 'must NOT have fewer than 2 properties') return 'must name a digest, repository or tag besides the reason';
  const minimum = /^must be >= (\d+)$/.exec(message);
  if (minimum) return `must be at least ${minimum[1] ?? ''}`;
  return TYPE_WORDS[message] ?? message;
}

const TYPE_WORDS: Record<string, string> = {
  'must be object': 'must be a mapping',
  'must be array': 'must be a list',
  'must be string': 'must be a string',
  'must be boolean': 'must be true or false',
  'must be integer': 'must be a whole number',
};

function propertiesOf(schema: Record<string, unknown> | undefined): Record<string, unknown> {
  const properties = schema?.['properties'];
  return isRecord(properties) ? properties : {};
}

/** One exception name, one exception: across inline exceptions and every exception file. */
function duplicateExceptions(inline: readonly PolicyException[], fromFiles: readonly PolicyException[]): FileProblem[] {
  const seen = new Map<string, string>();
  const where = (e: PolicyException): string => (e.source ? `${e.source.file}:${e.source.line}` : 'the configuration');
  for (const exception of inline) seen.set(exceptionKey(exception.name, exception.namespace), where(exception));
  const problems: FileProblem[] = [];
  for (const exception of fromFiles) {
    const key = exceptionKey(exception.name, exception.namespace);
    const first = seen.get(key);
    if (first === undefined) {
      seen.set(key, where(exception));
      continue;
    }
    const file = exception.source?.file ?? '';
    problems.push({ file, line: exception.source?.line ?? 0, field: 'metadata.name', message: `exception ${key} is already defined at ${first}` });
  }
  return problems;
}

/** Sorted by line, each problem once (a wrong type can fail two keywords with one message). */
function tidy(problems: FileProblem[]): FileProblem[] {
  const unique = new Map(problems.map((p) => [formatProblem(p), p]));
  return [...unique.values()].sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.field.localeCompare(b.field));
}

function readError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES') return 'permission denied';
  if (code === 'EISDIR') return 'is a folder, not a file';
  return code ?? String(error);
}
