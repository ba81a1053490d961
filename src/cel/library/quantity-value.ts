/**
 * Kubernetes resource quantities (k8s.io/apimachinery/pkg/api/resource), exactly.
 *
 * A quantity is mantissa × 10^exp10 held in BigInt, so "1Gi" == "1024Mi" and "0.1" + "0.2" ==
 * "0.3" hold without float error. Besides the value, each quantity records which of Kubernetes'
 * two internal forms it would have (a scaled int64, or an arbitrary-precision decimal), because
 * that form — not the value — decides `isInteger()`/`asInteger()` there: `quantity("1000m")` and
 * `quantity("1.5Gi")` are whole numbers whose isInteger() is false in Kubernetes, and here.
 *
 * Grammar: <sign><digits>[.<digits>]<suffix>, suffix one of Ki Mi Gi Ti Pi Ei (powers of 1024),
 * n u m "" k M G T P E (powers of 1000), or e<int>/E<int> (a power of ten). Values are rounded up
 * to the nearest 1n; binary-suffixed values are capped at 2^63-1, as in Kubernetes (see
 * quantity-parse.ts).
 */
import { goPow10 } from './go-float.js';

export const INT64_MAX = 2n ** 63n - 1n;
const INT64_MIN = -(2n ** 63n);
/** Integer digits beyond which arithmetic is refused: far past any resource, bounded work. */
export const MAX_QUANTITY_DIGITS = 1000;

export type QuantityForm = 'int64' | 'dec';

export class Quantity {
  static readonly celTypeName = 'kubernetes.Quantity';
  readonly #mantissa: bigint;
  readonly #exp10: number;
  readonly #form: QuantityForm;

  constructor(mantissa: bigint, exp10: number, form: QuantityForm) {
    this.#mantissa = mantissa;
    // A zero keeps its scale: Kubernetes does, and later sums (and their floats) depend on it.
    this.#exp10 = exp10;
    this.#form = form;
  }

  sign(): -1 | 0 | 1 {
    return this.#mantissa > 0n ? 1 : this.#mantissa < 0n ? -1 : 0;
  }

  compare(other: Quantity): -1 | 0 | 1 {
    const a = this.sign();
    const b = other.sign();
    if (a !== b) return a < b ? -1 : 1;
    if (a === 0) return 0;
    // Same sign: the order of magnitude decides unless it is equal, which bounds the alignment.
    const magA = digits(this.#mantissa) + this.#exp10;
    const magB = digits(other.#mantissa) + other.#exp10;
    if (magA !== magB) return (magA > magB ? a : -a) as -1 | 1;
    const exp = Math.min(this.#exp10, other.#exp10);
    const x = this.#mantissa * 10n ** BigInt(this.#exp10 - exp);
    const y = other.#mantissa * 10n ** BigInt(other.#exp10 - exp);
    return x < y ? -1 : x > y ? 1 : 0;
  }

  equals(other: unknown): boolean {
    return other instanceof Quantity && this.compare(other) === 0;
  }

  /** Quantity.Add: stays a scaled int64 when Kubernetes' fast path would, else a decimal. */
  add(other: Quantity): Quantity {
    if (this.#form === 'int64' && other.#form === 'int64') {
      const sum = int64Add(this.#mantissa, this.#exp10, other.#mantissa, other.#exp10);
      if (sum) return sum;
    }
    return this.#decimalSum(other.#mantissa, other.#exp10);
  }

  sub(other: Quantity): Quantity {
    if (this.#form === 'int64' && other.#form === 'int64' && other.#mantissa !== INT64_MIN) {
      const diff = int64Add(this.#mantissa, this.#exp10, -other.#mantissa, other.#exp10);
      if (diff) return diff;
    }
    return this.#decimalSum(-other.#mantissa, other.#exp10);
  }

  /** The exact sum as an arbitrary-precision decimal at the finer of the two scales. */
  #decimalSum(mantissa: bigint, exp10: number): Quantity {
    const exp = Math.min(this.#exp10, exp10);
    return new Quantity(shift(this.#mantissa, this.#exp10 - exp) + shift(mantissa, exp10 - exp), exp, 'dec');
  }

  /** Quantity.AsInt64: only the int64 form at a non-negative scale converts. */
  asInteger(): bigint | undefined {
    if (this.#form !== 'int64' || this.#exp10 < 0) return undefined;
    return positiveScale(this.#mantissa, this.#exp10);
  }

  /** Quantity.AsApproximateFloat64: float(mantissa) × Pow10(exponent), as Go computes it. */
  asApproximateFloat(): number {
    const base = Number(this.#mantissa);
    return this.#exp10 === 0 ? base : base * goPow10(this.#exp10);
  }

  /** The exact value in decimal, for messages. */
  toString(): string {
    const text = (this.#mantissa < 0n ? -this.#mantissa : this.#mantissa).toString();
    const sign = this.#mantissa < 0n ? '-' : '';
    if (this.#exp10 >= 0) {
      return this.#exp10 > 30 ? `${sign}${text}e${this.#exp10}` : sign + text + '0'.repeat(this.#exp10);
    }
    const padded = text.padStart(-this.#exp10 + 1, '0');
    const point = padded.length + this.#exp10;
    const fraction = padded.slice(point).replace(/0+$/, '');
    return `${sign}${padded.slice(0, point)}${fraction ? `.${fraction}` : ''}`;
  }

  static int(value: bigint): Quantity {
    return new Quantity(value, 0, 'int64');
  }
}

export function digits(n: bigint): number {
  return (n < 0n ? -n : n).toString().length;
}

function inInt64(n: bigint): boolean {
  return n >= INT64_MIN && n <= INT64_MAX;
}

/** value × 10^scale if it fits an int64 (Go's positiveScaleInt64). */
function positiveScale(value: bigint, scale: number): bigint | undefined {
  if (value === 0n) return 0n;
  if (scale >= 19) return undefined;
  const result = value * 10n ** BigInt(scale);
  return inInt64(result) ? result : undefined;
}

/** int64Amount.Add; undefined when it would overflow (Kubernetes then switches to a decimal). */
function int64Add(a: bigint, aScale: number, b: bigint, bScale: number): Quantity | undefined {
  if (b === 0n) return new Quantity(a, aScale, 'int64');
  if (a === 0n) return new Quantity(b, bScale, 'int64');
  let sum: bigint | undefined;
  let scale: number;
  if (aScale === bScale) {
    sum = a + b;
    scale = aScale;
  } else if (aScale > bScale) {
    const shifted = positiveScale(a, aScale - bScale);
    sum = shifted === undefined ? undefined : shifted + b;
    scale = bScale;
  } else {
    const shifted = positiveScale(b, bScale - aScale);
    sum = shifted === undefined ? undefined : a + shifted;
    scale = aScale;
  }
  return sum !== undefined && inInt64(sum) ? new Quantity(sum, scale, 'int64') : undefined;
}

function shift(mantissa: bigint, places: number): bigint {
  if (mantissa === 0n) return 0n;
  if (places + digits(mantissa) > MAX_QUANTITY_DIGITS + 20) {
    throw new Error(`quantity: result has more than ${MAX_QUANTITY_DIGITS} digits`);
  }
  return mantissa * 10n ** BigInt(places);
}
