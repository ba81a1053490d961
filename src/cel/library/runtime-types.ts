/**
 * The runtime classes cel-js uses for uint, duration, timestamp and type values. cel-js does not
 * export them, so they are taken from values it produces: library functions need them to tell a
 * uint from a map, to add durations and to name a value's type in an error.
 */
import { evaluate } from '@marcbachmann/cel-js';

export interface UintValue {
  valueOf(): bigint;
}

export interface DurationValue {
  readonly seconds: bigint;
  readonly nanos: number;
  addDuration(other: DurationValue): DurationValue;
}

export interface TypeValue {
  readonly name: string;
}

function sample(expression: string): object {
  const value: unknown = evaluate(expression);
  if (typeof value !== 'object' || value === null) {
    throw new Error(`cel-js changed: ${expression} is not an object`);
  }
  return value;
}

const uintSample = sample('0u');
const durationSample = sample('duration("0s")');
const typeSample = sample('type(1)');

type UintConstructor = new (value: bigint) => UintValue;
const UintClass = uintSample.constructor as UintConstructor;
const DurationClass = durationSample.constructor;
const TypeClass = typeSample.constructor;

export const ZERO_DURATION = durationSample as DurationValue;

export function isUint(value: unknown): value is UintValue {
  return value instanceof UintClass;
}

/** A CEL uint; throws cel-js's own overflow error outside 0..2^64-1. */
export function makeUint(value: bigint): UintValue {
  return new UintClass(value);
}

export function isDuration(value: unknown): value is DurationValue {
  return value instanceof DurationClass;
}

export function isTimestamp(value: unknown): value is Date {
  return value instanceof Date;
}

export function isTypeValue(value: unknown): value is TypeValue {
  return value instanceof TypeClass;
}

export function isBytes(value: unknown): value is Uint8Array {
  return value instanceof Uint8Array;
}

/** cel-js represents lists as arrays (and, internally, sometimes as sets). */
export function isList(value: unknown): value is readonly unknown[] | ReadonlySet<unknown> {
  return Array.isArray(value) || value instanceof Set;
}

/** Maps are plain objects (from JSON and literals), null-prototype objects or Map instances. */
export function isMap(value: unknown): value is Record<string, unknown> | ReadonlyMap<unknown, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const ctor: unknown = Object.getPrototypeOf(value)?.constructor;
  return value instanceof Map || ctor === Object || ctor === undefined;
}

export function toArray(value: readonly unknown[] | ReadonlySet<unknown>): readonly unknown[] {
  return Array.isArray(value) ? value : [...value];
}

export function mapEntries(value: Record<string, unknown> | ReadonlyMap<unknown, unknown>): [unknown, unknown][] {
  return value instanceof Map ? [...value.entries()] : Object.entries(value);
}
