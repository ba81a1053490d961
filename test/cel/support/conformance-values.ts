/**
 * Converts cel-spec conformance data (protobuf JSON of cel.expr.Value and type declarations) into
 * the JavaScript values and type names cel-js uses. Anything that needs protobuf message types
 * throws Unsupported, and the test counts the case as skipped rather than failed.
 */
import { evaluate } from '@marcbachmann/cel-js';
import { makeUint } from '../../../src/cel/library/runtime-types.js';

export class Unsupported extends Error {}

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export function isObject(value: unknown): value is { [key: string]: Json } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function field(value: { [key: string]: Json }, name: string): Json | undefined {
  return Object.prototype.hasOwnProperty.call(value, name) ? value[name] : undefined;
}

/** cel.expr.Value → cel-js value. Maps become Map, so non-string keys keep their type. */
export function fromValue(value: Json | undefined): unknown {
  if (!isObject(value)) throw new Unsupported(`not a Value: ${JSON.stringify(value)}`);
  const [kind] = Object.keys(value);
  const v = kind === undefined ? undefined : value[kind];
  switch (kind) {
    case 'nullValue':
      return null;
    case 'boolValue':
      return v === true;
    case 'int64Value':
      return BigInt(String(v));
    case 'uint64Value':
      return makeUint(BigInt(String(v)));
    case 'doubleValue':
      return typeof v === 'number' ? v : Number(String(v));
    case 'stringValue':
      return String(v);
    case 'bytesValue':
      return new Uint8Array(Buffer.from(String(v), 'base64'));
    case 'listValue': {
      const values = isObject(v) ? field(v, 'values') : undefined;
      return Array.isArray(values) ? values.map(fromValue) : [];
    }
    case 'mapValue': {
      const entries = isObject(v) ? field(v, 'entries') : undefined;
      const out = new Map<unknown, unknown>();
      if (Array.isArray(entries)) {
        for (const entry of entries) {
          if (!isObject(entry)) throw new Unsupported('bad map entry');
          out.set(fromValue(field(entry, 'key')), fromValue(field(entry, 'value')));
        }
      }
      return out;
    }
    case 'typeValue':
      // Compared by name against cel-js's Type values (see deep-equal.ts).
      return evaluate(`type(${typeSample(String(v))})`);
    case 'objectValue':
      return wellKnownObject(v);
    default:
      throw new Unsupported(`value kind ${String(kind)}`);
  }
}

/** An expression whose type is the named type, to obtain cel-js's Type value for it. */
function typeSample(name: string): string {
  const samples: Record<string, string> = {
    int: '1', uint: '1u', double: '1.0', string: '""', bool: 'true', bytes: 'b""', list: '[]', map: '{}',
    null_type: 'null', type: 'int', 'google.protobuf.Duration': 'duration("1s")',
    'google.protobuf.Timestamp': 'timestamp("2000-01-01T00:00:00Z")',
  };
  const sample = samples[name];
  if (sample === undefined) throw new Unsupported(`type value ${name}`);
  return sample;
}

function wellKnownObject(v: Json | undefined): unknown {
  if (!isObject(v)) throw new Unsupported('objectValue');
  const type = String(field(v, '@type'));
  const text = JSON.stringify(String(field(v, 'value')));
  if (type.endsWith('/google.protobuf.Duration')) return evaluate(`duration(${text})`);
  if (type.endsWith('/google.protobuf.Timestamp')) return evaluate(`timestamp(${text})`);
  throw new Unsupported(`message ${type}`);
}

const PRIMITIVES: Record<string, string> = {
  BOOL: 'bool', INT64: 'int', UINT64: 'uint', DOUBLE: 'double', STRING: 'string', BYTES: 'bytes',
};
const WELL_KNOWN: Record<string, string> = {
  DURATION: 'google.protobuf.Duration', TIMESTAMP: 'google.protobuf.Timestamp',
};

/** cel.expr.Type → cel-js type name. */
export function fromType(type: Json | undefined): string {
  if (!isObject(type)) throw new Unsupported('type');
  const [kind] = Object.keys(type);
  const v = kind === undefined ? undefined : type[kind];
  switch (kind) {
    case 'primitive':
      return PRIMITIVES[String(v)] ?? unsupported(`primitive ${String(v)}`);
    case 'wellKnown':
      return WELL_KNOWN[String(v)] ?? unsupported(`well-known ${String(v)}`);
    case 'messageType':
      return Object.values(WELL_KNOWN).includes(String(v)) ? String(v) : unsupported(`message ${String(v)}`);
    case 'listType':
      return `list<${fromType(isObject(v) ? field(v, 'elemType') : undefined)}>`;
    case 'mapType': {
      if (!isObject(v)) return unsupported('map type');
      return `map<${fromType(field(v, 'keyType'))}, ${fromType(field(v, 'valueType'))}>`;
    }
    case 'null':
      return 'null';
    case 'dyn':
      return 'dyn';
    default:
      return unsupported(`type kind ${String(kind)}`);
  }
}

function unsupported(what: string): never {
  throw new Unsupported(what);
}
