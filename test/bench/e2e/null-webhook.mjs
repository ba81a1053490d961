// The null webhook of the end-to-end benchmark: the same Fastify, TLS settings, certificate (the
// cert dir `palisade serve` generated) and body limit as Palisade, on every path the API server
// calls Palisade at, answering every AdmissionReview with allowed: true and its uid. It parses the
// whole body with JSON.parse (Palisade leaves out the managedFields no rule reads:
// src/server/parse-review-body.ts).
// Plain node, like `node dist/cli/bin.js serve`, so both start and run the same way.
//
// One concession to the benchmark: a server-side dry run (request.dryRun, never set on a measured
// create) is answered with a warning, so the benchmark can tell when the API server calls it.
//
// Usage: node null-webhook.mjs CERT_DIR PORT
import Fastify from 'fastify';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

// probe.ts looks for this text.
const PROBE_WARNING = 'palisade-bench: null webhook';

const [, , certDir, portText] = process.argv;
if (!certDir || !portText) {
  process.stderr.write('usage: node null-webhook.mjs CERT_DIR PORT\n');
  process.exit(2);
}
const dist = new URL('../../../dist/', import.meta.url);
const { tlsOptionsFromPem } = await import(new URL('server/tls-options.js', dist).href);
const { DEFAULT_BODY_LIMIT } = await import(new URL('server/app.js', dist).href);
const app = Fastify({
  https: tlsOptionsFromPem({ certPem: readFileSync(join(certDir, 'tls.crt'), 'utf8'), keyPem: readFileSync(join(certDir, 'tls.key'), 'utf8') }),
  bodyLimit: DEFAULT_BODY_LIMIT,
  // Plain JSON.parse of the whole body: the baseline is a webhook that reads all it is sent.
  onProtoPoisoning: 'ignore',
  onConstructorPoisoning: 'ignore',
  // The API server keeps connections open; without this, close() waits for them (a minute).
  forceCloseConnections: true,
});
const allow = async (request) => {
  const review = request.body?.request;
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    response: { uid: review?.uid ?? '', allowed: true, ...(review?.dryRun === true ? { warnings: [PROBE_WARNING] } : {}) },
  };
};
for (const path of ['/validate', '/validate/enforce', '/validate/audit', '/mutate']) app.post(path, allow);
await app.listen({ host: '127.0.0.1', port: Number(portText) });
process.stderr.write(`serving on https://127.0.0.1:${portText}\n`);
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
