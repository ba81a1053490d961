/**
 * TLS settings of the webhook listener. The only client that matters is the Kubernetes API server
 * (Go crypto/tls), which speaks TLS 1.3 and the ECDHE AEAD suites of TLS 1.2, so nothing older is
 * offered: TLS 1.2 is the floor and its suites are forward-secret AEAD only (the TLS 1.3 suites are
 * all AEAD already and keep Node's defaults). The same options go to `https.createServer` and, on
 * every certificate rotation, to `server.setSecureContext`, so a reload never loosens them.
 */
import type { SecureContextOptions } from 'node:tls';

export const TLS_MIN_VERSION = 'TLSv1.2';

/** TLS 1.2 suites, in preference order. */
export const TLS12_CIPHERS = [
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
] as const;

/** Everything the server needs for its secure context, from PEM text (tls.crt may hold a chain). */
export function tlsOptionsFromPem(pem: { certPem: string; keyPem: string }): SecureContextOptions {
  return {
    cert: pem.certPem,
    key: pem.keyPem,
    minVersion: TLS_MIN_VERSION,
    ciphers: TLS12_CIPHERS.join(':'),
    honorCipherOrder: true,
  };
}
