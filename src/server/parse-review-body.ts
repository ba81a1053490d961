/**
 * parseReviewBody(text): JSON.parse of an AdmissionReview body, without `metadata.managedFields`
 * of `request.object` and `request.oldObject`.
 *
 * Rules never see managedFields (src/engine/prepare.ts). It is also the costliest part of a
 * request to parse: the API server's review of a typical Pod is about half managedFields, whose
 * many distinct keys (`f:containers`, `k:{"name":"app"}`, …) JSON.parse turns into as many
 * objects and hidden classes, about 30 µs of the 65 µs the whole 9.5 KB body takes. So the field's
 * value is stepped over in the text, checked but not built, and the rest is parsed.
 *
 * Only an exact compact match (`"managedFields":[`, as the API server writes) is stepped over,
 * and the result is used only when every value stepped over turns out to sit exactly at one of the
 * two places: a key of that name anywhere else (a ConfigMap's data, a custom resource's spec) or
 * any surprise sends the body through plain JSON.parse, which also gives the error of a malformed
 * body.
 */
import { isRecord } from '../json/is-record.js';

const KEY = '"managedFields":[';
/** What a stepped-over value is replaced with; the API server always sends an array there. */
const PLACEHOLDER = '\u0000managedFields';
const PLACEHOLDER_JSON = JSON.stringify(PLACEHOLDER);

export function parseReviewBody(text: string): unknown {
  let at = text.indexOf(KEY);
  // A client's own string equals the placeholder only if the body spells U+0000, which JSON can
  // write one way only; such a body takes the plain path, so every placeholder found is ours.
  if (at < 0 || text.includes('\\u0000')) return withoutManagedFields(JSON.parse(text));
  let spliced = '';
  let from = 0;
  let steppedOver = 0;
  while (at >= 0) {
    const open = at + KEY.length - 1;
    const end = endOfManagedFields(text, open);
    if (end < 0) return withoutManagedFields(JSON.parse(text));
    spliced += text.slice(from, open) + PLACEHOLDER_JSON;
    from = end;
    steppedOver++;
    at = text.indexOf(KEY, end);
  }
  spliced += text.slice(from);
  let review: unknown;
  try {
    review = JSON.parse(spliced);
  } catch {
    return withoutManagedFields(JSON.parse(text));
  }
  return removePlaceholders(review) === steppedOver ? review : withoutManagedFields(JSON.parse(text));
}

/** The review with the two managedFields deleted, from a full parse (the slow, sure path). */
function withoutManagedFields(review: unknown): unknown {
  for (const metadata of metadataOf(review)) {
    if (metadata && 'managedFields' in metadata) delete metadata['managedFields'];
  }
  return review;
}

/** How many placeholders were found (and deleted) where managedFields belongs. */
function removePlaceholders(review: unknown): number {
  let found = 0;
  for (const metadata of metadataOf(review)) {
    if (metadata?.['managedFields'] === PLACEHOLDER) {
      delete metadata['managedFields'];
      found++;
    }
  }
  return found;
}

function metadataOf(review: unknown): (Record<string, unknown> | undefined)[] {
  const request = field(review, 'request');
  return [field(field(request, 'object'), 'metadata'), field(field(request, 'oldObject'), 'metadata')];
}

/** value[key], when both are maps. */
function field(value: unknown, key: string): Record<string, unknown> | undefined {
  const child = isRecord(value) ? value[key] : undefined;
  return isRecord(child) ? child : undefined;
}

// Character codes.
const QUOTE = 34;
const BACKSLASH = 92;
const OPEN_ARRAY = 91;
const CLOSE_ARRAY = 93;
const OPEN_MAP = 123;
const CLOSE_MAP = 125;
const COLON = 58;
const COMMA = 44;

/**
 * A control character or an escape JSON does not have, inside a string. Tested once over the whole
 * value stepped over: its grammar check lets nothing but strings and `{}[]:,` through, so only
 * string contents can match. (An escaped backslash before a `u` may match too: that only sends the
 * body through JSON.parse.)
 */
const BAD_STRING_CONTENT = /[\u0000-\u001f]|\\(?:[^"\\/bfnrtu]|u(?![0-9A-Fa-f]{4}))/;

// What the grammar allows next.
const VALUE = 0;
const KEY_ = 1;
const COLON_ = 2;
const COMMA_OR_CLOSE = 3;
/** Deeper than managedFields ever nests (about 12 for a Pod); deeper goes through JSON.parse. */
const MAX_DEPTH = 30;

/**
 * The index just past the array that opens at `open`, or -1 unless it is valid compact JSON made of
 * what managedFields holds (strings, maps and arrays). Strings are jumped over with indexOf, so the
 * cost is in the structural characters between them, which are checked as a grammar (what may
 * follow what). Bit d of `maps` says whether nesting level d is a map.
 */
function endOfManagedFields(text: string, open: number): number {
  let depth = 0;
  let maps = 0;
  let expect = VALUE;
  let i = open;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      if (expect !== VALUE && expect !== KEY_) return -1;
      const close = closingQuote(text, i + 1);
      if (close < 0) return -1;
      expect = expect === KEY_ ? COLON_ : COMMA_OR_CLOSE;
      i = close + 1;
    } else if (c === OPEN_MAP || c === OPEN_ARRAY) {
      if (expect !== VALUE) return -1;
      if (text.charCodeAt(i + 1) === (c === OPEN_MAP ? CLOSE_MAP : CLOSE_ARRAY)) {
        // Empty: `{}` is most of what managedFields holds.
        if (depth === 0) return validStrings(text, open, i + 2);
        expect = COMMA_OR_CLOSE;
        i += 2;
      } else {
        if (++depth > MAX_DEPTH) return -1;
        if (c === OPEN_MAP) {
          maps |= 1 << depth;
          expect = KEY_;
        } else {
          maps &= ~(1 << depth);
          expect = VALUE;
        }
        i++;
      }
    } else if (c === CLOSE_MAP || c === CLOSE_ARRAY) {
      if (expect !== COMMA_OR_CLOSE || ((maps >> depth) & 1) !== (c === CLOSE_MAP ? 1 : 0)) return -1;
      if (--depth === 0) return validStrings(text, open, i + 1);
      i++;
    } else if (c === COLON && expect === COLON_) {
      expect = VALUE;
      i++;
    } else if (c === COMMA && expect === COMMA_OR_CLOSE) {
      expect = (maps >> depth) & 1 ? KEY_ : VALUE;
      i++;
    } else {
      return -1;
    }
  }
  return -1;
}

function validStrings(text: string, start: number, end: number): number {
  return BAD_STRING_CONTENT.test(text.slice(start, end)) ? -1 : end;
}

/** The index of the quote that ends the string whose content starts at `from`, or -1. */
function closingQuote(text: string, from: number): number {
  let quote = text.indexOf('"', from);
  while (quote >= 0) {
    let backslashes = 0;
    while (text.charCodeAt(quote - 1 - backslashes) === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return quote;
    quote = text.indexOf('"', quote + 1);
  }
  return -1;
}
