/** A minimal HTTPS client for the server tests: a fresh TLS connection per call, verified against a CA. */
import { request } from 'node:https';
import type { PeerCertificate } from 'node:tls';

export interface HttpsAnswer {
  status: number;
  body: string;
  /** The serving certificate's serial, as the client saw it. */
  serial: string;
}

export function post(url: string, ca: string, payload: string, options: { servername?: string; path?: string } = {}): Promise<HttpsAnswer> {
  const target = new URL(options.path ?? '/validate', url);
  return new Promise((resolve, reject) => {
    const req = request(
      target,
      {
        method: 'POST',
        ca,
        agent: false,
        rejectUnauthorized: true,
        ...(options.servername ? { servername: options.servername, headers: { host: options.servername } } : {}),
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
      },
      (res) => {
        const serial = (res.socket as unknown as { getPeerCertificate(): PeerCertificate }).getPeerCertificate().serialNumber;
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString(), serial }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}
