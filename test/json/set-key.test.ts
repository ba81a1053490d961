import t from 'tap';
import { setKey } from '../../src/json/set-key.js';
import { labelsOf } from '../../src/engine/selectors.js';
import { DEFAULT_POD_TEMPLATES, podSpecView } from '../../src/engine/pod-spec.js';
import type { KubeObject } from '../../src/engine/types.js';

t.test('setKey keeps __proto__ a key and leaves the prototype alone', async (t) => {
  const out: Record<string, unknown> = {};
  setKey(out, '__proto__', { polluted: true });
  setKey(out, 'a', 1);
  t.same(Object.keys(out), ['__proto__', 'a']);
  t.equal(Object.getPrototypeOf(out), Object.prototype);
  t.equal(out['polluted'], undefined);
  t.equal(JSON.stringify(out), '{"__proto__":{"polluted":true},"a":1}');
});

t.test('copies of data keep a __proto__ key: labels, the podSpec view', async (t) => {
  const object = JSON.parse('{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","labels":{"__proto__":"x","app":"y"}},"spec":{"__proto__":{"hostPID":true},"containers":[]}}') as KubeObject;
  t.same(Object.entries(labelsOf(object)), [['__proto__', 'x'], ['app', 'y']]);
  const pod = DEFAULT_POD_TEMPLATES.find((l) => l.kind === 'Pod');
  const view = podSpecView(object, pod)?.view as Record<string, unknown>;
  t.ok(Object.hasOwn(view, '__proto__'), 'the key is in the view');
  t.equal(view['hostPID'], undefined, 'and its value did not become the view\'s prototype');
});
