/**
 * IP addresses as Go's net/netip parses and prints them, with Kubernetes' restrictions on top:
 * no zones (fe80::1%eth0), no IPv4-mapped IPv6 (::ffff:1.2.3.4), no leading zeros in IPv4 octets.
 * String() is the canonical form (RFC 5952 for IPv6: lower case, longest zero run as ::).
 */

export class IPAddress {
  static readonly celTypeName = 'net.IP';
  readonly #bytes: Uint8Array;

  constructor(bytes: Uint8Array) {
    this.#bytes = bytes;
  }

  get family(): 4 | 6 {
    return this.#bytes.length === 4 ? 4 : 6;
  }

  /** A copy: addresses are values. */
  get bytes(): Uint8Array {
    return this.#bytes.slice();
  }

  equals(other: unknown): boolean {
    if (!(other instanceof IPAddress) || other.family !== this.family) return false;
    const b = other.#bytes;
    return this.#bytes.every((byte, i) => byte === b[i]);
  }

  isUnspecified(): boolean {
    return this.#bytes.every((b) => b === 0);
  }

  isLoopback(): boolean {
    if (this.family === 4) return this.#bytes[0] === 127;
    return this.#bytes.every((b, i) => b === (i === 15 ? 1 : 0));
  }

  isMulticast(): boolean {
    const first = this.#bytes[0] ?? 0;
    return this.family === 4 ? (first & 0xf0) === 0xe0 : first === 0xff;
  }

  /** 224.0.0.0/24, or IPv6 ff02::/16 with any flags nibble (ffX2::), as Go decides. */
  isLinkLocalMulticast(): boolean {
    const [a = 0, b = 0, c = 0] = this.#bytes;
    if (this.family === 4) return a === 224 && b === 0 && c === 0;
    return a === 0xff && (b & 0x0f) === 0x02;
  }

  /** 169.254.0.0/16 or fe80::/10. */
  isLinkLocalUnicast(): boolean {
    const [a = 0, b = 0] = this.#bytes;
    if (this.family === 4) return a === 169 && b === 254;
    return a === 0xfe && (b & 0xc0) === 0x80;
  }

