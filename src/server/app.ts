/**
 * buildServer(deps) → a Fastify app that is not listening (fastify's own pattern): routes,
 * schemas, error handling. Wiring to the network, files and the cluster happens in serve.ts, so
 * tests drive the very same app with inject() or over real TLS.
 */
import Fastify, { errorCodes, LogController, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { SecureContextOptions } from 'node:tls';
import { type AdmissionContext } from '../admission/validate.js';
import { mayMutate } from '../admission/mutate-review.js';
import { admissionReviewSchema, type AdmissionReview } from '../admission/review.js';
import type { Registration } from '../admission/registration.js';
import type { ImageStatus, KubeObject } from '../engine/types.js';
import { imagesOf } from '../images/object-images.js';
import { classifyRequestError, PAL_ERR_NOT_READY } from './errors.js';
import { answerReview, type Endpoint } from './answer.js';
import type { Metrics } from './metrics.js';
import type { PolicyHolder } from './policy-holder.js';
import { admissionReviewResponseSchema } from './response-schema.js';
import { verificationDeadlineMs } from './timeout.js';
import { drainOnClose } from './drain.js';
import { parseReviewBody } from './parse-review-body.js';

/** Above 6 MiB: an UPDATE carries the new and the old object, each up to the API server's 3 MiB. */
export const DEFAULT_BODY_LIMIT = 8 * 1024 * 1024;

export interface ReadinessCheck {
  ok: boolean;
  detail?: string;
}

export interface ServerDeps {
  policy: PolicyHolder;
  metrics: Metrics;
  logger: Logger;
  clock?: () => Date;
  bodyLimit?: number;
  /** HTTPS options; absent only for inject() tests. */
  https?: SecureContextOptions;
  namespaceObject?: (name: string) => KubeObject | undefined;
  /** Further readiness checks (certificates, the namespace cache), by name. */
  readiness?: () => Record<string, ReadinessCheck>;
}

const ROUTES: { url: string; endpoint: Endpoint; registration: Registration }[] = [
  { url: '/validate', endpoint: 'validate', registration: 'all' },
  { url: '/validate/enforce', endpoint: 'validate', registration: 'enforce' },
  { url: '/validate/audit', endpoint: 'validate', registration: 'audit' },
  { url: '/mutate', endpoint: 'mutate', registration: 'all' },
];

export function buildServer(deps: ServerDeps): FastifyInstance {
  const bodyLimit = deps.bodyLimit ?? DEFAULT_BODY_LIMIT;
  const clock = deps.clock ?? (() => new Date());
  const app = Fastify({
    loggerInstance: deps.logger.child({ component: 'http' }),
    // One log line per decision is written by the admission handler; per-request lines would double it.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit,
    ...(deps.https ? { https: deps.https } : {}),
    return503OnClosing: true,
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false } },
  }) as unknown as FastifyInstance;

  drainOnClose(app);

  // The API server sends JSON only; anything else is refused with 415 rather than parsed.
  app.removeContentTypeParser('text/plain');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, parseJsonBody);
  app.setErrorHandler((error: Error & { statusCode?: number; code?: string; validation?: unknown }, request, reply) => {
    const { status, body } = classifyRequestError(error, bodyLimit);
    deps.metrics.badRequests.inc({ reason: body.code });
    if (status >= 500) request.log.error({ err: error, url: request.url }, 'request failed');
    else request.log.debug({ code: body.code, url: request.url }, 'request refused');
    void reply.code(status).send(body);
  });

  for (const route of ROUTES) {
    app.post(route.url, { schema: { body: admissionReviewSchema, response: { 200: admissionReviewResponseSchema } } }, (request: FastifyRequest, reply: FastifyReply) => {
      const policy = deps.policy.current();
      if (!policy) {
        // The API server applies the registration's failurePolicy to a 503.
        return reply.code(503).send({ code: PAL_ERR_NOT_READY, message: 'no rule set loaded yet' });
      }
      const receivedAt = performance.now();
      const review = request.body as AdmissionReview;
      const timeout = (request.query as Record<string, unknown>)['timeout'];
      const context: Omit<AdmissionContext, 'now'> = {
        ruleSet: policy.ruleSet,
        config: policy.config,
        registration: route.registration,
        fileRuleIds: policy.fileRuleIds,
        ...(deps.namespaceObject ? { namespaceObject: deps.namespaceObject } : {}),
      };
      const send = (images?: Record<string, ImageStatus>): FastifyReply => reply.send(answerReview(review, images ? { ...context, images } : context, {
        endpoint: route.endpoint,
        timeout,
        receivedAt,
        clock,
        metrics: deps.metrics,
        log: request.log as unknown as Logger,
      }));
      const object = review.request.object;
      // Image verification talks to registries: only when it is configured, the object runs
      // images, and the endpoint uses them (/validate's rules; /mutate pins what it may mutate).
      // It never throws (a failure is a status saying why); should it, the rules see no status
      // and report the image as not verified.
      if (!policy.images || !object || review.request.operation === 'DELETE') return send();
      if (route.endpoint === 'mutate' && !mayMutate(review.request, policy.config)) return send();
      const images = imagesOf(object, policy.ruleSet);
      if (images.length === 0) return send();
      // Cached images (the common case) are answered at once: no deadline timer, no async hop.
      const { verifier, timeoutMs } = policy.images;
      const known = verifier.knownStatuses(images);
      if (known) {
        deps.metrics.imageLookups.inc({ cache: 'hit' });
        return send(known);
      }
      deps.metrics.imageLookups.inc({ cache: 'miss' });
      const endTimer = deps.metrics.imageLookupDuration.startTimer();
      return verifier.statuses(images, AbortSignal.timeout(verificationDeadlineMs(timeoutMs, timeout)))
        .then((statuses) => {
          endTimer();
          for (const status of Object.values(statuses)) deps.metrics.imageStatuses.inc({ outcome: outcomeOf(status) });
          return statuses;
        })
        .catch((error: unknown) => {
          request.log.error({ err: error }, 'image verification failed; the images are reported as not verified');
          return undefined;
        })
        .then(send);
    });
  }

  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    const policy = deps.policy.current();
    const lastError = deps.policy.lastError();
    const checks: Record<string, ReadinessCheck & Record<string, unknown>> = {
      rules: {
        ok: policy !== undefined,
        ...(policy ? { generation: policy.generation, rules: policy.ruleSet.rules.length, loadedAt: policy.loadedAt.toISOString() } : {}),
        // The last good set is still served; the error says why the newest files were refused.
        ...(lastError ? { detail: `last reload refused at ${lastError.at.toISOString()}: ${lastError.message}` } : {}),
      },
      ...(deps.readiness?.() ?? {}),
    };
    const ready = Object.values(checks).every((c) => c.ok);
    return reply.code(ready ? 200 : 503).send({ ready, checks });
  });
  app.get('/metrics', async (_request, reply) => {
    const text = await deps.metrics.registry.metrics();
    return reply.header('content-type', deps.metrics.registry.contentType).send(text);
  });
  return app;
}

