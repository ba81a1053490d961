/**
 * Finds rule files, parses and validates them, and normalises them into RuleDocuments. Every
 * problem of one load is collected and reported with file, line and field.
 */
import { readFile, readdir, stat } from 'node:fs/promises';
import { basename, dirname, join, relative } from 'node:path';
import { readYamlDocuments, type YamlDocument } from './yaml-documents.js';
import { compileSchema, schemaProblems } from './schema-validator.js';
import { ruleSchema } from './rule-schema.js';
import type { FileProblem } from './problems.js';
import type {
  LabelSelector,
  Mode,
  Operation,
  ResourceSelector,
  RuleDocument,
  RuleMatch,
  StatusReason,
} from './types.js';
import { OPERATIONS } from './types.js';

export interface LoadedRule {
  document: RuleDocument;
  /** Line of a field inside the rule file, for compile errors. */
  locate(path: readonly (string | number)[]): number;
  /** Offset-based line lookup inside the file. */
  lineAt(offset: number): number;
}

export interface RuleLoad {
  rules: LoadedRule[];
  problems: FileProblem[];
}

const validateRule = compileSchema(ruleSchema);

/** Fixture folders sit beside rule files; they hold Kubernetes objects, not rules. */
const FIXTURE_DIRS = new Set(['pass', 'fail']);

/** Every `*.yaml` / `*.yml` below `dir`, outside pass/ and fail/ fixture folders, sorted. */
export async function findRuleFiles(dir: string): Promise<string[]> {
  const info = await stat(dir);
  if (info.isFile()) return [dir];
  const out: string[] = [];
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => a.name.localeCompare(b.name));
  for (const entry of entries) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!FIXTURE_DIRS.has(entry.name) && !entry.name.startsWith('.')) out.push(...(await findRuleFiles(full)));
    } else if (/\.ya?ml$/.test(entry.name)) {
      out.push(full);
    }
  }
  return out;
}

/** Loads every rule below the given folders (or files). Missing folders are problems, not crashes. */
export async function loadRuleDirs(dirs: readonly string[], displayBase = process.cwd()): Promise<RuleLoad> {
  const load: RuleLoad = { rules: [], problems: [] };
  for (const dir of dirs) {
    let files: string[];
    try {
      files = await findRuleFiles(dir);
    } catch (error) {
      load.problems.push({ file: dir, line: 0, field: '', message: `cannot read rules: ${(error as Error).message}` });
      continue;
    }
    for (const file of files) {
      const display = relative(displayBase, file) || file;
      const text = await readFile(file, 'utf8');
      const one = parseRuleFile(text, display.startsWith('..') ? file : display);
      load.rules.push(...one.rules);
      load.problems.push(...one.problems);
    }
  }
  load.problems.push(...duplicateIdProblems(load.rules));
  return load;
}

/** Parses one file, which may hold several `kind: Rule` documents. */
export function parseRuleFile(text: string, file: string): RuleLoad {
  const load: RuleLoad = { rules: [], problems: [] };
  let docs: YamlDocument[];
  try {
    docs = readYamlDocuments(text);
  } catch (error) {
    load.problems.push({ file, line: 1, field: '', message: `cannot parse YAML: ${(error as Error).message}` });
    return load;
  }
  for (const doc of docs) {
    if (doc.errors.length > 0) {
      load.problems.push(...doc.errors.map((e) => ({ file, line: e.line, field: '', message: `invalid YAML: ${e.message}` })));
      continue;
    }
    const problems = schemaProblems(validateRule, doc, file);
    if (problems.length > 0) {
      load.problems.push(...problems);
      continue;
    }
    load.rules.push({
      document: normalise(doc.value as RawRule, { file, line: doc.line }),
      locate: (path) => doc.lineOf(path),
      lineAt: (offset) => doc.lineAt(offset),
    });
  }
  return load;
}

