/**
 * Standard CEL conversions cel-js lacks, which rule authors reach for in messages and time checks:
 *
 *   string(<timestamp>) <string>   RFC 3339, UTC: "2009-02-13T23:31:30Z"
 *   string(<duration>) <string>    seconds: "3600s", "1.5s"
 *   int(<timestamp>) <int>         Unix seconds
 *   int(<uint>) <int>              an error above 2^63-1
 *   timestamp(<timestamp>), duration(<duration>)   identities
 *
 * cel-js keeps timestamps as JavaScript Dates, so they carry milliseconds, not nanoseconds.
 */
import type { Environment } from '@marcbachmann/cel-js';
import { formatDuration, formatTimestamp } from './format.js';
import type { DurationValue, UintValue } from './runtime-types.js';

const TIMESTAMP = 'google.protobuf.Timestamp';
const DURATION = 'google.protobuf.Duration';
const INT64_MAX = 2n ** 63n - 1n;

function uintToInt(value: UintValue): bigint {
  const n = value.valueOf();
  if (n > INT64_MAX) throw new Error(`int: ${n}u is out of the int range`);
  return n;
}

export function registerConversionFunctions(env: Environment): void {
  env.registerFunction(`string(${TIMESTAMP}): string`, formatTimestamp);
  env.registerFunction(`string(${DURATION}): string`, (d: DurationValue) => formatDuration(d));
  env.registerFunction(`int(${TIMESTAMP}): int`, (t: Date) => BigInt(Math.floor(t.getTime() / 1000)));
  env.registerFunction('int(uint): int', uintToInt);
  env.registerFunction(`timestamp(${TIMESTAMP}): ${TIMESTAMP}`, (t: Date) => t);
  env.registerFunction(`duration(${DURATION}): ${DURATION}`, (d: DurationValue) => d);
}
