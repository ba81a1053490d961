/**
 * The Kubernetes CIDR library (k8s.io/apiserver/pkg/cel/library/cidr.go):
 *
 *   cidr(<string>) <CIDR>                 isCIDR(<string>) <bool>          string(<CIDR>) <string>
 *   <CIDR>.containsIP(<IP|string>) <bool>   <CIDR>.containsCIDR(<CIDR|string>) <bool>
 *   <CIDR>.ip() <IP>   (the address as written)   <CIDR>.masked() <CIDR>   <CIDR>.prefixLength() <int>
 *
 * As netip.ParsePrefix, host bits may be set ('10.0.0.1/8' is valid; masked() clears them), and
 * equality compares address and length as written. containsCIDR masks both sides, as Kubernetes
 * does since it fixed #130441.
 */
import type { Environment } from '@marcbachmann/cel-js';
import { IPAddress, IPParseError, isIPv4Mapped, parseAddress, parseIPAddress } from './ip-address.js';

export class CIDR {
  static readonly celTypeName = 'net.CIDR';
  readonly #address: IPAddress;
  readonly #bits: number;

  constructor(address: IPAddress, bits: number) {
    this.#address = address;
    this.#bits = bits;
  }

  get address(): IPAddress {
    return this.#address;
  }

  get prefixLength(): number {
    return this.#bits;
  }

  masked(): CIDR {
    return new CIDR(maskAddress(this.#address, this.#bits), this.#bits);
  }

  containsIP(ip: IPAddress): boolean {
    return ip.family === this.#address.family && maskAddress(ip, this.#bits).equals(this.masked().#address);
  }

  containsCIDR(other: CIDR): boolean {
    return other.#bits >= this.#bits && this.containsIP(other.#address);
  }

  equals(other: unknown): boolean {
    return other instanceof CIDR && other.#bits === this.#bits && other.#address.equals(this.#address);
  }

  toString(): string {
    return `${this.#address.toString()}/${this.#bits}`;
  }
}

function maskAddress(ip: IPAddress, bits: number): IPAddress {
  const bytes = ip.bytes;
  for (let i = 0; i < bytes.length; i++) {
    const keep = Math.max(0, Math.min(8, bits - i * 8));
    bytes[i] = (bytes[i] ?? 0) & ((0xff << (8 - keep)) & 0xff);
  }
  return new IPAddress(bytes);
}

/** Kubernetes' parseCIDR: netip.ParsePrefix without IPv4-mapped addresses. */
export function parseCIDR(text: string): CIDR {
  const fail = (reason: string): IPParseError =>
    new IPParseError(`cidr: invalid CIDR ${JSON.stringify(text)}: ${reason}`);
  const slash = text.lastIndexOf('/');
  if (slash < 0) throw fail("no '/'");
  let parsed: ReturnType<typeof parseAddress>;
  try {
    parsed = parseAddress(text.slice(0, slash));
  } catch (error) {
    if (error instanceof IPParseError) throw fail(error.message);
    throw error;
  }
  if (parsed.zone !== '') throw fail('IPv6 zones cannot be present in a prefix');
  const bitsText = text.slice(slash + 1);
  // Go refuses signs and leading zeros here, though strconv.Atoi would take them.
  if (!/^(0|[1-9][0-9]*)$/.test(bitsText)) throw fail(`bad bits after slash: ${JSON.stringify(bitsText)}`);
  const bits = Number(bitsText);
  if (bits > parsed.bytes.length * 8) throw fail('prefix length out of range');
  if (isIPv4Mapped(parsed.bytes)) throw fail('IPv4-mapped IPv6 addresses are not allowed');
  return new CIDR(new IPAddress(parsed.bytes), bits);
}

export function isCIDR(text: string): boolean {
  try {
    parseCIDR(text);
    return true;
  } catch (error) {
    if (error instanceof IPParseError) return false;
    throw error;
  }
}

export function registerCIDRFunctions(env: Environment): void {
  const C = CIDR.celTypeName;
  const IP = IPAddress.celTypeName;
  env.registerType(C, { ctor: CIDR, fields: {} });
  env.registerFunction(`cidr(string): ${C}`, parseCIDR);
  env.registerFunction('isCIDR(string): bool', isCIDR);
  env.registerFunction(`string(${C}): string`, (c: CIDR) => c.toString());
  env.registerFunction(`${C}.containsIP(${IP}): bool`, (c: CIDR, ip: IPAddress) => c.containsIP(ip));
  env.registerFunction(`${C}.containsIP(string): bool`, (c: CIDR, ip: string) => c.containsIP(parseIPAddress(ip)));
  env.registerFunction(`${C}.containsCIDR(${C}): bool`, (c: CIDR, other: CIDR) => c.containsCIDR(other));
  env.registerFunction(`${C}.containsCIDR(string): bool`, (c: CIDR, other: string) => c.containsCIDR(parseCIDR(other)));
  env.registerFunction(`${C}.ip(): ${IP}`, (c: CIDR) => c.address);
  env.registerFunction(`${C}.masked(): ${C}`, (c: CIDR) => c.masked());
  env.registerFunction(`${C}.prefixLength(): int`, (c: CIDR) => BigInt(c.prefixLength));
  env.registerOperator(`${C} == ${C}`, (a: CIDR, b: CIDR) => a.equals(b));
}
