/**
 * planRotation(): what the self-managed certificate Secret holds as time passes. Lifetimes are
 * short (a 30-day CA, 9-day serving certificates) so the whole life of a CA, its successor's
 * overlap and the old CA's expiry fit in one test; the rules are the same as with the defaults.
 */
import t from 'tap';
import { X509Certificate } from 'node:crypto';
import { planRotation, type ManagedCertSet, type RotationOptions } from '../../src/certs/rotation.js';
import { generateCa } from '../../src/certs/generate.js';
import { verifyCertPems } from '../../src/certs/verify-pair.js';

const DAY = 24 * 60 * 60 * 1000;
const t0 = new Date('2026-01-01T00:00:00Z');
const at = (days: number): Date => new Date(t0.getTime() + days * DAY);
const options: RotationOptions = { serving: { service: { name: 'palisade', namespace: 'palisade-system' } }, caDays: 30, servingDays: 9 };
const files = { ca: 'ca.crt', cert: 'tls.crt', key: 'tls.key' };

const bundle = (set: ManagedCertSet): X509Certificate[] =>
  (set.caPem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []).map((pem) => new X509Certificate(pem));
const leaf = (set: ManagedCertSet): X509Certificate => new X509Certificate(set.certPem);
const issuedBy = (set: ManagedCertSet, ca: X509Certificate): boolean => leaf(set).checkIssued(ca) && leaf(set).verify(ca.publicKey);
/** What the API server does with caBundle: the serving chain must verify against it. */
const servable = (set: ManagedCertSet, now: Date): boolean => verifyCertPems(set, files, now).notAfter > now;

t.test('a first start makes a CA and a serving certificate for the Service names', async (t) => {
  const plan = planRotation(undefined, t0, options);
  t.match(plan.changes, ['no CA yet: new CA', 'trusted CA bundle updated', /serving certificate issued: none stored/]);
  t.equal(bundle(plan.set).length, 1);
  t.ok(servable(plan.set, t0));
  t.match(leaf(plan.set).subjectAltName, /DNS:palisade\.palisade-system\.svc\b/);
  t.notOk(plan.set.nextCaPem);
  t.same(planRotation(plan.set, t0, options).changes, [], 'planning again on the result changes nothing: replicas agree');
});

t.test('a CA lives through successors overlapping in the bundle, and every set on the way verifies', async (t) => {
  const first = planRotation(undefined, t0, options).set;
  const firstCa = bundle(first)[0] as X509Certificate;

  const day7 = planRotation(first, at(7), options);
  t.match(day7.changes, [/serving certificate issued: expires/], 'the serving certificate renews with a third of its life left');
  t.equal(day7.set.caKeyPem, first.caKeyPem, 'same CA');
  t.ok(issuedBy(day7.set, firstCa));

  const day21 = planRotation(day7.set, at(21), options);
  t.ok(day21.changes.includes('the CA nears expiry: a successor CA joins the bundle'));
  t.ok(day21.set.nextCaPem, 'the successor is kept, not yet signing');
  t.equal(bundle(day21.set).length, 2, 'the bundle trusts both');
  t.equal(bundle(day21.set)[0]?.fingerprint256, firstCa.fingerprint256, 'the signing CA stays first');
  t.ok(issuedBy(day21.set, firstCa), 'the serving certificate is still signed by the old CA');
  t.ok(servable(day21.set, at(21)));

  t.same(planRotation(day21.set, at(21.5), options).changes, [], 'within the overlap nothing changes');

  const day22 = planRotation(day21.set, at(22.01), options);
  const successor = new X509Certificate(day21.set.nextCaPem as string);
  t.ok(day22.changes.includes('the successor CA has been trusted long enough: it now signs'));
  t.notOk(day22.set.nextCaPem);
  t.equal(bundle(day22.set)[0]?.fingerprint256, successor.fingerprint256, 'the new CA signs and comes first');
  t.ok(bundle(day22.set).some((c) => c.fingerprint256 === firstCa.fingerprint256), 'the old CA is still trusted');
  t.ok(issuedBy(day22.set, successor), 'a new serving certificate from the new CA');
  t.ok(servable(day22.set, at(22.01)));

  const day31 = planRotation(day22.set, at(31), options);
  t.same(bundle(day31.set).map((c) => c.fingerprint256), [successor.fingerprint256], 'the expired CA leaves the bundle');
  t.ok(servable(day31.set, at(31)));
});

t.test('a stored set that cannot be used is replaced, never served', async (t) => {
  const first = planRotation(undefined, t0, options).set;
  const other = planRotation(undefined, t0, options).set;

  const noKey = planRotation({ ...first, caKeyPem: '' }, t0, options);
  t.match(noKey.changes, [/missing its key, invalid or expired: new CA/]);
  t.not(noKey.set.caKeyPem, first.caKeyPem);

  const wrongKey = planRotation({ ...first, keyPem: other.keyPem }, t0, options);
  t.match(wrongKey.changes, [/serving certificate issued: the stored key does not match it/]);
  t.equal(wrongKey.set.caKeyPem, first.caKeyPem, 'the CA is kept');
  t.ok(servable(wrongKey.set, t0));

  const foreign = planRotation({ ...first, certPem: other.certPem, keyPem: other.keyPem }, t0, options);
  t.match(foreign.changes, [/not signed by the current CA/]);

  const renamed = planRotation(first, t0, { ...options, serving: { service: { name: 'palisade', namespace: 'security' } } });
  t.match(renamed.changes, [/the names it must cover changed/]);
  t.match(leaf(renamed.set).subjectAltName, /DNS:palisade\.security\.svc\b/);

  const expiredCa = generateCa({ now: at(-40), days: 30 });
  const expired = planRotation({ ...first, caPem: expiredCa.certPem, caKeyPem: expiredCa.keyPem }, t0, options);
  t.match(expired.changes, [/missing its key, invalid or expired: new CA/]);
  t.equal(bundle(expired.set).length, 1, 'the expired CA is not trusted');

  const garbage = planRotation({ caPem: 'not a certificate', caKeyPem: 'x', certPem: 'x', keyPem: 'x' }, t0, options);
  t.ok(servable(garbage.set, t0), 'garbage in the Secret becomes a fresh, valid set');
});
