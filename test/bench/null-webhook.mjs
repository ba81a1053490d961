// The null endpoint the webhook benchmark compares against: the same Fastify, TLS settings,
// certificate and body limit as `palisade serve`, answering every AdmissionReview with allowed:
// true. It parses the whole body with JSON.parse (Palisade leaves out the managedFields no rule
// reads: src/server/parse-review-body.ts). What Palisade costs beyond it is rule evaluation and
// decision making.
import Fastify from 'fastify';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const [, , certDir, portText] = process.argv;
const dist = new URL('../../dist/', import.meta.url);
const { tlsOptionsFromPem } = await import(new URL('server/tls-options.js', dist).href);
const { DEFAULT_BODY_LIMIT } = await import(new URL('server/app.js', dist).href);
const app = Fastify({
  https: tlsOptionsFromPem({ certPem: readFileSync(join(certDir, 'tls.crt'), 'utf8'), keyPem: readFileSync(join(certDir, 'tls.key'), 'utf8') }),
  bodyLimit: DEFAULT_BODY_LIMIT,
  // Plain JSON.parse of the whole body: the baseline is a webhook that reads all it is sent.
  onProtoPoisoning: 'ignore',
  onConstructorPoisoning: 'ignore',
});
app.post('/validate', async (request) => ({
  apiVersion: 'admission.k8s.io/v1',
  kind: 'AdmissionReview',
  response: { uid: request.body.request.uid, allowed: true },
}));
await app.listen({ host: '127.0.0.1', port: Number(portText) });
process.stderr.write('serving on null\n');
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