function duplicateIdProblems(rules: readonly LoadedRule[]): FileProblem[] {
  const seen = new Map<string, LoadedRule>();
  const problems: FileProblem[] = [];
  for (const rule of rules) {
    const first = seen.get(rule.document.id);
    if (first) {
      const at = `${first.document.source.file}:${first.document.source.line}`;
      problems.push({
        file: rule.document.source.file,
        line: rule.locate(['metadata', 'name']),
        field: 'metadata.name',
        message: `rule id "${rule.document.id}" is already defined at ${at}`,
      });
    } else {
      seen.set(rule.document.id, rule);
    }
  }
  return problems;
}

/** The shape the schema guarantees; normalise() fills defaults so the rest of the code need not. */
interface RawRule {
  metadata: { name: string };
  spec: {
    title: string;
    description: string;
    severity: RuleDocument['severity'];
    category: string;
    class: RuleDocument['ruleClass'];
    version?: number;
    since?: string;
    standards?: Record<string, string | string[]>;
    mode?: Mode;
    onError?: 'deny' | 'allow';
    remediation: string;
    docs?: string;
    contextKinds?: string[];
    parameters?: RuleDocument['parameters'];
    match: {
      resources: ('workloads' | { apiGroups?: string[]; kinds: string[] })[];
      operations?: (Operation | '*')[];
      namespaces?: string[];
      excludeNamespaces?: string[];
      namespaceSelector?: LabelSelector;
      objectSelector?: LabelSelector;
    };
    matchConditions?: RuleDocument['matchConditions'];
    variables?: RuleDocument['variables'];
    validations: (Omit<RuleDocument['validations'][number], 'reason'> & { reason?: StatusReason })[];
    auditAnnotations?: RuleDocument['auditAnnotations'];
    mutations?: RuleDocument['mutations'];
  };
}

/** Marker kind that the rule set expands to every kind with a pod template. */
export const WORKLOADS = 'workloads';

function normalise(raw: RawRule, source: { file: string; line: number }): RuleDocument {
  const spec = raw.spec;
  const standards: Record<string, string[]> = {};
  for (const [standard, controls] of Object.entries(spec.standards ?? {})) {
    standards[standard] = Array.isArray(controls) ? controls : [controls];
  }
  const resources: ResourceSelector[] = spec.match.resources.map((r) =>
    r === WORKLOADS ? { apiGroups: [WORKLOADS], kinds: [WORKLOADS] } : { apiGroups: r.apiGroups ?? ['*'], kinds: r.kinds },
  );
  const operations = spec.match.operations ?? ['CREATE', 'UPDATE'];
  const match: RuleMatch = {
    resources,
    operations: operations.includes('*') ? [...OPERATIONS] : (operations as Operation[]),
    namespaces: spec.match.namespaces ?? [],
    excludeNamespaces: spec.match.excludeNamespaces ?? [],
    ...(spec.match.namespaceSelector ? { namespaceSelector: spec.match.namespaceSelector } : {}),
    ...(spec.match.objectSelector ? { objectSelector: spec.match.objectSelector } : {}),
  };
  return {
    id: raw.metadata.name,
    title: spec.title,
    description: spec.description,
    severity: spec.severity,
    category: spec.category,
    ruleClass: spec.class,
    version: spec.version ?? 1,
    since: spec.since ?? '',
    standards,
    ...(spec.mode ? { mode: spec.mode } : {}),
    ...(spec.onError ? { onError: spec.onError } : {}),
    remediation: spec.remediation.trim(),
    docs: spec.docs ?? '',
    contextKinds: spec.contextKinds ?? [],
    source,
    match,
    parameters: spec.parameters ?? [],
    matchConditions: spec.matchConditions ?? [],
    variables: spec.variables ?? [],
    validations: spec.validations.map((v) => ({ ...v, reason: v.reason ?? 'Forbidden' })),
    auditAnnotations: spec.auditAnnotations ?? [],
    mutations: spec.mutations ?? [],
  };
}

/** The folder a rule file sits in and the name the file has, for the folder = file = id check. */
export function ruleFileNames(file: string): { folder: string; stem: string } {
  return { folder: basename(dirname(file)), stem: basename(file).replace(/\.ya?ml$/, '') };
}
