/**
 * Compiles a loaded rule once: every expression is parsed, type-checked, limited and instrumented,
 * and checked against what the rule's class may read. Errors name file, line and field.
 */
import { CelCompileError, type CelEnvironment, type Program } from '../cel/environment.js';
import { CLASS_VARIABLES, classesAllowing, modeAllowedForClass } from './classes.js';
import type { LoadedRule } from './loader.js';
import { fieldName, type FileProblem } from './problems.js';
import type { CompiledRule, CompiledValidation, CompiledVariable } from './types.js';

export interface RuleCompilation {
  rule?: CompiledRule;
  problems: FileProblem[];
}

/** `type(x) == list`: type names are identifiers in CEL, not variables a class must allow. */
const CEL_TYPE_NAMES = new Set(['int', 'uint', 'double', 'bool', 'string', 'bytes', 'list', 'map', 'null_type', 'type', 'dyn', 'timestamp', 'duration']);

const VARIABLE_REFERENCE = /\bvariables\.([A-Za-z_][A-Za-z0-9_]*)/g;

export function compileRule(
  loaded: LoadedRule,
  env: CelEnvironment,
  parameterOverrides: Record<string, unknown> = {},
): RuleCompilation {
  const doc = loaded.document;
  const problems: FileProblem[] = [];
  const problemAt = (path: (string | number)[], message: string, extraLines = 0): void => {
    problems.push({ file: doc.source.file, line: loaded.locate(path) + extraLines, field: fieldName(path), message });
  };
  const allowed = CLASS_VARIABLES[doc.ruleClass];
  const defined = new Set<string>();

  const compile = (path: (string | number)[], expression: string): Program | undefined => {
    let program: Program;
    try {
      program = env.compile(expression);
    } catch (error) {
      const compileError = error instanceof CelCompileError ? error : new CelCompileError(String(error));
      problemAt(path, compileError.message, linesBefore(expression, compileError.offset));
      return undefined;
    }
    for (const name of program.freeIdentifiers) {
      if (CEL_TYPE_NAMES.has(name)) continue;
      if (!allowed.has(name as never)) {
        const classes = classesAllowing(name);
        const hint = classes.length > 0 ? ` (declare class: ${classes.join(' or ')})` : '';
        const at = expression.search(new RegExp(`\\b${name}\\b`));
        problemAt(path, `"${name}" is not available to ${doc.ruleClass} rules${hint}`, linesBefore(expression, at));
      }
    }
    for (const match of expression.matchAll(VARIABLE_REFERENCE)) {
      const name = match[1] ?? '';
      if (!defined.has(name)) {
        problemAt(path, `variables.${name} is not defined before this expression`, linesBefore(expression, match.index));
      }
    }
    return program;
  };

  if (doc.mode && !modeAllowedForClass(doc.ruleClass, doc.mode)) {
    problemAt(['spec', 'mode'], 'context rules cannot be enforced at admission; use audit or dry-run');
  }
  const knownParams = new Set(doc.parameters.map((p) => p.name));
  for (const name of Object.keys(parameterOverrides)) {
    if (!knownParams.has(name)) problemAt(['spec', 'parameters'], `configuration sets unknown parameter "${name}"`);
  }

  const matchConditions = doc.matchConditions.map((c, i) => ({
    name: c.name,
    program: compile(['spec', 'matchConditions', i, 'expression'], c.expression),
  }));
  const variables = doc.variables.map((v, i) => {
    const program = compile(['spec', 'variables', i, 'expression'], v.expression);
    defined.add(v.name);
    return { name: v.name, program };
  });
  const validationNames = new Set<string>();
  const validations = doc.validations.map((v, i): Partial<CompiledValidation> => {
    const base = ['spec', 'validations', i];
    if (v.name) {
      if (validationNames.has(v.name)) problemAt([...base, 'name'], `validation name "${v.name}" is used twice`);
      validationNames.add(v.name);
    } else if (doc.validations.length > 1) {
      problemAt(base, 'name each validation when a rule has several (it becomes the finding code)');
    }
    return {
      spec: v,
      code: v.name ? `${doc.id}/${v.name}` : doc.id,
      expression: compile([...base, 'expression'], v.expression),
      ...optionalProgram('messageExpression', v.messageExpression, () => compile([...base, 'messageExpression'], v.messageExpression ?? '')),
      ...optionalProgram('fieldPathExpression', v.fieldPathExpression, () =>
        compile([...base, 'fieldPathExpression'], v.fieldPathExpression ?? ''),
      ),
    };
  });
  const auditAnnotations = doc.auditAnnotations.map((a, i) => ({
    key: a.key,
    program: compile(['spec', 'auditAnnotations', i, 'valueExpression'], a.valueExpression),
  }));
  const mutations = doc.mutations.map((m, i) => ({
    patchType: m.patchType,
    program: compile(['spec', 'mutations', i, 'expression'], m.expression),
  }));

  if (problems.length > 0) return { problems };
  const params: Record<string, unknown> = {};
  for (const p of doc.parameters) params[p.name] = p.name in parameterOverrides ? parameterOverrides[p.name] : p.default;
  foldConstants(variables as CompiledVariable[], params, env);
  markDeferred(variables as CompiledVariable[], [
    ...(matchConditions as CompiledRule['matchConditions']).map((c) => c.program),
    ...(validations as CompiledValidation[]).map((v) => v.expression),
  ]);
  const { match, parameters: _parameters, matchConditions: _mc, variables: _v, validations: _val, auditAnnotations: _a, mutations: _m, ...meta } = doc;
  return {
    problems,
    rule: {
      meta,
      match,
      params,
      matchConditions: matchConditions as CompiledRule['matchConditions'],
      variables: variables as CompiledRule['variables'],
      validations: validations as CompiledValidation[],
      auditAnnotations: auditAnnotations as CompiledRule['auditAnnotations'],
      mutations: mutations as CompiledRule['mutations'],
      usesPodSpec: false,
    },
  };
}

