/**
 * escapeUnsafe(text): control characters and bidirectional-text controls, shown as `\u{1b}`.
 *
 * Messages quote values from the objects under review (an image reference, a name in a custom
 * resource), which are untrusted. Shown raw, an escape sequence could drive the terminal of the
 * user reading kubectl's or `palisade scan`'s output, and a bidi control could reorder what they
 * read. The API server also drops a warning that contains a control character, so an unescaped
 * one would silently lose the warning.
 */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

export function escapeUnsafe(text: string): string {
  return text.replace(UNSAFE, (ch) => `\\u{${(ch.codePointAt(0) as number).toString(16)}}`);
}
