/**
 * Go's net/url percent-encoding rules (shouldEscape, unescape, escape, validEncoded), which decide
 * what is valid in each part of a URL and how paths are re-encoded. Ported from Go so that url()
 * agrees with Kubernetes on every input. Each routine is one pass over its input.
 */

export class URLParseError extends Error {}

export type Mode = 'path' | 'host' | 'zone' | 'userPassword' | 'queryComponent' | 'fragment';

function isAlnum(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39);
}

function shouldEscape(c: number, mode: Mode): boolean {
  if (isAlnum(c)) return false;
  const ch = String.fromCharCode(c);
  if ((mode === 'host' || mode === 'zone') && `!$&'()*+,;=:[]<>"`.includes(ch)) return false;
  if ('-_.~'.includes(ch)) return false;
  if ('$&+,/:;=?@'.includes(ch)) {
    switch (mode) {
      case 'path':
        return ch === '?';
      case 'userPassword':
        return ch === '@' || ch === '/' || ch === '?' || ch === ':';
      case 'queryComponent':
        return true;
      case 'fragment':
        return false;
    }
  }
  if (mode === 'fragment' && '!()*'.includes(ch)) return false;
  return true;
}

function isHex(c: string | undefined): boolean {
  return c !== undefined && /^[0-9a-fA-F]$/.test(c);
}

/** Go's unescape: validates escapes (and host characters), then decodes %XX as UTF-8 bytes. */
export function unescape(s: string, mode: Mode): string {
  for (let i = 0; i < s.length; ) {
    const c = s.charCodeAt(i);
    if (c === 0x25) {
      if (!isHex(s[i + 1]) || !isHex(s[i + 2])) {
        throw new URLParseError(`invalid URL escape ${JSON.stringify(s.slice(i, i + 3))}`);
      }
      const byte = parseInt(s.slice(i + 1, i + 3), 16);
      if (mode === 'host' && byte < 0x80 && s.slice(i, i + 3) !== '%25') {
        throw new URLParseError(`invalid URL escape ${JSON.stringify(s.slice(i, i + 3))}`);
      }
      if (mode === 'zone' && s.slice(i, i + 3) !== '%25' && byte !== 0x20 && shouldEscape(byte, 'host')) {
        throw new URLParseError(`invalid URL escape ${JSON.stringify(s.slice(i, i + 3))}`);
      }
      i += 3;
    } else {
      if ((mode === 'host' || mode === 'zone') && c < 0x80 && shouldEscape(c, mode)) {
        throw new URLParseError(`invalid character ${JSON.stringify(s[i])} in host name`);
      }
      i++;
    }
  }
  if (!s.includes('%') && !(mode === 'queryComponent' && s.includes('+'))) return s;
  const bytes: number[] = [];
  for (let i = 0; i < s.length; ) {
    if (s[i] === '%') {
      bytes.push(parseInt(s.slice(i + 1, i + 3), 16));
      i += 3;
    } else if (s[i] === '+' && mode === 'queryComponent') {
      bytes.push(0x20);
      i++;
    } else {
      const point = s.codePointAt(i) ?? 0;
      const char = String.fromCodePoint(point);
      bytes.push(...Buffer.from(char, 'utf8'));
      i += char.length;
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

export function escape(s: string, mode: Mode): string {
  let out = '';
  for (const byte of Buffer.from(s, 'utf8')) {
    if (byte === 0x20 && mode === 'queryComponent') out += '+';
    else if (shouldEscape(byte, mode)) out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
    else out += String.fromCharCode(byte);
  }
  return out;
}

export function validEncoded(s: string, mode: Mode): boolean {
  for (let i = 0; i < s.length; i++) {
    const ch = s[i] ?? '';
    if (`!$&'()*+,;=:@[]%`.includes(ch)) continue;
    if (shouldEscape(s.charCodeAt(i), mode)) return false;
  }
  return true;
}