  /** Go's rule: not unspecified, broadcast, loopback, multicast or link-local (private ranges count). */
  isGlobalUnicast(): boolean {
    if (this.family === 4 && this.#bytes.every((b) => b === 255)) return false;
    return !this.isUnspecified() && !this.isLoopback() && !this.isMulticast() && !this.isLinkLocalUnicast();
  }

  toString(): string {
    if (this.family === 4) return this.#bytes.join('.');
    const groups: number[] = [];
    for (let i = 0; i < 16; i += 2) groups.push(((this.#bytes[i] ?? 0) << 8) | (this.#bytes[i + 1] ?? 0));
    // The first longest run of two or more zero groups becomes "::".
    let bestStart = -1;
    let bestLength = 1;
    for (let i = 0; i < 8; ) {
      let j = i;
      while (j < 8 && groups[j] === 0) j++;
      if (j - i > bestLength) {
        bestStart = i;
        bestLength = j - i;
      }
      i = j === i ? i + 1 : j;
    }
    const hex = (g: number[]): string => g.map((n) => n.toString(16)).join(':');
    if (bestStart < 0) return hex(groups);
    return `${hex(groups.slice(0, bestStart))}::${hex(groups.slice(bestStart + bestLength))}`;
  }
}

export class IPParseError extends Error {}

interface ParsedAddress {
  bytes: Uint8Array;
  zone: string;
}

/** netip.ParseAddr, zone included: the caller decides what a zone means. */
export function parseAddress(text: string): ParsedAddress {
  for (const c of text) {
    if (c === '.') return { bytes: parseIPv4(text), zone: '' };
    if (c === ':') return parseIPv6(text);
    if (c === '%') throw new IPParseError('missing IPv6 address');
  }
  throw new IPParseError('unable to parse IP');
}

function parseIPv4(text: string): Uint8Array {
  const out = new Uint8Array(4);
  parseIPv4Into(text, out, 0);
  return out;
}

function parseIPv4Into(s: string, out: Uint8Array, at: number): void {
  let value = 0;
  let digits = 0;
  let field = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i] ?? '';
    if (c >= '0' && c <= '9') {
      if (digits === 1 && value === 0) throw new IPParseError('IPv4 field has octet with leading zero');
      value = value * 10 + Number(c);
      digits++;
      if (value > 255) throw new IPParseError('IPv4 field has value >255');
    } else if (c === '.') {
      if (i === 0 || i === s.length - 1 || s[i - 1] === '.') {
        throw new IPParseError('IPv4 field must have at least one digit');
      }
      if (field === 3) throw new IPParseError('IPv4 address too long');
      out[at + field++] = value;
      value = 0;
      digits = 0;
    } else {
      throw new IPParseError(`unexpected character ${JSON.stringify(c)}`);
    }
  }
  if (field < 3) throw new IPParseError('IPv4 address too short');
  out[at + 3] = value;
}

function parseIPv6(input: string): ParsedAddress {
  let s = input;
  let zone = '';
  const percent = s.indexOf('%');
  if (percent >= 0) {
    zone = s.slice(percent + 1);
    s = s.slice(0, percent);
    if (zone === '') throw new IPParseError('zone must be a non-empty string');
  }
  const ip = new Uint8Array(16);
  let ellipsis = -1;
  if (s.startsWith('::')) {
    ellipsis = 0;
    s = s.slice(2);
    if (s === '') return { bytes: ip, zone };
  }
  let i = 0;
  while (i < 16) {
    let off = 0;
    let acc = 0;
    for (; off < s.length; off++) {
      const d = parseInt(s[off] ?? '', 16);
      if (Number.isNaN(d)) break;
      if (off > 3) throw new IPParseError('each group must have 4 or less digits');
      acc = acc * 16 + d;
    }
    if (off === 0) throw new IPParseError('each colon-separated field must have at least one digit');
    if (s[off] === '.') {
      if (ellipsis < 0 && i !== 12) {
        throw new IPParseError('embedded IPv4 address must replace the final 2 fields of the address');
      }
      if (i + 4 > 16) throw new IPParseError('too many hex fields to fit an embedded IPv4 at the end of the address');
      parseIPv4Into(s, ip, i);
      s = '';
      i += 4;
      break;
    }
    ip[i] = acc >> 8;
    ip[i + 1] = acc & 0xff;
    i += 2;
    s = s.slice(off);
    if (s === '') break;
    if (s[0] !== ':') throw new IPParseError('unexpected character, want colon');
    if (s.length === 1) throw new IPParseError('colon must be followed by more characters');
    s = s.slice(1);
    if (s[0] === ':') {
      if (ellipsis >= 0) throw new IPParseError('multiple :: in address');
      ellipsis = i;
      s = s.slice(1);
      if (s === '') break;
    }
  }
  if (s !== '') throw new IPParseError('trailing garbage after address');
  if (i < 16) {
    if (ellipsis < 0) throw new IPParseError('address string too short');
    const n = 16 - i;
    for (let j = i - 1; j >= ellipsis; j--) ip[j + n] = ip[j] ?? 0;
    ip.fill(0, ellipsis, ellipsis + n);
  } else if (ellipsis >= 0) {
    throw new IPParseError('the :: must expand to at least one field of zeros');
  }
  return { bytes: ip, zone };
}

/** ::ffff:0:0/96 */
export function isIPv4Mapped(bytes: Uint8Array): boolean {
  return bytes.length === 16 && bytes[10] === 0xff && bytes[11] === 0xff && bytes.slice(0, 10).every((b) => b === 0);
}

/** Kubernetes' parseIPAddr: a plain IPv4 or IPv6 address. */
export function parseIPAddress(text: string): IPAddress {
  let parsed: ParsedAddress;
  try {
    parsed = parseAddress(text);
  } catch (error) {
    if (error instanceof IPParseError) {
      throw new IPParseError(`ip: invalid IP address ${JSON.stringify(text)}: ${error.message}`);
    }
    throw error;
  }
  if (parsed.zone !== '') {
    throw new IPParseError(`ip: IP address ${JSON.stringify(text)} with zone value is not allowed`);
  }
  if (isIPv4Mapped(parsed.bytes)) {
    throw new IPParseError(`ip: IPv4-mapped IPv6 address ${JSON.stringify(text)} is not allowed`);
  }
  return new IPAddress(parsed.bytes);
}
