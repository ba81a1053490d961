/**
 * A registry on loopback with scripted answers, for the verifier's and the webhook's tests: every
 * tag is its own image (a manifest naming its URL), signatures are absent (404, a verdict; no
 * referrers either), and
 * answers can be held back (`hold`) or turned into 500s (`failing`). Not a *.test.ts file.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Test } from 'tap';

export interface Scripted {
  host: string;
  /** Manifest requests by path. */
  requests: string[];
  inFlight: number;
  maxInFlight: number;
  /** Holds every answer until released (undefined: answer at once). */
  hold?: Promise<void>;
  /** Answer 500 to everything. */
  failing: boolean;
}

export async function scriptedRegistry(t: Test): Promise<Scripted> {
  const state: Scripted = { host: '', requests: [], inFlight: 0, maxInFlight: 0, failing: false };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      state.requests.push(req.url ?? '');
      state.inFlight += 1;
      state.maxInFlight = Math.max(state.maxInFlight, state.inFlight);
      try {
        await state.hold;
      } finally {
        state.inFlight -= 1;
      }
      if (state.failing) {
        res.writeHead(500);
        return res.end();
      }
      // No image has referrers (Sigstore bundles).
      if (req.url?.includes('/referrers/')) {
        res.writeHead(200, { 'content-type': 'application/vnd.oci.image.index.v1+json' });
        return res.end(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [] }));
      }
      // Every tag is its own image; signatures are absent (404): a verdict, not a failure.
      if (req.url?.endsWith('.sig')) {
        res.writeHead(404, { 'content-type': 'application/json' });
        return res.end(JSON.stringify({ errors: [{ code: 'MANIFEST_UNKNOWN' }] }));
      }
      res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json' });
      res.end(JSON.stringify({ schemaVersion: 2, layers: [], annotations: { for: req.url ?? '' } }));
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  t.teardown(() => new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  }));
  return state;
}
