import t from 'tap';
import {
  applyOperation,
  applyPatch,
  escapePointer,
  formatPointer,
  JsonPatchError,
  JsonPointerError,
  jsonEqual,
  parsePointer,
  type JsonPatchOp,
} from '../../src/admission/json-patch.js';

const pod = (): Record<string, unknown> => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'api', annotations: { 'example.com/a/b': 'x', 'm~n': 'y' } },
  spec: { containers: [{ name: 'a' }, { name: 'b', securityContext: { capabilities: { drop: ['NET_RAW'] } } }] },
});

/** Deeply frozen: any write to the input would throw in strict mode. */
function frozen<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const v of Object.values(value)) frozen(v);
    Object.freeze(value);
  }
  return value;
}

t.test('JSON Pointer escaping (RFC 6901)', async (t) => {
  t.equal(escapePointer('a/b'), 'a~1b');
  t.equal(escapePointer('m~n'), 'm~0n');
  t.equal(escapePointer('~/'), '~0~1', '~ is escaped first, so ~1 in the input does not turn into /');
  t.equal(escapePointer('~1'), '~01');
  t.equal(formatPointer(['metadata', 'annotations', 'example.com/a/b']), '/metadata/annotations/example.com~1a~1b');
  t.equal(formatPointer([]), '', 'the empty pointer is the whole document');
  t.same(parsePointer('/a~1b/m~0n/0'), ['a/b', 'm~n', '0']);
  t.same(parsePointer('/~01'), ['~1'], 'decoding ~01 gives ~1, not /');
  t.same(parsePointer(''), []);
  t.same(parsePointer('/'), [''], 'the empty key');
  for (const segments of [['a/b', 'c~d'], ['', ''], ['~1', '/~0']]) {
    t.same(parsePointer(formatPointer(segments)), segments, `round trip ${JSON.stringify(segments)}`);
  }
  t.throws(() => parsePointer('spec'), JsonPointerError, 'must start with /');
  t.throws(() => parsePointer('/a~2'), /'~' must be followed by 0 or 1/);
  t.throws(() => parsePointer('/a~'), /'~' must be followed by 0 or 1/);
});

t.test('add: object members, array positions and "-"', async (t) => {
  const input = frozen(pod());
  const out = applyPatch(input, [
    { op: 'add', path: '/spec/securityContext', value: { runAsNonRoot: true } },
    { op: 'add', path: '/spec/containers/1/securityContext/capabilities/drop/-', value: 'ALL' },
    { op: 'add', path: '/spec/containers/0', value: { name: 'first' } },
    { op: 'add', path: '/spec/containers/3', value: { name: 'last' } },
    { op: 'add', path: '/metadata/annotations/example.com~1a~1b', value: 'replaced by add' },
    { op: 'add', path: '/metadata/annotations/m~0n', value: 'z' },
  ]) as ReturnType<typeof pod>;
  t.same(out['spec'], {
    securityContext: { runAsNonRoot: true },
    containers: [{ name: 'first' }, { name: 'a' }, { name: 'b', securityContext: { capabilities: { drop: ['NET_RAW', 'ALL'] } } }, { name: 'last' }],
  });
  t.same(out['metadata'], { name: 'api', annotations: { 'example.com/a/b': 'replaced by add', 'm~n': 'z' } });
  t.same(input, pod(), 'the input is untouched');
});

