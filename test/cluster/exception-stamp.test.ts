import t from 'tap';
import { applyPatch } from '../../src/admission/json-patch.js';
import type { AdmissionRequest } from '../../src/admission/review.js';
import { reviewPalisadeResource } from '../../src/cluster/admission.js';
import { stampException, stampResponse } from '../../src/cluster/exception-stamp.js';
import { builtinIds, builtinRules, config, NOW, request } from './support.js';

type Stamped = { metadata: { annotations?: Record<string, string> }; spec: Record<string, unknown> };

/** The object as the API server stores it after the patch. */
function patched(req: AdmissionRequest): Stamped {
  const ops = stampException(req);
  if (!ops) throw new Error('expected a patch');
  return applyPatch(req.object, ops) as Stamped;
}

t.test('CREATE without annotations: the map is added with the requesting user', async (t) => {
  const req = request('exception-create-bare.json');
  t.same(stampException(req), [{ op: 'add', path: '/metadata/annotations', value: { 'palisade.dev/created-by': 'bob' } }]);
  t.same(patched(req).metadata.annotations, { 'palisade.dev/created-by': 'bob' });
});

t.test('CREATE with a created-by the user wrote: replaced by the real user, other annotations kept', async (t) => {
  const req = request('exception-create-forged.json');
  t.same(stampException(req), [{ op: 'add', path: '/metadata/annotations/palisade.dev~1created-by', value: 'bob' }], 'the "/" in the key is escaped as ~1');
  const after = patched(req);
  t.equal(after.metadata.annotations?.['palisade.dev/created-by'], 'bob');
  t.ok(after.metadata.annotations?.['kubectl.kubernetes.io/last-applied-configuration'], 'the other annotations stay');
  t.same(after.spec, (req.object as Stamped).spec, 'the spec is untouched');
});

t.test('CREATE already carrying the right user: nothing to patch', async (t) => {
  t.equal(stampException(request('exception-create-good.json')), undefined);
});

t.test('UPDATE that changes the annotation: the original value is restored, the rest of the edit kept', async (t) => {
  const req = request('exception-update-annotation-changed.json');
  const after = patched(req);
  t.equal(after.metadata.annotations?.['palisade.dev/created-by'], 'alice');
  t.equal(after.spec['expiresAt'], '2026-12-30', 'the edit itself goes through');
});

t.test('UPDATE that removes the annotation: it is put back', async (t) => {
  const req = request('exception-update-annotation-removed.json');
  t.same(stampException(req), [{ op: 'add', path: '/metadata/annotations/palisade.dev~1created-by', value: 'alice' }]);
  t.equal(patched(req).metadata.annotations?.['palisade.dev/created-by'], 'alice');
  const noMap = request('exception-update-annotation-removed.json');
  delete (noMap.object as Stamped).metadata.annotations;
  t.same(patched(noMap).metadata.annotations, { 'palisade.dev/created-by': 'alice' }, 'also when the whole map was dropped');
});

t.test('UPDATE that adds an annotation the stored object never had: it is removed', async (t) => {
  const req = request('exception-update-annotation-changed.json');
  delete (req.oldObject as Stamped).metadata.annotations?.['palisade.dev/created-by'];
  t.same(stampException(req), [{ op: 'remove', path: '/metadata/annotations/palisade.dev~1created-by' }]);
  t.notOk('palisade.dev/created-by' in (patched(req).metadata.annotations ?? {}));
});

t.test('UPDATE that leaves the annotation alone: nothing to patch', async (t) => {
  const req = request('exception-update-annotation-changed.json');
  (req.object as Stamped).metadata.annotations!['palisade.dev/created-by'] = 'alice';
  t.equal(stampException(req), undefined);
});

t.test('anything but an Exception CREATE or UPDATE is not stamped', async (t) => {
  const req = request('exception-create-bare.json');
  t.equal(stampException({ ...req, operation: 'DELETE', object: null, oldObject: req.object }), undefined);
  t.equal(stampException(request('rule-create-good.json')), undefined, 'a Rule');
  t.equal(stampException({ ...req, kind: { group: '', version: 'v1', kind: 'Pod' } }), undefined, 'a Pod');
  t.equal(stampResponse(request('rule-create-good.json')), undefined);
});

t.test('stampResponse: the mutating answer, with the patch base64-encoded', async (t) => {
  const response = stampResponse(request('exception-create-bare.json'));
  t.equal(response?.uid, 'uid-exception-bare');
  t.equal(response?.allowed, true);
  t.equal(response?.patchType, 'JSONPatch');
  t.same(JSON.parse(Buffer.from(response?.patch ?? '', 'base64').toString('utf8')), [{ op: 'add', path: '/metadata/annotations', value: { 'palisade.dev/created-by': 'bob' } }]);
  t.same(stampResponse(request('exception-create-good.json')), { uid: 'uid-exception-good', allowed: true }, 'nothing to change: allowed without a patch');
});

t.test('stamped, then validated: the request passes the validating webhook', async (t) => {
  for (const name of ['exception-create-forged.json', 'exception-update-annotation-changed.json', 'exception-update-annotation-removed.json']) {
    const req = request(name);
    const stamped = { ...req, object: patched(req) as unknown as Record<string, unknown> };
    const response = reviewPalisadeResource(stamped, { ruleSet: builtinRules, config: config(), now: NOW, fileRuleIds: builtinIds });
    t.equal(response?.allowed, true, `${name}: ${response?.status?.message ?? ''}`);
  }
});
