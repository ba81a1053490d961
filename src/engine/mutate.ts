/**
 * mutationsFor(ruleSet, resource) → the JSONPatch that remediates the resource. Pure: no I/O.
 *
 * A rule's `mutations` are CEL expressions returning lists of JSONPatch operations. They run on
 * the rules that would be evaluated (same kind index, operations, namespaces, selectors and
 * matchConditions as evaluate()), with the same activation, variables included. Paths target the
 * real object: `jsonPointer(node)` in CEL gives a node's JSON Pointer, through the podSpec view
 * (`jsonPointer(podSpec)` is `/spec/template/spec` on a Deployment).
 *
 * The operations of all rules are applied in turn to a copy of the object, so a later rule sees
 * what an earlier one patched and the combined patch stays valid against the original object. An
 * operation that is malformed or does not apply is dropped and reported; a rule whose expression
 * fails contributes nothing and is reported. Nothing here throws for a rule's sake.
 *
 * The resource is not modified: its object and oldObject are copied before they are prepared.
 */
import { setKey } from '../json/set-key.js';
import type { Activation } from '../cel/environment.js';
import { isUint } from '../cel/library/runtime-types.js';
import { applyOperation, cloneJson, JSON_PATCH_OPS, type JsonPatchOp, type JsonValue } from '../admission/json-patch.js';
import type { Phase } from '../rules/classes.js';
import type { CompiledRule } from '../rules/types.js';
import {
  activationFor,
  anchorsOf,
  apiGroupOf,
  appliesTo,
  computeVariables,
  describeStep,
  matchLabelsOf,
  namespaceOf,
  passesMatchConditions,
  prepareObject,
  type RuleStep,
} from './evaluate.js';
import { kindKey, podSpecView } from './pod-spec.js';
import { dropManagedFields, integersToBigInt } from './prepare.js';
import type { RuleSet } from './rule-set.js';
import type { KubeObject, Resource } from './types.js';
import { isRecord } from '../json/is-record.js';

export interface MutationOptions {
  /**
   * The rules allowed to mutate (mutation is opt-in: the webhook passes the configured ids).
   * Absent: every rule that has mutations.
   */
  ruleIds?: ReadonlySet<string>;
  /** Where the rules run, for their class (default admission). */
  phase?: Phase;
  /** Rule id → parameter values over the compiled ones, as in evaluate(). */
  parameters?: Readonly<Record<string, Record<string, unknown>>>;
}

/** The operations one rule contributed, in the order they apply. */
export interface RulePatch {
  ruleId: string;
  ops: JsonPatchOp[];
}

/** Why a rule's mutation, or one of its operations, was left out. */
export interface MutationError {
  ruleId: string;
  message: string;
}

export interface Mutations {
  /** One entry per rule that contributed operations, in rule order. */
  patches: RulePatch[];
  /** Every rule's operations in order: one JSONPatch that applies to the original object. */
  ops: JsonPatchOp[];
  errors: MutationError[];
}

const OP_MEMBERS: Readonly<Record<JsonPatchOp['op'], readonly string[]>> = {
  add: ['op', 'path', 'value'],
  remove: ['op', 'path'],
  replace: ['op', 'path', 'value'],
  test: ['op', 'path', 'value'],
  copy: ['op', 'from', 'path'],
  move: ['op', 'from', 'path'],
};

export function mutationsFor(ruleSet: RuleSet, resource: Resource, options: MutationOptions = {}): Mutations {
  const result: Mutations = { patches: [], ops: [], errors: [] };
  // The API server applies a patch only to the object of a CREATE or an UPDATE.
  if (resource.operation !== 'CREATE' && resource.operation !== 'UPDATE') return result;
  const kind = typeof resource.object['kind'] === 'string' ? resource.object['kind'] : '';
  const apiGroup = apiGroupOf(resource.object);
  const candidates = ruleSet
    .rulesFor(apiGroup, kind)
    .filter((rule) => rule.mutations.length > 0 && (!options.ruleIds || options.ruleIds.has(rule.meta.id)));
  if (candidates.length === 0) return result;

  const phase = options.phase ?? 'admission';
  const namespace = namespaceOf(resource);
  const labels = matchLabelsOf(resource);
  const location = ruleSet.podTemplates.get(kindKey(apiGroup, kind));
  // The working copy: prepared as evaluate() prepares objects, and patched rule after rule.
  const working = { doc: cloneJson(resource.object) as unknown };
  prepareObject(working.doc as KubeObject);
  const oldObject = resource.oldObject ? cloneJson(resource.oldObject) : resource.oldObject;
  if (oldObject) prepareObject(oldObject);
  // As in evaluate(): not prepared (it may come from a typed client's cache), but no rule sees managedFields.
  if (resource.namespaceObject) dropManagedFields(resource.namespaceObject);
  const prepared: Resource = { ...resource, oldObject };

  for (const rule of candidates) {
    if (!appliesTo(rule, resource, phase, namespace, labels)) continue;
    const object = working.doc as KubeObject;
    const podSpec = podSpecView(object, location);
    const activation = activationFor(prepared, object, podSpec, undefined);
    const override = options.parameters?.[rule.meta.id];
    activation.params = override ? { ...rule.params, ...override } : rule.params;
    ruleSet.env.beginEvaluation(object, anchorsOf(podSpec));
    // Every mutation of a rule sees the object as it was before the rule's first operation.
    const applied: JsonPatchOp[] = [];
    for (const item of proposedOps(rule, activation, override !== undefined)) {
      if ('error' in item) {
        result.errors.push({ ruleId: rule.meta.id, message: item.error });
        continue;
      }
      try {
        applyOperation(working, item.op);
        applied.push(item.op);
      } catch (error) {
        result.errors.push({ ruleId: rule.meta.id, message: `${item.at}: does not apply: ${(error as Error).message}` });
      }
    }
    if (applied.length === 0) continue;
    // Values a patch adds are plain JSON numbers; the next rule's CEL expects whole numbers as int.
    integersToBigInt(working.doc);
    result.patches.push({ ruleId: rule.meta.id, ops: applied });
    result.ops.push(...applied);
  }
  return result;
}

