/**
 * The Kubernetes quantity library (k8s.io/apiserver/pkg/cel/library/quantity.go):
 *
 *   quantity(<string>) <Quantity>      isQuantity(<string>) <bool>
 *   <Quantity>.isInteger() <bool>      <Quantity>.asInteger() <int>    <Quantity>.asApproximateFloat() <double>
 *   <Quantity>.sign() <int>            <Quantity>.add(<Quantity|int>)  <Quantity>.sub(<Quantity|int>)
 *   <Quantity>.isGreaterThan(<Quantity>) <bool>   .isLessThan(…) <bool>   .compareTo(…) <int>
 *   <Quantity> == <Quantity>           by value: quantity("1Gi") == quantity("1024Mi")
 *
 * The arithmetic is exact (quantity-value.ts); nothing goes through a float except
 * asApproximateFloat.
 */
import type { Environment } from '@marcbachmann/cel-js';
import { parseQuantity, QuantityParseError } from './quantity-parse.js';
import { Quantity } from './quantity-value.js';

const Q = Quantity.celTypeName;

export function isQuantity(text: string): boolean {
  try {
    parseQuantity(text);
    return true;
  } catch (error) {
    if (error instanceof QuantityParseError) return false;
    throw error;
  }
}

function asInteger(q: Quantity): bigint {
  const value = q.asInteger();
  if (value === undefined) {
    throw new Error(
      `quantity: cannot convert value to integer: ${q.toString()} does not fit an int64, ` +
        'or was written with a fraction or a sub-unit suffix (as in Kubernetes)',
    );
  }
  return value;
}

function sign(q: Quantity): bigint {
  return BigInt(q.sign());
}

export function registerQuantityFunctions(env: Environment): void {
  // No fields: a Quantity is read only through its functions.
  env.registerType(Q, { ctor: Quantity, fields: {} });
  env.registerFunction(`quantity(string): ${Q}`, parseQuantity);
  env.registerFunction('isQuantity(string): bool', isQuantity);
  env.registerFunction(`${Q}.isInteger(): bool`, (q: Quantity) => q.asInteger() !== undefined);
  env.registerFunction(`${Q}.asInteger(): int`, asInteger);
  env.registerFunction(`${Q}.asApproximateFloat(): double`, (q: Quantity) => q.asApproximateFloat());
  // Kubernetes declares sign as a global overload; its docs show it as a method. Offer both.
  env.registerFunction(`${Q}.sign(): int`, sign);
  env.registerFunction(`sign(${Q}): int`, sign);
  env.registerFunction(`${Q}.add(${Q}): ${Q}`, (a: Quantity, b: Quantity) => a.add(b));
  env.registerFunction(`${Q}.add(int): ${Q}`, (a: Quantity, b: bigint) => a.add(Quantity.int(b)));
  env.registerFunction(`${Q}.sub(${Q}): ${Q}`, (a: Quantity, b: Quantity) => a.sub(b));
  env.registerFunction(`${Q}.sub(int): ${Q}`, (a: Quantity, b: bigint) => a.sub(Quantity.int(b)));
  env.registerFunction(`${Q}.isGreaterThan(${Q}): bool`, (a: Quantity, b: Quantity) => a.compare(b) === 1);
  env.registerFunction(`${Q}.isLessThan(${Q}): bool`, (a: Quantity, b: Quantity) => a.compare(b) === -1);
  env.registerFunction(`${Q}.compareTo(${Q}): int`, (a: Quantity, b: Quantity) => BigInt(a.compare(b)));
  env.registerOperator(`${Q} == ${Q}`, (a: Quantity, b: Quantity) => a.equals(b));
}
