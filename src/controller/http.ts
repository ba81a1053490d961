/**
 * The controller's small HTTP server: probes, metrics and the rollout report. Plain HTTP — it
 * answers kubelet probes and Prometheus inside the pod network and admits nothing, so it carries no
 * credentials and needs no TLS (put it behind a NetworkPolicy; the webhook is the TLS server).
 *
 * - GET /healthz: the process is up.
 * - GET /readyz: 200 once this replica is useful: rules loaded and, on the leader, its first full
 *   audit written; a follower once another replica holds the lease (it serves /reports/rollout).
 * - GET /metrics: Prometheus text, the controller's own registry.
 * - GET /reports/rollout[?format=markdown|html|json]: rendered from the reports stored in the
 *   cluster, so every replica answers the same.
 *
 * `buildControllerApp` returns an app that is not listening; the controller listens.
 */
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { ControllerMetrics } from './metrics.js';

export const ROLLOUT_FORMATS = ['markdown', 'html', 'json'] as const;
export type RolloutFormat = (typeof ROLLOUT_FORMATS)[number];

export interface ReadinessCheck {
  ok: boolean;
  detail?: string;
}

export interface ControllerAppDeps {
  metrics: ControllerMetrics;
  logger: Logger;
  readiness: () => Record<string, ReadinessCheck & Record<string, unknown>> | Promise<Record<string, ReadinessCheck & Record<string, unknown>>>;
  /** The rollout report in a format, from the stored reports. Throws when they cannot be read. */
  rollout: (format: RolloutFormat) => Promise<string>;
}

const CONTENT_TYPES: Record<RolloutFormat, string> = {
  markdown: 'text/markdown; charset=utf-8',
  html: 'text/html; charset=utf-8',
  json: 'application/json; charset=utf-8',
};

const checkSchema = {
  type: 'object',
  required: ['ok'],
  properties: { ok: { type: 'boolean' }, detail: { type: 'string' } },
  additionalProperties: { type: ['string', 'number', 'boolean'] },
} as const;

const readySchema = {
  type: 'object',
  required: ['ready', 'checks'],
  properties: { ready: { type: 'boolean' }, checks: { type: 'object', additionalProperties: checkSchema } },
} as const;

const errorSchema = {
  type: 'object',
  required: ['error'],
  properties: { error: { type: 'string' } },
} as const;

export function buildControllerApp(deps: ControllerAppDeps): FastifyInstance {
  const app = Fastify({
    loggerInstance: deps.logger.child({ component: 'http' }),
    // Probes and scrapes every few seconds would fill the log.
    logController: new LogController({ disableRequestLogging: true }),
    return503OnClosing: true,
  }) as unknown as FastifyInstance;
  app.get('/healthz', { schema: { response: { 200: { type: 'object', required: ['status'], properties: { status: { type: 'string' } } } } } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { response: { 200: readySchema, 503: readySchema } } }, async (_request, reply) => {
    const checks = await deps.readiness();
    const ready = Object.values(checks).every((c) => c.ok);
    return reply.code(ready ? 200 : 503).send({ ready, checks });
  });
  app.get('/metrics', async (_request, reply) => {
    const text = await deps.metrics.registry.metrics();
    return reply.header('content-type', deps.metrics.registry.contentType).send(text);
  });
  app.get<{ Querystring: { format?: RolloutFormat } }>('/reports/rollout', {
    schema: {
      querystring: { type: 'object', properties: { format: { type: 'string', enum: [...ROLLOUT_FORMATS] } }, additionalProperties: false },
      response: { 503: errorSchema },
    },
  }, async (request, reply) => {
    const format = request.query.format ?? 'markdown';
    let text: string;
    try {
      text = await deps.rollout(format);
    } catch (error) {
      request.log.warn({ err: (error as Error).message }, 'could not render the rollout report');
      return reply.code(503).send({ error: `the stored reports cannot be read: ${(error as Error).message}` });
    }
    return reply.header('content-type', CONTENT_TYPES[format]).header('cache-control', 'no-store').send(text);
  });
  return app;
}