function optionalProgram<K extends string>(
  key: K,
  source: string | undefined,
  build: () => Program | undefined,
): Partial<Record<K, Program | undefined>> {
  if (source === undefined) return {};
  return { [key]: build() } as Partial<Record<K, Program | undefined>>;
}

/** A multi-line (block scalar) expression starts on the line after its key. */
function linesBefore(expression: string, offset: number | undefined): number {
  if (!expression.includes('\n')) return 0;
  const upTo = offset === undefined ? 0 : offset;
  return 1 + (expression.slice(0, upTo).match(/\n/g)?.length ?? 0);
}

/**
 * Computes, once, the variables that depend on nothing but parameters. One that fails here stays
 * dynamic, so it fails per object with the usual error finding rather than at load.
 */
function foldConstants(variables: CompiledVariable[], params: Record<string, unknown>, env: CelEnvironment): void {
  const constants: Record<string, unknown> = {};
  for (const variable of variables) {
    const reads = [...variable.program.freeIdentifiers];
    const referenced = [...variable.program.expression.matchAll(VARIABLE_REFERENCE)].map((m) => m[1] ?? '');
    const onlyConstants = reads.every((id) => id === 'params' || id === 'variables' || CEL_TYPE_NAMES.has(id))
      && referenced.every((name) => name in constants);
    if (!onlyConstants) continue;
    try {
      env.beginEvaluation({});
      const value = variable.program.run({ params, variables: { ...constants } });
      constants[variable.name] = value;
      variable.constant = { value };
    } catch {
      // Left dynamic on purpose (see above).
    }
  }
}

/**
 * Marks the variables that no verdict depends on: those neither the matchConditions nor the
 * validation expressions read, directly or through other variables. An expression that reads
 * `variables` other than as `variables.name` (an index, or the map itself) could read any of
 * them, so then none is deferred.
 */
function markDeferred(variables: CompiledVariable[], verdicts: Program[]): void {
  const byName = new Map(variables.map((v) => [v.name, v]));
  const needed = new Set<string>();
  const pending: Program[] = [...verdicts];
  for (let program = pending.pop(); program; program = pending.pop()) {
    if (!program.freeIdentifiers.has('variables')) continue;
    const expression = program.expression;
    const names = [...expression.matchAll(VARIABLE_REFERENCE)].map((m) => m[1] ?? '');
    if ((expression.match(/\bvariables\b/g)?.length ?? 0) !== names.length) return;
    for (const name of names) {
      const variable = byName.get(name);
      if (!variable || needed.has(name)) continue;
      needed.add(name);
      pending.push(variable.program);
    }
  }
  for (const variable of variables) if (!needed.has(variable.name)) variable.deferred = true;
}
