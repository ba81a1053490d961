/**
 * drainOnClose(app): once app.close() starts, the connections are closed as soon as no request is
 * in flight, so a SIGTERM'd webhook exits in milliseconds instead of being killed at the end of
 * its grace period.
 *
 * Why Node's own close() is not enough: the API server (Go) keeps its connections to a webhook
 * alive. close() ends the connections Node counts as idle, not all of them: after a load of Pod
 * creates through the real API server, close() hung with five connections open until the process
 * was killed, in 7 of 10 runs, and a TLS connection that never carried a request keeps it open
 * too (test/server/shutdown.test.ts).
 *
 * A request arriving on a connection while closing is answered 503 with `Connection: close` by
 * fastify (return503OnClosing); one that would arrive after its connection is closed fails in the
 * API server like any call to a stopped webhook. The chart's preStop delay takes the endpoint out
 * of the Service before SIGTERM, so neither should happen.
 */
import type { FastifyInstance } from 'fastify';
import type { Server } from 'node:http';

/** How often, while closing, requests in flight are looked for. */
const DRAIN_POLL_MS = 50;

export function drainOnClose(app: FastifyInstance): void {
  const server = app.server as Server;
  let inFlight = 0;
  const finished = (): void => void inFlight--;
  server.on('request', (_request, response) => {
    inFlight++;
    response.once('close', finished);
  });
  app.addHook('preClose', (done) => {
    const poll = setInterval(() => {
      if (inFlight === 0) server.closeAllConnections();
    }, DRAIN_POLL_MS);
    poll.unref();
    server.once('close', () => clearInterval(poll));
    done();
  });
}
