/**
 * The cel-go `ext.Strings` functions cel-js lacks (Kubernetes enables that library). cel-js already
 * has indexOf, lastIndexOf, substring, split, join, trim, lowerAscii and upperAscii.
 *
 *   <string>.charAt(<int>) <string>              the code point at an index; '' at the end
 *   <string>.replace(<old>, <new>) <string>      every occurrence
 *   <string>.replace(<old>, <new>, <int>) <string>  at most n occurrences (n < 0: all)
 *   <string>.reverse() <string>                  code points in reverse order
 *   <string>.format(<list>) <string>             printf-style, see format.ts
 *   strings.quote(<string>) <string>             a double-quoted CEL string literal
 *
 * Indexes count Unicode code points, as in cel-go. Everything here is linear in its input.
 */
import type { Environment } from '@marcbachmann/cel-js';
import { formatString } from './format.js';

const SURROGATE = /[\uD800-\uDFFF]/;

/** Code points of a string; strings without surrogates are indexed directly (no copy). */
function codePoints(text: string): readonly string[] | string {
  return SURROGATE.test(text) ? Array.from(text) : text;
}

export function charAt(text: string, index: bigint): string {
  const points = codePoints(text);
  if (index < 0n || index > BigInt(points.length)) {
    throw new Error(`charAt: index out of range: ${index}`);
  }
  return points[Number(index)] ?? '';
}

/** Go's strings.Replace: an empty `old` matches before every code point and at the end. */
export function replace(text: string, old: string, replacement: string, limit = -1n): string {
  if (limit === 0n || old === replacement) return text;
  let remaining = limit < 0n ? Infinity : Number(limit);
  let out = '';
  let start = 0;
  if (old === '') {
    for (const point of text) {
      if (remaining === 0) break;
      out += replacement + point;
      start += point.length;
      remaining--;
    }
    if (remaining > 0 && start === text.length) return out + replacement;
    return out + text.slice(start);
  }
  while (remaining > 0) {
    const at = text.indexOf(old, start);
    if (at < 0) break;
    out += text.slice(start, at) + replacement;
    start = at + old.length;
    remaining--;
  }
  return out + text.slice(start);
}

export function reverse(text: string): string {
  return Array.from(text).reverse().join('');
}

const QUOTE_ESCAPES: Readonly<Record<string, string>> = {
  '\x07': '\\a',
  '\b': '\\b',
  '\f': '\\f',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\v': '\\v',
  '\\': '\\\\',
  '"': '\\"',
};

/** cel-go's strings.quote: escapes, double quotes; a lone surrogate becomes U+FFFD (invalid UTF-8). */
export function quote(text: string): string {
  let out = '"';
  for (const point of text) {
    const code = point.codePointAt(0) ?? 0;
    if (code >= 0xd800 && code <= 0xdfff) out += '\uFFFD';
    else out += QUOTE_ESCAPES[point] ?? point;
  }
  return `${out}"`;
}

/** A value only `strings.quote(…)` is called on: CEL namespaces are receivers in cel-js. */
class StringsNamespace {}

export function registerStringFunctions(env: Environment): void {
  env.registerFunction('string.charAt(int): string', charAt);
  env.registerFunction('string.replace(string, string): string', (text: string, old: string, repl: string) =>
    replace(text, old, repl),
  );
  env.registerFunction('string.replace(string, string, int): string', replace);
  env.registerFunction('string.reverse(): string', reverse);
  env.registerFunction('string.format(list): string', (template: string, args: unknown[]) =>
    formatString(template, args),
  );
  env.registerType('StringsNamespace', { ctor: StringsNamespace, fields: {} });
  env.registerConstant('strings', 'StringsNamespace', new StringsNamespace());
  env.registerFunction('StringsNamespace.quote(string): string', (_ns: StringsNamespace, text: string) =>
    quote(text),
  );
}