/** An image status as the metrics count it. */
function outcomeOf(status: ImageStatus): string {
  if (status.denied !== undefined) return 'denied';
  if (status.verified) return 'verified';
  if (status.ignored) return 'ignored';
  return status.unavailable ? 'unavailable' : 'unverified';
}

/**
 * Request bodies are parsed by parseReviewBody: JSON.parse without the two managedFields no rule
 * reads. A `__proto__` or `constructor` key is data (a ConfigMap's or a custom resource's keys may
 * be named so): JSON.parse makes it an own property, the engine reads and copies keys as own
 * properties (src/json/set-key.ts), and nothing merges request data into other objects. Fastify's
 * default parser refuses such a body with 400, which the API server treats as a failed call: the
 * object was let through unjudged (Ignore) or blocked for no reason (Fail). A syntax error gets
 * fastify's own error, which quotes nothing of the body (V8's message quotes a piece of it, which
 * may be a Secret's data).
 */
function parseJsonBody(_request: FastifyRequest, body: string | Buffer, done: (error: Error | null, body?: unknown) => void): void {
  let text = typeof body === 'string' ? body : body.toString('utf8');
  // A leading byte order mark is ignored, as fastify's own parser did (RFC 8259 allows either).
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (text.length === 0) {
    done(new errorCodes.FST_ERR_CTP_EMPTY_JSON_BODY());
    return;
  }
  try {
    done(null, parseReviewBody(text));
  } catch {
    done(new errorCodes.FST_ERR_CTP_INVALID_JSON_BODY());
  }
}
