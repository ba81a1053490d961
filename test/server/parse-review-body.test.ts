import t, { type Test } from 'tap';
import { parseReviewBody } from '../../src/server/parse-review-body.js';
import { reviewText } from '../admission/support.js';

/** What parseReviewBody must give: JSON.parse, less the two managedFields rules never see. */
function expected(text: string): unknown {
  const review = JSON.parse(text) as { request?: { object?: { metadata?: Record<string, unknown> }; oldObject?: { metadata?: Record<string, unknown> } } };
  delete review.request?.object?.metadata?.['managedFields'];
  delete review.request?.oldObject?.metadata?.['managedFields'];
  return review;
}

/** The body as the API server sends it: compact JSON. */
const compact = (name: string): string => JSON.stringify(JSON.parse(reviewText(name)));

/** How parseReviewBody differs from `expected` on `text`, or undefined when it does not. */
function difference(text: string): string | undefined {
  let want: string;
  try {
    want = JSON.stringify(expected(text));
  } catch {
    try {
      parseReviewBody(text);
      return 'accepted invalid JSON';
    } catch (error) {
      return error instanceof SyntaxError ? undefined : `threw ${String(error)}`;
    }
  }
  const got = JSON.stringify(parseReviewBody(text));
  return got === want ? undefined : `gave ${got}, expected ${want}`;
}

function sameAsJsonParse(t: Test, text: string, what: string): void {
  t.equal(difference(text), undefined, what);
}

t.test('the managedFields of object and oldObject are left out; everything else is as JSON.parse gives it', async (t) => {
  const text = compact('pod-becomes-privileged-managed-fields-update.json');
  t.match(text, /"managedFields":\[/, 'the fixture has them, compact, in both objects');
  const review = parseReviewBody(text) as { request: { object: { metadata: object }; oldObject: { metadata: object } } };
  t.notOk('managedFields' in review.request.object.metadata);
  t.notOk('managedFields' in review.request.oldObject.metadata);
  t.same(review, expected(text), 'field managers named with brackets, quotes and backslashes are stepped over exactly');
  t.same(parseReviewBody(reviewText('pod-becomes-privileged-managed-fields-update.json')), expected(text), 'pretty-printed: the same result, by plain JSON.parse');
  t.same(parseReviewBody(compact('pod-privileged-create.json')), expected(compact('pod-privileged-create.json')), 'no managedFields at all');
});

t.test('a key named managedFields anywhere else is data and stays', async (t) => {
  const cases: Record<string, unknown> = {
    'a ConfigMap data key': { request: { object: { metadata: { name: 'c', managedFields: [{ manager: 'm' }] }, data: { managedFields: 'secret' } } } },
    'a custom resource field holding an array': { request: { object: { metadata: { managedFields: [] }, spec: { managedFields: [{ a: 'b' }] } } } },
    'a key ending in an escaped quote': { request: { object: { metadata: { 'x"managedFields': ['kept'], managedFields: [{}] } } } },
    'the request itself': { request: { managedFields: ['kept'], object: { metadata: { managedFields: [{}] } } } },
    'not an array': { request: { object: { metadata: { managedFields: 'text' } } } },
    // The placeholder put where managedFields belongs, to pass off another value as stepped over.
    'the placeholder, spelled by the client': { request: { object: { metadata: { managedFields: '\u0000managedFields' }, spec: { managedFields: ['kept'] } } } },
    'the placeholder in oldObject': { request: { oldObject: { metadata: { managedFields: '\u0000managedFields' } }, x: { managedFields: ['kept'] } } },
  };
  for (const [what, review] of Object.entries(cases)) sameAsJsonParse(t, JSON.stringify(review), what);
  const spec = parseReviewBody(JSON.stringify(cases['a custom resource field holding an array'])) as { request: { object: { spec: { managedFields: unknown } } } };
  t.same(spec.request.object.spec.managedFields, [{ a: 'b' }]);
});

t.test('a malformed body is refused as JSON.parse refuses it, wherever the fault is', async (t) => {
  const head = '{"request":{"object":{"metadata":{"managedFields":';
  const faults = ['[{]}', '[{"a":{}]}', '[["a"}]', '[{"a"}]', '[{"a":{}]', '[{"a":{},}]', '["a" "b"]', '["\\x"]', '["\\u12"]', '["a\u0001b"]', '[{"a":{}}', '[', '["a'];
  for (const fault of faults) {
    const text = `${head}${fault}}}}}`;
    t.throws(() => JSON.parse(text), SyntaxError, `${JSON.stringify(fault)} is not JSON`);
    t.throws(() => parseReviewBody(text), SyntaxError, `${JSON.stringify(fault)} is refused`);
  }
  // Valid JSON the fast path does not expect (numbers, literals, white space) takes the sure path.
  for (const value of ['[1,true,null]', '[ {} ]', '[{"a": "b"}]', '["\\\\u"]']) sameAsJsonParse(t, `${head}${value}}}}}`, value);
});

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

t.test('random bodies and random damage: always JSON.parse less managedFields, or the same refusal', async (t) => {
  // A small seeded generator, so a failure can be replayed.
  let seed = 20261124;
  const random = (n: number): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % n;
  };
  const alphabet = ['a', 'f:', 'k:', '"', '\\', '[', ']', '{', '}', ',', ':', '\u0001', '\u2028', 'é', '\\u0041', ' '];
  const text = (): string => Array.from({ length: random(6) }, () => alphabet[random(alphabet.length)]).join('');
  const value = (depth: number): unknown => {
    const pick = random(depth > 3 ? 2 : 5);
    if (pick === 0) return text();
    if (pick === 1) return {};
    if (pick === 2) return Object.fromEntries(Array.from({ length: random(4) }, () => [text(), value(depth + 1)]));
    if (pick === 3) return Array.from({ length: random(3) }, () => value(depth + 1));
    return random(2) === 0 ? random(100) : true;
  };
  const body = (): string => JSON.stringify({
    request: {
      object: { metadata: { name: text(), managedFields: [value(0), value(0)] }, spec: { [random(2) ? 'managedFields' : 'x']: [value(0)] } },
      ...(random(2) ? { oldObject: { metadata: { managedFields: [value(0)] } } } : {}),
    },
  });
  const failures: string[] = [];
  let invalid = 0;
  for (let i = 0; i < 3000; i++) {
    const whole = body();
    const at = random(whole.length);
    const damaged = random(2) ? whole.slice(0, at) + whole.slice(at + 1) : whole.slice(0, at) + alphabet[random(alphabet.length)] + whole.slice(at);
    for (const candidate of [whole, damaged]) {
      const found = difference(candidate);
      if (found) failures.push(`${candidate}: ${found}`);
    }
    if (!isJson(damaged)) invalid++;
  }
  t.same(failures.slice(0, 5), [], `6,000 bodies (${invalid} of them damaged into invalid JSON)`);
});
