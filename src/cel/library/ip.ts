/**
 * The Kubernetes IP library (k8s.io/apiserver/pkg/cel/library/ip.go):
 *
 *   ip(<string>) <IP>          isIP(<string>) <bool>          ip.isCanonical(<string>) <bool>
 *   string(<IP>) <string>      <IP>.family() <int>  (4 or 6)
 *   <IP>.isUnspecified() / isLoopback() / isLinkLocalMulticast() / isLinkLocalUnicast() /
 *   isGlobalUnicast() <bool>
 *   <IP> == <IP>               by address: ip('::1') == ip('0:0::1')
 */
import type { Environment } from '@marcbachmann/cel-js';
import { IPAddress, IPParseError, parseIPAddress } from './ip-address.js';

export function isIP(text: string): boolean {
  try {
    parseIPAddress(text);
    return true;
  } catch (error) {
    if (error instanceof IPParseError) return false;
    throw error;
  }
}

/** True when the string is the one canonical spelling of its address (invalid input is an error). */
export function isCanonicalIP(text: string): boolean {
  return parseIPAddress(text).toString() === text;
}

/** `ip.isCanonical(…)`: `ip` is both a function and a namespace, as in Kubernetes. */
class IpNamespace {}

export function registerIPFunctions(env: Environment): void {
  const IP = IPAddress.celTypeName;
  // No fields: the getters of the class must not become CEL fields.
  env.registerType(IP, { ctor: IPAddress, fields: {} });
  env.registerFunction(`ip(string): ${IP}`, parseIPAddress);
  env.registerFunction('isIP(string): bool', isIP);
  env.registerType('IpNamespace', { ctor: IpNamespace, fields: {} });
  env.registerConstant('ip', 'IpNamespace', new IpNamespace());
  env.registerFunction('IpNamespace.isCanonical(string): bool', (_ns: IpNamespace, text: string) =>
    isCanonicalIP(text),
  );
  env.registerFunction(`string(${IP}): string`, (ip: IPAddress) => ip.toString());
  env.registerFunction(`${IP}.family(): int`, (ip: IPAddress) => BigInt(ip.family));
  env.registerFunction(`${IP}.isUnspecified(): bool`, (ip: IPAddress) => ip.isUnspecified());
  env.registerFunction(`${IP}.isLoopback(): bool`, (ip: IPAddress) => ip.isLoopback());
  env.registerFunction(`${IP}.isLinkLocalMulticast(): bool`, (ip: IPAddress) => ip.isLinkLocalMulticast());
  env.registerFunction(`${IP}.isLinkLocalUnicast(): bool`, (ip: IPAddress) => ip.isLinkLocalUnicast());
  env.registerFunction(`${IP}.isGlobalUnicast(): bool`, (ip: IPAddress) => ip.isGlobalUnicast());
  env.registerOperator(`${IP} == ${IP}`, (a: IPAddress, b: IPAddress) => a.equals(b));
}