t.test('add fails clearly when the parent is missing or the index is bad', async (t) => {
  const input = frozen(pod());
  const cases: [JsonPatchOp, RegExp][] = [
    [{ op: 'add', path: '/spec/securityContext/runAsNonRoot', value: true }, /operation 0 \(add \/spec\/securityContext\/runAsNonRoot\): parent \/spec\/securityContext does not exist/],
    [{ op: 'add', path: '/metadata/name/x', value: 1 }, /parent \/metadata\/name is a string, not an object or array/],
    [{ op: 'add', path: '/spec/containers/3', value: {} }, /\/spec\/containers\/3: index 3 is out of range \(the array has 2 items\)/],
    [{ op: 'add', path: '/spec/containers/01', value: {} }, /"01" is not an array index/],
    [{ op: 'add', path: '/spec/containers/-1', value: {} }, /"-1" is not an array index/],
    [{ op: 'add', path: '/spec/containers/x', value: {} }, /"x" is not an array index/],
    [{ op: 'add', path: '/spec/containers/-/name', value: 'x' }, /"-" \(past the end of the array\) can only end the path of an add/],
    [{ op: 'add', path: 'spec', value: 1 }, /"path" is an invalid JSON pointer "spec": must be empty or start with '\/'/],
    [{ op: 'add', path: '/spec' } as unknown as JsonPatchOp, /"add" needs a "value"/],
    [{ op: 'merge', path: '/spec', value: 1 } as unknown as JsonPatchOp, /"op" must be one of add, remove, replace, test, copy, move/],
    [{ op: 'add', path: 7, value: 1 } as unknown as JsonPatchOp, /"path" must be a string/],
    [null as unknown as JsonPatchOp, /operation 0 \(\? \?\): an operation must be an object/],
  ];
  for (const [op, message] of cases) {
    t.throws(() => applyPatch(input, [op]), message, JSON.stringify(op));
  }
  try {
    applyPatch(input, [{ op: 'add', path: '/x', value: 1 }, { op: 'add', path: '/y/z', value: 1 }]);
    t.fail('the second operation cannot apply');
  } catch (error) {
    t.ok(error instanceof JsonPatchError);
    t.equal((error as JsonPatchError).index, 1, 'the error names the failing operation');
    t.same((error as JsonPatchError).operation, { op: 'add', path: '/y/z', value: 1 });
  }
  t.ok(new JsonPatchError(0, { op: 'remove', path: '/a' }, 'r') instanceof Error);
});

t.test('remove and replace need the path to exist', async (t) => {
  const input = frozen(pod());
  const out = applyPatch(input, [
    { op: 'remove', path: '/spec/containers/0' },
    { op: 'replace', path: '/spec/containers/0/securityContext/capabilities/drop/0', value: 'ALL' },
    { op: 'remove', path: '/metadata/annotations/m~0n' },
    { op: 'replace', path: '/metadata/name', value: 'api-2' },
  ]) as ReturnType<typeof pod>;
  t.same(out['spec'], { containers: [{ name: 'b', securityContext: { capabilities: { drop: ['ALL'] } } }] });
  t.same(out['metadata'], { name: 'api-2', annotations: { 'example.com/a/b': 'x' } });

  t.throws(() => applyPatch(input, [{ op: 'remove', path: '/spec/hostNetwork' }]), /path \/spec\/hostNetwork does not exist/);
  t.throws(() => applyPatch(input, [{ op: 'replace', path: '/spec/hostNetwork', value: false }]), /path \/spec\/hostNetwork does not exist/);
  t.throws(() => applyPatch(input, [{ op: 'remove', path: '/spec/containers/2' }]), /index 2 is out of range/);
  t.throws(() => applyPatch(input, [{ op: 'replace', path: '/spec/containers/2', value: {} }]), /index 2 is out of range/, 'replace cannot append');
  t.throws(() => applyPatch(input, [{ op: 'remove', path: '/spec/containers/-' }]), /"-"/);
  t.throws(() => applyPatch(input, [{ op: 'remove', path: '' }]), /the whole document cannot be removed/);
  t.throws(() => applyPatch(input, [{ op: 'remove', path: '/spec/x/y' }]), /parent \/spec\/x does not exist/);
  t.same(applyPatch(input, [{ op: 'replace', path: '', value: { kind: 'Other' } }]), { kind: 'Other' }, 'replace of the root');
});

t.test('test compares as JSON', async (t) => {
  const input = frozen(pod());
  t.doesNotThrow(() => applyPatch(input, [{ op: 'test', path: '/metadata', value: { annotations: { 'm~n': 'y', 'example.com/a/b': 'x' }, name: 'api' } }]), 'member order does not matter');
  t.throws(() => applyPatch(input, [{ op: 'test', path: '/metadata/name', value: 'web' }]), /test failed: the value at \/metadata\/name is not "web"/);
  t.throws(() => applyPatch(input, [{ op: 'test', path: '/spec/containers', value: [{ name: 'a' }] }]), /test failed/);
  t.throws(() => applyPatch(input, [{ op: 'test', path: '/spec/nothing', value: null }]), /does not exist/, 'a missing member is not null');
  t.ok(jsonEqual({ replicas: 3n }, { replicas: 3 }), 'the engine\'s BigInt whole numbers equal JSON numbers');
  t.notOk(jsonEqual({ a: 1 }, { a: 1, b: 2 }));
  t.notOk(jsonEqual([1, 2], [2, 1]));
  t.notOk(jsonEqual('1', 1));
});

