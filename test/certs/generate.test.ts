/**
 * The generated CA and serving certificate carry what the API server and other TLS clients check:
 * names, key usages, CA constraints, validity, a positive serial and a SHA-256 signature.
 */
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { generateCa, generateCertBundle, issueServingCert, servingAltNames } from '../../src/certs/generate.js';

const DAY_MS = 24 * 60 * 60 * 1000;
const now = new Date('2026-03-01T12:00:00Z');
const bundle = generateCertBundle({
  ca: { now },
  serving: { now, service: { name: 'palisade', namespace: 'palisade-system' }, dnsNames: ['webhook.example.com'], ipAddresses: ['10.0.0.7'] },
});
const ca = new X509Certificate(bundle.ca.certPem);
const leaf = new X509Certificate(bundle.serving.certPem);

t.test('the serving certificate covers the defaults, the Service names and the extra names', async (t) => {
  t.equal(
    leaf.subjectAltName,
    'DNS:localhost, DNS:palisade, DNS:palisade.palisade-system, DNS:palisade.palisade-system.svc, ' +
      'DNS:palisade.palisade-system.svc.cluster.local, DNS:webhook.example.com, ' +
      'IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1, IP Address:10.0.0.7',
  );
  t.match(leaf.subject, /CN=palisade\.palisade-system\.svc/);
  t.same(leaf.keyUsage, ['1.3.6.1.5.5.7.3.1'], 'extended key usage: serverAuth only');
  t.notOk(leaf.ca);
});

t.test('the CA signs the serving certificate and is a CA', async (t) => {
  t.ok(ca.ca);
  t.ok(leaf.checkIssued(ca));
  t.ok(leaf.verify(ca.publicKey));
  t.ok(ca.verify(ca.publicKey), 'self-signed');
});

t.test('validity: CA 5 years, serving 1 year, both backdated a little for clock skew', async (t) => {
  const from = new Date(leaf.validFrom).getTime();
  t.ok(from < now.getTime() && from > now.getTime() - 60 * 60 * 1000);
  t.equal(new Date(leaf.validTo).getTime(), now.getTime() + 365 * DAY_MS);
  t.equal(new Date(ca.validTo).getTime(), now.getTime() + 1825 * DAY_MS);
  const short = new X509Certificate(issueServingCert(bundle.ca, { now, days: 7 }).certPem);
  t.equal(new Date(short.validTo).getTime(), now.getTime() + 7 * DAY_MS);
  t.throws(() => generateCa({ days: 0 }), /whole number of days/);
});

t.test('serials are random, 128 bits and positive', async (t) => {
  const serials = [ca, leaf, ...[1, 2, 3].map(() => new X509Certificate(issueServingCert(bundle.ca).certPem))].map((c) => c.serialNumber);
  t.equal(new Set(serials).size, serials.length);
  for (const serial of serials) {
    t.equal(serial.length, 32);
    t.ok(parseInt(serial.slice(0, 2), 16) < 0x80, `${serial} has the sign bit clear`);
  }
});

t.test('a new serving certificate from the same CA (rotation) verifies against it', async (t) => {
  const next = new X509Certificate(issueServingCert(bundle.ca, { dnsNames: ['other.example.com'] }).certPem);
  t.ok(next.verify(ca.publicKey));
  t.not(next.serialNumber, leaf.serialNumber);
  t.match(next.subjectAltName, /DNS:other\.example\.com/);
});

t.test('malformed names are refused', async (t) => {
  t.throws(() => servingAltNames({ dnsNames: ['bad name'] }), /"bad name" is not a valid DNS name/);
  t.throws(() => servingAltNames({ dnsNames: ['-x.example.com'] }), /not a valid DNS name/);
  t.throws(() => servingAltNames({ ipAddresses: ['300.1.1.1'] }), /"300\.1\.1\.1" is not an IP address/);
  t.same(servingAltNames({ dnsNames: ['LOCALHOST', '*.example.com'] }).dnsNames, ['localhost', '*.example.com'], 'lower-cased, each once');
});

const openssl = spawnSync('openssl', ['version'], { encoding: 'utf8' });
t.test('signature algorithm and key usages as openssl shows them', { skip: openssl.status === 0 ? false : 'openssl not installed' }, async (t) => {
  const text = (pem: string): string => spawnSync('openssl', ['x509', '-noout', '-text'], { input: pem, encoding: 'utf8' }).stdout;
  const caText = text(bundle.ca.certPem);
  const leafText = text(bundle.serving.certPem);
  t.match(caText, /Signature Algorithm: sha256WithRSAEncryption/);
  t.match(caText, /Public-Key: \(2048 bit\)/);
  t.match(caText, /Basic Constraints: critical\s+CA:TRUE, pathlen:0/);
  t.match(caText, /Key Usage: critical\s+Certificate Sign, CRL Sign/);
  t.match(leafText, /Signature Algorithm: sha256WithRSAEncryption/);
  t.match(leafText, /Basic Constraints: critical\s+CA:FALSE/);
  t.match(leafText, /Key Usage: critical\s+Digital Signature, Key Encipherment/);
  t.match(leafText, /Extended Key Usage:\s+TLS Web Server Authentication/);
  t.match(leafText, /Authority Key Identifier/);
});
