import t from 'tap';
import { oneLine } from '../../src/admission/warnings.js';

t.test('oneLine cuts at the limit without splitting an escape or a surrogate pair', async (t) => {
  const whole = /^(?:[^\\\ud800-\udfff]|\\u\{[0-9a-f]+\}|[\ud800-\udbff][\udc00-\udfff])*…$/;
  for (let prefix = 0; prefix < 24; prefix++) {
    const text = `${'x'.repeat(prefix)}\u001b[31m\u202e😀😀 and more after the limit`;
    const line = oneLine(text, 20);
    t.ok(line.length <= 20, `${prefix}: within the limit (${line.length})`);
    t.match(line, whole, `${prefix}: ${JSON.stringify(line)} holds whole escapes and characters only`);
  }
  t.equal(oneLine('a\tb\nc', 20), 'a b c', 'white space becomes one space');
  t.equal(oneLine('short \u0007', 20), 'short \\u{7}');
});
