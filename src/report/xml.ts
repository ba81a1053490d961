/** XML escaping for the junit format. Report text comes from manifests, so nothing is trusted. */

/**
 * Characters XML 1.0 forbids even as character references (most C0 controls, lone surrogates,
 * U+FFFE/U+FFFF). A single one makes the whole document unparseable, so they become U+FFFD.
 */
const NOT_XML_CHAR = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

const ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
};

/** Element text. */
export function xmlText(text: string): string {
  return text.replace(NOT_XML_CHAR, '\uFFFD').replace(/[&<>]/g, (ch) => ENTITIES[ch] ?? ch);
}

/**
 * Attribute values. Whitespace is written as references because parsers normalise literal
 * newlines and tabs in attributes to spaces.
 */
export function xmlAttr(text: string): string {
  return text
    .replace(NOT_XML_CHAR, '\uFFFD')
    .replace(/[&<>"']/g, (ch) => ENTITIES[ch] ?? ch)
    .replace(/\t/g, '&#9;')
    .replace(/\n/g, '&#10;')
    .replace(/\r/g, '&#13;');
}

/** `name="value"` pairs; undefined values are left out. */
export function attrs(values: Record<string, string | number | undefined>): string {
  return Object.entries(values)
    .filter((entry): entry is [string, string | number] => entry[1] !== undefined)
    .map(([key, value]) => ` ${key}="${xmlAttr(String(value))}"`)
    .join('');
}
