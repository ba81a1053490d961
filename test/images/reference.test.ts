/**
 * Image references normalised as the kubelet reads them (Docker Hub defaults, `library/`, `latest`),
 * and bad ones refused with a message naming what is wrong: cases in test/fixtures/images/references.yaml.
 */
import { readFileSync } from 'node:fs';
import t from 'tap';
import { parse } from 'yaml';
import { formatReference, ImageReferenceError, parseReference } from '../../src/images/reference.js';

const cases = parse(readFileSync(new URL('../fixtures/images/references.yaml', import.meta.url), 'utf8')) as {
  valid: { in: string; out: Record<string, string> }[];
  invalid: { in: string; error: string }[];
};

t.test('valid references', async (t) => {
  for (const c of cases.valid) {
    const ref = parseReference(c.in);
    t.same(ref, c.out, c.in);
    t.same(parseReference(formatReference(ref)), ref, `${c.in}: written out and read again, the same`);
  }
});

t.test('invalid references name the problem', async (t) => {
  for (const c of cases.invalid) {
    t.throws(() => parseReference(c.in), { constructor: ImageReferenceError, message: new RegExp(c.error) }, JSON.stringify(c.in));
  }
});

t.test('a long hostile reference is refused with a short message', async (t) => {
  for (const text of [`${'a-'.repeat(2000)}!`, `${'a_'.repeat(2000)}b:${'x'.repeat(200)}`, 'a'.repeat(5000)]) {
    try {
      parseReference(text);
      t.fail('accepted');
    } catch (error) {
      t.ok(error instanceof ImageReferenceError);
      t.ok((error as Error).message.length < 400, `${(error as Error).message.length} characters`);
    }
  }
});
