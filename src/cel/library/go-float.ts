/**
 * Go's float formatting (strconv / fmt) for `format`: `%f` and `%e` round the exact binary value
 * half-to-even (`'%.0f'.format([2.5])` is "2"; JavaScript's toFixed gives "3"), and `%s` prints the
 * shortest round-tripping digits without an exponent (1e21 → "1000000000000000000000").
 * Exact arithmetic uses BigInt; precision is capped by the caller, so the work stays bounded.
 */

interface Exact {
  negative: boolean;
  /** |x| = mantissa × 2^exponent exactly. */
  mantissa: bigint;
  exponent: number;
}

function decompose(x: number): Exact {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const hi = view.getUint32(0);
  const lo = view.getUint32(4);
  const negative = hi >>> 31 === 1;
  const biased = (hi >>> 20) & 0x7ff;
  const fraction = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  if (biased === 0) return { negative, mantissa: fraction, exponent: -1074 };
  return { negative, mantissa: fraction | (1n << 52n), exponent: biased - 1075 };
}

/** num/den rounded to an integer, ties to even. */
function roundHalfEven(num: bigint, den: bigint): bigint {
  const q = num / den;
  const twice = (num % den) * 2n;
  if (twice > den || (twice === den && q % 2n === 1n)) return q + 1n;
  return q;
}

/** |x| × 10^shift as an exact fraction. */
function scaled(e: Exact, shift: number): { num: bigint; den: bigint } {
  let num = e.mantissa;
  let den = 1n;
  if (e.exponent >= 0) num <<= BigInt(e.exponent);
  else den <<= BigInt(-e.exponent);
  if (shift >= 0) num *= 10n ** BigInt(shift);
  else den *= 10n ** BigInt(-shift);
  return { num, den };
}

/** Go `%.<precision>f`. */
export function formatFixed(x: number, precision: number): string {
  const e = decompose(x);
  const { num, den } = scaled(e, precision);
  const digits = roundHalfEven(num, den).toString().padStart(precision + 1, '0');
  const whole = digits.slice(0, digits.length - precision);
  const body = precision > 0 ? `${whole}.${digits.slice(digits.length - precision)}` : whole;
  return e.negative ? `-${body}` : body;
}

/** Go `%.<precision>e`: one digit, the fraction, and an exponent of at least two digits. */
export function formatScientific(x: number, precision: number): string {
  const e = decompose(x);
  let exp10 = 0;
  let digits = 0n;
  if (e.mantissa !== 0n) {
    exp10 = Math.floor(Math.log10(Math.abs(x)));
    // log10 can be off by one near powers of ten: settle the exponent exactly.
    for (;;) {
      const { num, den } = scaled(e, -exp10);
      if (num < den) exp10--;
      else if (num >= den * 10n) exp10++;
      else break;
    }
    const { num, den } = scaled(e, precision - exp10);
    digits = roundHalfEven(num, den);
    if (digits === 10n ** BigInt(precision + 1)) {
      exp10++;
      digits /= 10n;
    }
  }
  const text = digits.toString().padStart(precision + 1, '0');
  const mantissa = precision > 0 ? `${text.slice(0, 1)}.${text.slice(1)}` : text;
  const expSign = exp10 < 0 ? '-' : '+';
  const expText = String(Math.abs(exp10)).padStart(2, '0');
  return `${e.negative ? '-' : ''}${mantissa}e${expSign}${expText}`;
}

/** Go `strconv.FormatFloat(x, 'f', -1, 64)`: shortest digits that round-trip, no exponent. */
export function formatShortest(x: number): string {
  if (Object.is(x, -0)) return '-0';
  if (x === 0) return '0';
  const negative = x < 0;
  // toExponential() without an argument yields the shortest round-tripping digits.
  const [mantissa = '0', expText = '0'] = Math.abs(x).toExponential().split('e');
  const digits = mantissa.replace('.', '');
  const point = Number(expText) + 1;
  let body: string;
  if (point <= 0) body = `0.${'0'.repeat(-point)}${digits}`;
  else if (point >= digits.length) body = digits + '0'.repeat(point - digits.length);
  else body = `${digits.slice(0, point)}.${digits.slice(point)}`;
  return negative ? `-${body}` : body;
}

const POW10_SMALL: readonly number[] = Array.from({ length: 32 }, (_, i) => Number(`1e${i}`));
const POW10_POS32: readonly number[] = Array.from({ length: 10 }, (_, i) => Number(`1e${32 * i}`));
const POW10_NEG32: readonly number[] = Array.from({ length: 11 }, (_, i) => Number(`1e-${32 * i}`));

/** Go's math.Pow10, table for table, so products round exactly as they do in Kubernetes. */
export function goPow10(n: number): number {
  if (n >= 0 && n <= 308) return (POW10_POS32[Math.floor(n / 32)] ?? 0) * (POW10_SMALL[n % 32] ?? 0);
  if (n < 0 && n >= -323) return (POW10_NEG32[Math.floor(-n / 32)] ?? 0) / (POW10_SMALL[-n % 32] ?? 1);
  return n > 0 ? Infinity : 0;
}
