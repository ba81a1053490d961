/**
 * ParseQuantity from k8s.io/apimachinery, ported rule for rule: the scanner, the suffix table, the
 * fast path (up to 18 significant digits, held as a scaled int64) and the slow path (an exact
 * decimal, rounded up to whole nano units). Which path a string takes decides isInteger() later,
 * so the split is kept exactly as Kubernetes has it.
 */
import { digits, INT64_MAX, MAX_QUANTITY_DIGITS, Quantity } from './quantity-value.js';

const INT32_MAX = 2 ** 31 - 1;

const FORMAT_REASON =
  'expected a number with an optional suffix (Ki Mi Gi Ti Pi Ei, n u m k M G T P E, or an exponent like e3)';

export class QuantityParseError extends Error {}

interface Scanned {
  value: string;
  num: string;
  denom: string;
  suffix: string;
  positive: boolean;
}

interface Suffix {
  base: 2 | 10;
  exponent: number;
  binary: boolean;
}

const DECIMAL_SUFFIXES: Readonly<Record<string, number>> = {
  '': 0, n: -9, u: -6, m: -3, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18,
};
const BINARY_SUFFIXES: Readonly<Record<string, number>> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
const SUFFIX_CHARS = 'eEinumkKMGTP';

function isDigit(c: string | undefined): boolean {
  return c !== undefined && c >= '0' && c <= '9';
}

function scan(str: string): Scanned | undefined {
  const end = str.length;
  let positive = true;
  let pos = 0;
  if (str[0] === '-') {
    positive = false;
    pos++;
  } else if (str[0] === '+') {
    pos++;
  }
  while (str[pos] === '0') pos++;
  if (pos >= end) return { positive, value: '0', num: '0', denom: '', suffix: '' };
  let i = pos;
  while (isDigit(str[i])) i++;
  if (i >= end) return { positive, value: str, num: str.slice(pos), denom: '', suffix: '' };
  const num = str.slice(pos, i) || '0';
  pos = i;
  let denom = '';
  if (str[pos] === '.') {
    pos++;
    let j = pos;
    while (isDigit(str[j])) j++;
    if (j >= end) return { positive, value: str, num, denom: str.slice(pos), suffix: '' };
    denom = str.slice(pos, j);
    pos = j;
  }
  const value = str.slice(0, pos);
  const suffixStart = pos;
  while (pos < end && SUFFIX_CHARS.includes(str[pos] ?? '')) pos++;
  if (str[pos] === '-' || str[pos] === '+') pos++;
  while (isDigit(str[pos])) pos++;
  if (pos < end) return undefined;
  return { positive, value, num, denom, suffix: str.slice(suffixStart) };
}

function interpretSuffix(suffix: string): Suffix | undefined {
  const dec = DECIMAL_SUFFIXES[suffix];
  if (dec !== undefined) return { base: 10, exponent: dec, binary: false };
  const bin = BINARY_SUFFIXES[suffix];
  if (bin !== undefined) return { base: 2, exponent: bin, binary: true };
  if (suffix.length > 1 && (suffix[0] === 'e' || suffix[0] === 'E') && /^[+-]?[0-9]+$/.test(suffix.slice(1))) {
    const exponent = Number(suffix.slice(1));
    // Kubernetes rejects exponents its int32 scale cannot hold.
    if (Math.abs(exponent) <= INT32_MAX) return { base: 10, exponent, binary: false };
  }
  return undefined;
}

export function parseQuantity(text: string): Quantity {
  const fail = (reason: string): QuantityParseError =>
    new QuantityParseError(`quantity: invalid quantity ${JSON.stringify(text)}: ${reason}`);
  if (text === '0') return Quantity.int(0n);
  const scanned = text === '' ? undefined : scan(text);
  if (!scanned) throw fail(FORMAT_REASON);
  const suffix = interpretSuffix(scanned.suffix);
  if (!suffix) throw fail(`unknown suffix ${JSON.stringify(scanned.suffix)}`);
  // Bounds the BigInt work below, whatever the length of the string an object carries.
  if (scanned.num.length + scanned.denom.length > 2 * MAX_QUANTITY_DIGITS) {
    throw fail(`more than ${2 * MAX_QUANTITY_DIGITS} digits`);
  }
  return fastPath(scanned, suffix) ?? slowPath(scanned, suffix, fail);
}

/** Up to 18 significant digits at a scale of at least 10^-9: a scaled int64, exactly. */
function fastPath(s: Scanned, suffix: Suffix): Quantity | undefined {
  let scale = 0;
  let multiplier = 1n;
  let precision: number;
  if (!suffix.binary) {
    scale = suffix.exponent;
    precision = 18 - (s.num.length + s.denom.length);
  } else if (s.denom.length === 0) {
    multiplier = 1n << BigInt(suffix.exponent);
    precision = 15 - s.num.length - Math.trunc((suffix.exponent * 3) / 10) - 1;
  } else {
    precision = -1;
  }
  if (precision < 0) return undefined;
  scale -= s.denom.length;
  if (scale < -9) return undefined;
  const result = BigInt(s.num + s.denom) * multiplier;
  if (result > INT64_MAX) return undefined;
  return new Quantity(s.positive ? result : -result, scale, 'int64');
}

const DECIMAL = /^([+-]?)([0-9]*)(?:\.([0-9]*))?$/;

function slowPath(s: Scanned, suffix: Suffix, fail: (reason: string) => Error): Quantity {
  const match = DECIMAL.exec(s.value);
  const whole = match?.[2] ?? '';
  const fraction = match?.[3] ?? '';
  if (!match || whole + fraction === '') throw fail('unable to parse the numeric part');
  let magnitude = BigInt(whole + fraction);
  let exp10 = -fraction.length;
  if (suffix.base === 10) exp10 += suffix.exponent;
  else magnitude <<= BigInt(suffix.exponent);
  if (magnitude !== 0n) {
    // Round away from zero to a whole number of nano units ("if you want some, you get some").
    if (exp10 >= -9) {
      if (exp10 + digits(magnitude) > MAX_QUANTITY_DIGITS) {
        throw fail(`more than ${MAX_QUANTITY_DIGITS} digits`);
      }
      magnitude *= 10n ** BigInt(exp10 + 9);
    } else {
      const drop = -9 - exp10;
      if (drop > digits(magnitude)) magnitude = 1n;
      else {
        const unit = 10n ** BigInt(drop);
        magnitude = (magnitude + unit - 1n) / unit;
      }
    }
    exp10 = -9;
  }
  if (suffix.binary && magnitude > INT64_MAX * 10n ** 9n) {
    magnitude = INT64_MAX;
    exp10 = 0;
  }
  return new Quantity(match[1] === '-' ? -magnitude : magnitude, exp10, 'dec');
}