type Proposed = { op: JsonPatchOp; at: string } | { error: string };

/** The rule's operations, each with where it came from, and its errors, in order; never throws. */
function proposedOps(rule: CompiledRule, activation: Activation, paramsOverridden: boolean): Proposed[] {
  const step: RuleStep = { part: 'matchConditions', name: '' };
  try {
    if (!passesMatchConditions(rule, activation, step)) return [];
    activation.variables = {};
    // A mutation may read any variable, those only messages read included.
    computeVariables(rule, activation, false, paramsOverridden, step);
    computeVariables(rule, activation, true, paramsOverridden, step);
  } catch (error) {
    return [{ error: `rule evaluation failed in ${describeStep(step)}: ${(error as Error).message}` }];
  }
  const out: Proposed[] = [];
  rule.mutations.forEach((mutation, index) => {
    const where = `mutations[${index}]`;
    let value: unknown;
    try {
      value = mutation.program.run(activation);
    } catch (error) {
      out.push({ error: `rule evaluation failed in ${where}: ${(error as Error).message}` });
      return;
    }
    if (!Array.isArray(value)) {
      out.push({ error: `${where} returned ${typeName(value)}, not a list of JSONPatch operations` });
      return;
    }
    value.forEach((item: unknown, i) => {
      const at = `${where}[${i}]`;
      try {
        out.push({ op: toOperation(item), at });
      } catch (error) {
        out.push({ error: `${at}: ${(error as Error).message}` });
      }
    });
  });
  return out;
}

/** Checks one CEL map as a JSONPatch operation and converts it to plain JSON. */
export function toOperation(item: unknown): JsonPatchOp {
  const map = plainMap(item);
  if (!map) throw new Error(`an operation must be a map, not ${typeName(item)}`);
  const name = map['op'];
  if (!(JSON_PATCH_OPS as readonly unknown[]).includes(name)) {
    throw new Error(`"op" must be one of ${JSON_PATCH_OPS.join(', ')}, not ${preview(name)}`);
  }
  const op = name as JsonPatchOp['op'];
  const allowed = OP_MEMBERS[op];
  const unknown = Object.keys(map).filter((k) => !allowed.includes(k));
  if (unknown.length > 0) throw new Error(`"${op}" takes only ${allowed.join(', ')}; unknown: ${unknown.join(', ')}`);
  const pointer = (member: 'path' | 'from'): string => {
    const p = map[member];
    if (typeof p !== 'string' || !p.startsWith('/')) {
      throw new Error(`"${member}" must be a JSON Pointer starting with '/', not ${preview(p)}`);
    }
    return p;
  };
  const path = pointer('path');
  switch (op) {
    case 'remove':
      return { op, path };
    case 'copy':
    case 'move':
      return { op, from: pointer('from'), path };
    default:
      if (!('value' in map)) throw new Error(`"${op}" needs a "value"`);
      return { op, path, value: toJson(map['value'], 'value') };
  }
}

/**
 * A CEL value as plain JSON: int and uint become numbers (the engine holds whole numbers as
 * BigInt, a patch carries JSON numbers); bytes, timestamps, durations, types and optionals have no
 * JSON form and are refused.
 */
export function toJson(value: unknown, where: string): JsonValue {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      if (!Number.isFinite(value)) throw new Error(`${where} is ${value}, which JSON cannot carry`);
      return value;
    case 'bigint': {
      const n = Number(value);
      if (!Number.isSafeInteger(n)) throw new Error(`${where} is ${value}, too large for a JSON number`);
      return n;
    }
    case 'object': {
      if (value === null) return null;
      if (Array.isArray(value)) return value.map((v: unknown, i) => toJson(v, `${where}[${i}]`));
      if (isUint(value)) return toJson(value.valueOf(), where);
      const map = plainMap(value);
      if (!map) throw new Error(`${where} is ${typeName(value)}, which has no JSON form`);
      const out: Record<string, JsonValue> = {};
      for (const [k, v] of Object.entries(map)) {
        setKey(out, k, toJson(v, `${where}.${k}`));
      }
      return out;
    }
    default:
      throw new Error(`${where} is ${typeName(value)}, which has no JSON form`);
  }
}

/** A CEL map (a plain object, or a Map with string keys) as a record; undefined for anything else. */
function plainMap(value: unknown): Record<string, unknown> | undefined {
  if (value instanceof Map) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of value) {
      if (typeof k !== 'string') return undefined;
      setKey(out, k, v);
    }
    return out;
  }
  if (!isRecord(value)) return undefined;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null ? value : undefined;
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return `a ${value.constructor?.name ?? 'map'}`;
  return `a ${typeof value}`;
}

function preview(value: unknown): string {
  if (value === undefined) return 'missing';
  const text = typeof value === 'string' ? JSON.stringify(value) : typeName(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
