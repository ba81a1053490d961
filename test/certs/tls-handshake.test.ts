/**
 * A generated certificate on a real HTTPS server with Palisade's TLS options: clients that trust
 * the CA connect by IP and by name, clients that do not are refused, and old protocol versions and
 * non-forward-secret suites are refused by the server (the client is configured to allow them, so
 * the refusal is the server's).
 */
import t, { type Test } from 'tap';
import { once } from 'node:events';
import { createServer, request, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { generateCertBundle } from '../../src/certs/generate.js';
import { TLS12_CIPHERS, tlsOptionsFromPem } from '../../src/server/tls-options.js';
import { waitFor } from '../fs/wait-for.js';

const bundle = generateCertBundle({ serving: { service: { name: 'palisade', namespace: 'palisade-system' } } });
const otherCa = generateCertBundle().ca;

interface Outcome {
  ok: boolean;
  code?: string;
  protocol?: string | null;
  cipher?: string;
}

async function startServer(t: Test): Promise<{ port: number; clientErrors: Error[] }> {
  const server: Server = createServer(tlsOptionsFromPem(bundle.serving), (_req, res) => res.end('ok'));
  const clientErrors: Error[] = [];
  server.on('tlsClientError', (error) => clientErrors.push(error));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { port: (server.address() as AddressInfo).port, clientErrors };
}

function get(port: number, options: { ca?: string; servername?: string; minVersion?: 'TLSv1'; maxVersion?: 'TLSv1.1' | 'TLSv1.2'; ciphers?: string }): Promise<Outcome> {
  return new Promise((resolve) => {
    const req = request(
      { host: '127.0.0.1', port, path: '/', agent: false, rejectUnauthorized: true, ca: options.ca ?? bundle.ca.certPem, ...(options.servername ? { servername: options.servername } : {}), ...(options.minVersion ? { minVersion: options.minVersion } : {}), ...(options.maxVersion ? { maxVersion: options.maxVersion } : {}), ...(options.ciphers ? { ciphers: options.ciphers } : {}) },
      (res) => {
        const socket = res.socket as TLSSocket;
        const outcome = { ok: res.statusCode === 200, protocol: socket.getProtocol(), cipher: socket.getCipher().name };
        res.resume();
        res.on('end', () => resolve(outcome));
      },
    );
    req.on('error', (error: NodeJS.ErrnoException) => resolve({ ok: false, ...(error.code ? { code: error.code } : {}) }));
    req.end();
  });
}

t.test('clients trusting the CA connect by IP and by each name', async (t) => {
  const { port } = await startServer(t);
  t.match(await get(port, {}), { ok: true, protocol: 'TLSv1.3' }, '127.0.0.1 (IP SAN, no SNI)');
  for (const servername of ['localhost', 'palisade.palisade-system.svc', 'palisade.palisade-system.svc.cluster.local']) {
    t.match(await get(port, { servername }), { ok: true }, servername);
  }
});

t.test('refused: another CA, a name not in the certificate', async (t) => {
  const { port } = await startServer(t);
  t.match(await get(port, { ca: otherCa.certPem }), { ok: false, code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' });
  t.match(await get(port, { servername: 'evil.example.com' }), { ok: false, code: 'ERR_TLS_CERT_ALTNAME_INVALID' });
});

t.test('TLS 1.2 only with the ECDHE AEAD suites; TLS 1.1 and static-RSA suites are refused', async (t) => {
  const { port, clientErrors } = await startServer(t);
  const tls12 = await get(port, { maxVersion: 'TLSv1.2' });
  t.match(tls12, { ok: true, protocol: 'TLSv1.2' });
  t.ok((TLS12_CIPHERS as readonly string[]).includes(tls12.cipher ?? ''), `${tls12.cipher} is one of ours`);

  const tls11 = await get(port, { minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' });
  t.equal(tls11.ok, false, 'TLS 1.1 refused');
  await waitFor(() => clientErrors.length === 1, 'the server to report the handshake');
  t.match(clientErrors[0]?.message, /unsupported protocol/, 'by the server');

  const staticRsa = await get(port, { maxVersion: 'TLSv1.2', ciphers: 'AES128-GCM-SHA256:AES256-SHA' });
  t.equal(staticRsa.ok, false, 'a suite without forward secrecy is refused');
  await waitFor(() => clientErrors.length === 2, 'the server to report the handshake');
  t.match(clientErrors[1]?.message, /no shared cipher/, 'by the server');
});
