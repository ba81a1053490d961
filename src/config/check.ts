/**
 * Checks of the configuration file that its JSON Schema cannot say well: names that must be rule
 * ids, namespace names or globs, settings that contradict each other, exception dates and names.
 * Runs on the decoded value whether or not the schema accepted it (every problem of the file is
 * reported at once), so it narrows every value it reads; wrong types are the schema's to report.
 */
import { matchesAnyGlob } from '../engine/selectors.js';
import { exceptionSchema, parseExpiresAt } from '../policy/exception-file.js';
import type { FileProblem } from '../rules/problems.js';
import { RULE_ID_PATTERN } from '../rules/rule-schema.js';
import { SYSTEM_NAMESPACES } from './defaults.js';
import { isRecord } from '../json/is-record.js';

/** Makes a problem located at a field of the configuration file. */
export type ProblemAt = (path: readonly (string | number)[], message: string) => FileProblem;

type Path = readonly (string | number)[];

const RULE_ID = new RegExp(RULE_ID_PATTERN);
const DNS_LABEL = /^(?=.{1,63}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_LABEL_GLOB = /^(?=.{1,63}$)[a-z0-9*]([-a-z0-9*]*[a-z0-9*])?$/;
const DNS_SUBDOMAIN = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
/** Dates the schema accepts; only those are checked for being real dates. */
const EXPIRES_AT = new RegExp(exceptionSchema.properties.spec.properties.expiresAt.pattern);

const NOT_RULE_ID = "is not a rule id (lowercase letters, digits and '-', starting and ending with a letter or digit)";
const NOT_CATEGORY = "is not a category name (lowercase letters, digits and '-', starting and ending with a letter or digit)";
const DNS_LABEL_WORDS = "a DNS label: at most 63 lowercase letters, digits and '-', starting and ending with a letter or digit";
const NOT_NAMESPACE_OR_GLOB = `is not a namespace name (${DNS_LABEL_WORDS}) or a glob of one using '*'`;
const NOT_NAMESPACE = `is not a namespace name (${DNS_LABEL_WORDS}); '*' globs are not accepted here`;
const NOT_RUNTIME_CLASS = "is not a RuntimeClass name (a DNS subdomain: lowercase letters, digits, '-' and '.')";

export function semanticProblems(value: unknown, at: ProblemAt): FileProblem[] {
  if (!isRecord(value)) return [];
  const problems: FileProblem[] = [];
  const check = (path: Path, valid: RegExp, message: string): void => {
    for (const [item, itemPath] of stringsAt(value, path)) if (!valid.test(item)) problems.push(at(itemPath, message));
  };

  const rules = valueAt(value, ['rules']);
  if (isRecord(rules)) for (const id of Object.keys(rules)) if (!RULE_ID.test(id)) problems.push(at(['rules', id], NOT_RULE_ID));
  check(['disabledCategories'], RULE_ID, NOT_CATEGORY);
  check(['admission', 'mutation', 'rules'], RULE_ID, NOT_RULE_ID);

  check(['namespaces', 'excluded'], DNS_LABEL_GLOB, NOT_NAMESPACE_OR_GLOB);
  check(['admission', 'mutation', 'namespaces'], DNS_LABEL_GLOB, NOT_NAMESPACE_OR_GLOB);
  check(['cluster', 'exceptionNamespaces'], DNS_LABEL, NOT_NAMESPACE);
  check(['admission', 'exemptions', 'runtimeClasses'], DNS_SUBDOMAIN, NOT_RUNTIME_CLASS);
  problems.push(...namespaceModeProblems(value, at));
  problems.push(...exceptionProblems(value, at));
  return problems;
}

/** Namespace modes are looked up by exact name, and never apply to an excluded namespace. */
function namespaceModeProblems(config: Record<string, unknown>, at: ProblemAt): FileProblem[] {
  const modes = valueAt(config, ['namespaces', 'modes']);
  if (!isRecord(modes)) return [];
  const given = valueAt(config, ['namespaces', 'excluded']);
  const excluded = Array.isArray(given) ? given.filter((n): n is string => typeof n === 'string') : [...SYSTEM_NAMESPACES];
  const where = Array.isArray(given) ? 'namespaces.excluded' : 'the default namespaces.excluded';
  const problems: FileProblem[] = [];
  for (const name of Object.keys(modes)) {
    const path = ['namespaces', 'modes', name];
    if (!DNS_LABEL.test(name)) problems.push(at(path, NOT_NAMESPACE));
    else if (matchesAnyGlob(excluded, name)) {
      problems.push(at(path, `the namespace is excluded (${where}), so this mode would never apply; remove one of the two`));
    }
  }
  return problems;
}

/** What the exception schema cannot say: a date that does not exist, two exceptions with one name. */
function exceptionProblems(config: Record<string, unknown>, at: ProblemAt): FileProblem[] {
  const exceptions = valueAt(config, ['exceptions']);
  if (!Array.isArray(exceptions)) return [];
  const problems: FileProblem[] = [];
  const seen = new Map<string, number>();
  exceptions.forEach((exception: unknown, index) => {
    const expiresAt = valueAt(exception, ['spec', 'expiresAt']);
    if (typeof expiresAt === 'string' && EXPIRES_AT.test(expiresAt) && !parseExpiresAt(expiresAt)) {
      problems.push(at(['exceptions', index, 'spec', 'expiresAt'], 'is not a valid date'));
    }
    const name = valueAt(exception, ['metadata', 'name']);
    const namespace = valueAt(exception, ['metadata', 'namespace']);
    if (typeof name !== 'string') return;
    const key = exceptionKey(name, typeof namespace === 'string' ? namespace : undefined);
    const first = seen.get(key);
    if (first === undefined) seen.set(key, index);
    else {
      const line = at(['exceptions', first], '').line;
      problems.push(at(['exceptions', index, 'metadata', 'name'], `exception ${key} is already defined by exceptions[${first}] (line ${line})`));
    }
  });
  return problems;
}

/** How an exception is named in messages and told apart from others: `namespace/name` or `name`. */
export function exceptionKey(name: string, namespace: string | undefined): string {
  return namespace ? `${namespace}/${name}` : name;
}

/** The strings of the list at path, each with its own path; anything that is not a string is skipped. */
function stringsAt(value: unknown, path: Path): [string, Path][] {
  const list = valueAt(value, path);
  if (!Array.isArray(list)) return [];
  return list.flatMap((item: unknown, index): [string, Path][] => (typeof item === 'string' ? [[item, [...path, index]]] : []));
}

export function valueAt(value: unknown, path: Path): unknown {
  let node = value;
  for (const part of path) {
    if (typeof part === 'number') node = Array.isArray(node) ? (node as unknown[])[part] : undefined;
    else node = isRecord(node) && Object.hasOwn(node, part) ? node[part] : undefined;
  }
  return node;
}
