/**
 * Runs cel-spec conformance cases (the SimpleTest data shipped in @bufbuild/cel-spec) against
 * Palisade's CEL setup. Cases without bindings go through the real CelEnvironment; cases that bind
 * variables go through the mirror environment (see mirror-environment.ts).
 *
 * A case passes when it produces the expected value (compared strictly: an int is not a double),
 * or any error where an error is expected. Cases that need protobuf message types, which Palisade
 * does not have, are skipped.
 */
import { tests } from '@bufbuild/cel-spec/testdata/conformance.js';
import { CelEnvironment } from '../../../src/cel/environment.js';
import { fromType, fromValue, isObject, Unsupported, type Json } from './conformance-values.js';
import { deepEqual } from './deep-equal.js';
import { evaluateMirrored } from './mirror-environment.js';

export type Status = 'pass' | 'fail' | 'skip';

export interface CaseOutcome {
  suite: string;
  name: string;
  expression: string;
  status: Status;
  detail: string;
}

export interface SuiteCounts {
  pass: number;
  fail: number;
  skip: number;
}

interface SerializedSuite {
  name: string;
  suites?: SerializedSuite[];
  tests?: { original: unknown }[];
}

/** Message literals (`TestAllTypes{…}`, `google.protobuf.Int32Value{…}`) and proto type names. */
const NEEDS_PROTO = /\b[A-Z][A-Za-z0-9_]*\s*\{|TestAllTypes|NestedEnum|GlobalEnum|cel\.expr\.conformance/;
const PROTO_CONTAINER = /^(cel\.expr\.conformance|google\.protobuf)/;

const celEnv = new CelEnvironment();

function collect(suite: SerializedSuite, path: string, out: { path: string; original: unknown }[]): void {
  for (const t of suite.tests ?? []) out.push({ path, original: t.original });
  for (const child of suite.suites ?? []) collect(child, `${path}/${child.name}`, out);
}

export function conformanceSuiteNames(): string[] {
  return (tests as SerializedSuite).suites?.map((s) => s.name) ?? [];
}

export function runSuite(name: string, mode: 'auto' | 'mirror' = 'auto'): CaseOutcome[] {
  const suite = (tests as SerializedSuite).suites?.find((s) => s.name === name);
  if (!suite) throw new Error(`no conformance suite ${name}`);
  const cases: { path: string; original: unknown }[] = [];
  collect(suite, name, cases);
  return cases.map(({ path, original }) => runCase(path, original, mode));
}

export function countOutcomes(outcomes: readonly CaseOutcome[]): SuiteCounts {
  const counts: SuiteCounts = { pass: 0, fail: 0, skip: 0 };
  for (const o of outcomes) counts[o.status]++;
  return counts;
}

function runCase(path: string, original: unknown, mode: 'auto' | 'mirror'): CaseOutcome {
  const test = isObject(original) ? original : {};
  const expression = String(test.expr ?? '');
  const outcome = (status: Status, detail: string): CaseOutcome => ({
    suite: path,
    name: String(test.name ?? expression),
    expression,
    status,
    detail,
  });
  try {
    if (NEEDS_PROTO.test(expression)) return outcome('skip', 'needs protobuf message types');
    if (PROTO_CONTAINER.test(String(test.container ?? ''))) return outcome('skip', 'needs a protobuf container');
    const expectError = 'evalError' in test;
    const expected = expectError ? undefined : 'value' in test ? fromValue(test.value) : true;
    const declarations = declare(test.typeEnv);
    const activation = bind(test.bindings);
    for (const name of Object.keys(activation)) declarations[name] ??= 'dyn';
    let result: unknown;
    try {
      result =
        mode === 'auto' && Object.keys(declarations).length === 0
          ? evaluateForReal(expression)
          : evaluateMirrored(expression, declarations, activation);
    } catch (error) {
      return expectError ? outcome('pass', 'error as expected') : outcome('fail', `error: ${firstLine(error)}`);
    }
    if (expectError) return outcome('fail', `expected an error, got ${show(result)}`);
    return deepEqual(result, expected)
      ? outcome('pass', 'value as expected')
      : outcome('fail', `expected ${show(expected)}, got ${show(result)}`);
  } catch (error) {
    if (error instanceof Unsupported) return outcome('skip', error.message);
    throw error;
  }
}

function evaluateForReal(expression: string): unknown {
  const program = celEnv.compile(expression);
  celEnv.beginEvaluation({});
  return program.run({});
}

function declare(typeEnv: Json | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!Array.isArray(typeEnv)) return out;
  for (const decl of typeEnv) {
    if (!isObject(decl) || !isObject(decl.ident)) throw new Unsupported('function declarations');
    out[String(decl.name)] = fromType(decl.ident.type);
  }
  return out;
}

function bind(bindings: Json | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (!isObject(bindings)) return out;
  for (const [name, binding] of Object.entries(bindings)) {
    out[name] = fromValue(isObject(binding) ? binding.value : undefined);
  }
  return out;
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '';
}

function show(value: unknown): string {
  try {
    return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v)) ?? String(value);
  } catch {
    return String(value);
  }
}
