/**
 * `<string>.format(<list>)` from cel-go's ext.Strings (the version-2 formatter):
 *
 *   %s  any string, bool, bytes, int, uint, double, null, type, list, map, duration, timestamp
 *   %d  int, uint, double          %f / %.Nf  fixed point (default 6 digits), rounds half to even
 *   %e  scientific, as %f          %b  binary (int, uint, bool)
 *   %x / %X  hex (int, uint, string, bytes)   %o  octal (int, uint)     %%  a literal %
 *
 * Errors use cel-go's wording, so messages match what a rule author sees in Kubernetes.
 */
import { formatFixed, formatScientific, formatShortest } from './go-float.js';
import {
  isBytes,
  isDuration,
  isList,
  isMap,
  isTimestamp,
  isTypeValue,
  isUint,
  mapEntries,
  toArray,
  type DurationValue,
} from './runtime-types.js';
import { celTypeName, compareStrings } from './values.js';

const DEFAULT_PRECISION = 6;
/** Bounds the output (and the exact arithmetic) a short format string can ask for. */
export const MAX_PRECISION = 1000;

class FormatError extends Error {}

export function formatString(template: string, args: readonly unknown[]): string {
  let out = '';
  let argIndex = 0;
  let i = 0;
  while (i < template.length) {
    const c = template[i];
    if (c !== '%') {
      out += c;
      i++;
      continue;
    }
    if (template[i + 1] === '%') {
      out += '%';
      i += 2;
      continue;
    }
    if (argIndex >= args.length) throw new Error(`format: index ${argIndex} out of range`);
    if (i + 1 >= template.length) throw new Error('format: unexpected end of string');
    const clause = parseClause(template, i + 1);
    try {
      out += clause.verb(args[argIndex], clause.precision);
    } catch (error) {
      if (error instanceof FormatError) throw new Error(`format: error during formatting: ${error.message}`);
      throw error;
    }
    i = clause.end;
    argIndex++;
  }
  return out;
}

type Verb = (value: unknown, precision: number) => string;

function parseClause(template: string, start: number): { verb: Verb; precision: number; end: number } {
  let i = start;
  let precision = DEFAULT_PRECISION;
  if (template[i] === '.') {
    i++;
    const digitsStart = i;
    while (i < template.length && /[0-9]/.test(template[i] ?? '')) i++;
    if (i >= template.length) {
      throw clauseError('error while parsing precision: could not find end of precision specifier');
    }
    const digits = template.slice(digitsStart, i);
    if (digits === '') throw clauseError('error while parsing precision: missing precision digits');
    precision = Number(digits);
    if (precision > MAX_PRECISION) {
      throw clauseError(
        `error while parsing precision: precision ${digits} exceeds maximum allowed precision ${MAX_PRECISION}`,
      );
    }
  }
  const name = template[i] ?? '';
  const verb = VERBS[name];
  if (!verb) throw clauseError(`unrecognized formatting clause "${name}"`);
  return { verb, precision, end: i + 1 };
}

function clauseError(message: string): Error {
  return new Error(`format: could not parse formatting clause: ${message}`);
}

const VERBS: Readonly<Record<string, Verb>> = {
  s: (v) => formatAny(v),
  d: decimal,
  f: (v, p) => fixedOrScientific(v, p, 'fixed-point', formatFixed),
  e: (v, p) => fixedOrScientific(v, p, 'scientific', formatScientific),
  b: binary,
  x: (v) => hex(v, false),
  X: (v) => hex(v, true),
  o: octal,
};

function nonFinite(x: number): string | undefined {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return 'Infinity';
  if (x === -Infinity) return '-Infinity';
  return undefined;
}

function integerOf(value: unknown): bigint | undefined {
  if (typeof value === 'bigint') return value;
  if (isUint(value)) return value.valueOf();
  return undefined;
}

function decimal(value: unknown): string {
  const int = integerOf(value);
  if (int !== undefined) return int.toString();
  if (typeof value === 'number') return nonFinite(value) ?? formatShortest(value);
  throw new FormatError(`decimal clause can only be used on ints, uints, and doubles, was given ${celTypeName(value)}`);
}

function fixedOrScientific(
  value: unknown,
  precision: number,
  clause: string,
  render: (x: number, precision: number) => string,
): string {
  const int = integerOf(value);
  // cel-go converts integers to float64 first, as here.
  const x = int !== undefined ? Number(int) : typeof value === 'number' ? value : undefined;
  if (x === undefined) {
    throw new FormatError(
      `${clause} clause can only be used on ints, uints, and doubles, was given ${celTypeName(value)}`,
    );
  }
  return nonFinite(x) ?? render(x, precision);
}

function binary(value: unknown): string {
  if (typeof value === 'boolean') return value ? '1' : '0';
  const int = integerOf(value);
  if (int !== undefined) return int.toString(2);
  throw new FormatError(`only ints, uints, and bools can be formatted as binary, was given ${celTypeName(value)}`);
}

function octal(value: unknown): string {
  const int = integerOf(value);
  if (int !== undefined) return int.toString(8);
  throw new FormatError(`octal clause can only be used on ints and uints, was given ${celTypeName(value)}`);
}

function hex(value: unknown, upper: boolean): string {
  let text: string;
  const int = integerOf(value);
  if (int !== undefined) text = int.toString(16);
  else if (typeof value === 'string') text = Buffer.from(value, 'utf8').toString('hex');
  else if (isBytes(value)) text = Buffer.from(value).toString('hex');
  else {
    throw new FormatError(
      `only ints, uints, bytes, and strings can be formatted as hex, was given ${celTypeName(value)}`,
    );
  }
  return upper ? text.toUpperCase() : text;
}

/** RFC 3339 in UTC with the fraction trimmed, as Go's time.RFC3339Nano prints it. */
export function formatTimestamp(value: Date): string {
  return value.toISOString().replace(/\.?0*Z$/, 'Z');
}

/** Seconds with the shortest fraction, as cel-go prints a duration ("1.5s", "3600s"). */
export function formatDuration(value: DurationValue): string {
  return `${formatShortest(Number(value.seconds) + value.nanos / 1e9)}s`;
}

/** The %s rendering: lists as [a, b], maps as {k: v} sorted by rendered key. */
export function formatAny(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return value;
    case 'boolean':
    case 'bigint':
      return String(value);
    case 'number':
      return nonFinite(value) ?? formatShortest(value);
  }
  if (value === null) return 'null';
  if (isUint(value)) return value.valueOf().toString();
  if (isBytes(value)) return Buffer.from(value).toString('utf8');
  if (isTimestamp(value)) return formatTimestamp(value);
  if (isDuration(value)) return formatDuration(value);
  if (isTypeValue(value)) return value.name;
  if (isList(value)) return `[${toArray(value).map(formatAny).join(', ')}]`;
  if (isMap(value)) {
    const entries = mapEntries(value).map(([k, v]) => [formatAny(k), formatAny(v)] as const);
    entries.sort((a, b) => compareStrings(a[0], b[0]));
    return `{${entries.map(([k, v]) => `${k}: ${v}`).join(', ')}}`;
  }
  throw new FormatError(
    'string clause can only be used on strings, bools, bytes, ints, doubles, maps, lists, types, durations, ' +
      `and timestamps, was given ${celTypeName(value)}`,
  );
}