t.test('copy and move', async (t) => {
  const input = frozen(pod());
  const out = applyPatch(input, [
    { op: 'copy', from: '/spec/containers/1/securityContext', path: '/spec/containers/0/securityContext' },
    { op: 'move', from: '/metadata/annotations/m~0n', path: '/metadata/labels' },
    { op: 'add', path: '/spec/containers/0/securityContext/capabilities/drop/-', value: 'ALL' },
  ]) as ReturnType<typeof pod>;
  t.same(out, {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'api', annotations: { 'example.com/a/b': 'x' }, labels: 'y' },
    spec: {
      containers: [
        { name: 'a', securityContext: { capabilities: { drop: ['NET_RAW', 'ALL'] } } },
        { name: 'b', securityContext: { capabilities: { drop: ['NET_RAW'] } } },
      ],
    },
  }, 'a copy is a copy: changing it leaves the source alone');
  t.same(applyPatch(input, [{ op: 'move', from: '/spec/containers/0', path: '/spec/containers/1' }]), {
    ...pod(),
    spec: { containers: [{ name: 'b', securityContext: { capabilities: { drop: ['NET_RAW'] } } }, { name: 'a' }] },
  }, 'move within an array removes first, then inserts');
  t.same(applyPatch(input, [{ op: 'move', from: '/metadata', path: '/metadata' }]), pod(), 'a move onto itself changes nothing');
  t.throws(() => applyPatch(input, [{ op: 'move', from: '/spec', path: '/spec/containers/0/spec' }]), /cannot be moved into itself/);
  t.throws(() => applyPatch(input, [{ op: 'copy', from: '/spec/volumes', path: '/spec/v' }]), /from \/spec\/volumes does not exist/);
  t.throws(() => applyPatch(input, [{ op: 'move', path: '/x' } as unknown as JsonPatchOp]), /"move" needs a "from" string/);
});

t.test('a patch applies whole or not at all; the input is never modified', async (t) => {
  const input = pod();
  t.throws(() =>
    applyPatch(input, [
      { op: 'add', path: '/spec/hostNetwork', value: true },
      { op: 'remove', path: '/spec/containers/0' },
      { op: 'replace', path: '/spec/missing', value: 1 },
    ]),
  );
  t.same(input, pod());
  const value = { runAsNonRoot: true };
  const out = applyPatch(input, [{ op: 'add', path: '/spec/securityContext', value }]) as { spec: { securityContext: { runAsNonRoot: boolean } } };
  out.spec.securityContext.runAsNonRoot = false;
  t.same(value, { runAsNonRoot: true }, 'the added value is copied, not shared with the operation');
  t.same(applyPatch(input, []), input, 'an empty patch returns an equal copy');
  t.not(applyPatch(input, []), input);
});

t.test('applyOperation changes its root in place, or leaves it exactly as it was', async (t) => {
  const root = { doc: pod() as unknown };
  applyOperation(root, { op: 'add', path: '/spec/hostPID', value: false });
  t.equal((root.doc as { spec: { hostPID: boolean } }).spec.hostPID, false);
  const before = JSON.stringify(root.doc);
  t.throws(() => applyOperation(root, { op: 'move', from: '/spec/containers/0', path: '/spec/nothing/here' }), /parent \/spec\/nothing does not exist/);
  t.equal(JSON.stringify(root.doc), before, 'a move whose add fails puts the removed value back');
  t.throws(() => applyOperation(root, { op: 'move', from: '/metadata/name', path: '/metadata/name/x' }), /cannot be moved into itself/);
  t.equal(JSON.stringify(root.doc), before);
});

t.test('"__proto__" is an ordinary key', async (t) => {
  const out = applyPatch({ metadata: {} }, [{ op: 'add', path: '/metadata/__proto__', value: { polluted: true } }]) as {
    metadata: Record<string, unknown>;
  };
  t.ok(Object.hasOwn(out.metadata, '__proto__'), 'stored as an own member');
  t.equal(({} as Record<string, unknown>)['polluted'], undefined, 'Object.prototype is untouched');
  t.equal(Object.getPrototypeOf(out.metadata), Object.prototype);
  t.same(JSON.parse(JSON.stringify(out)), JSON.parse('{"metadata":{"__proto__":{"polluted":true}}}'));
});
