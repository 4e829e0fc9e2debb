import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { Metrics } from '../app/metrics.js';
import type { NewDelivery } from '../db/deliveries.js';
import type { DeliveryInbox } from './delivery-inbox.js';
import { describeDelivery } from './describe-delivery.js';
import { OverloadError } from './group-commit.js';
import { verifySignature } from './verify-signature.js';

/** What the intake route needs. */
export interface WebhookRouteDeps {
  /** Accepted webhook secrets; empty when the app is not configured yet. */
  secrets: readonly string[];
  inbox: DeliveryInbox;
  metrics: Metrics;
  log: Logger;
  maxBytes: number;
  /** Milliseconds from a request's arrival to its commit before it is answered 503 (default 5000; GitHub waits 10 s). */
  commitDeadlineMs?: number;
  /** When tracing: names a verified delivery on its request's span and returns the trace context to store with it. */
  traceDelivery?: (request: FastifyRequest, delivery: NewDelivery) => string | null;
}

export const WEBHOOK_PATH = '/api/github/webhooks';

const GUID = /^[A-Za-z0-9-]{1,100}$/;
const EVENT = /^[a-z0-9_]{1,64}$/;

// Seconds a 503 asks the sender to wait. GitHub does not redeliver by itself (the recovery job asks
// it to), but a proxy or a person replaying by hand is told when trying again makes sense.
const RETRY_AFTER_OVERLOADED_SECONDS = 5;
const RETRY_AFTER_UNAVAILABLE_SECONDS = 30;

function fail(reply: FastifyReply, metrics: Metrics, status: number, code: string, message: string, retryAfterSeconds?: number) {
  metrics.deliveriesRejected.inc({ reason: code });
  if (retryAfterSeconds !== undefined) void reply.header('retry-after', String(retryAfterSeconds));
  return reply.code(status).send({ error: { code, message } });
}

function isJson(contentType: string | undefined): boolean {
  if (!contentType) return false;
  const type = contentType.split(';', 1)[0]!.trim().toLowerCase();
  return type === 'application/json';
}

/**
 * POST /api/github/webhooks: verify, record durably, answer. Nothing else happens on the request
 * path; handlers run later from the inbox. Checks run in this order: before the body is read, the
 * headers that need no secret (event, delivery, content type, declared size) and whether the
 * inbox has room; then the signature over the raw body, and only then is the body parsed. A
 * delivery not committed within `commitDeadlineMs` of its arrival is answered 503 at once.
 */
export async function webhookRoute(app: FastifyInstance, deps: WebhookRouteDeps): Promise<void> {
  const { secrets, inbox, metrics, log } = deps;
  const commitDeadlineMs = deps.commitDeadlineMs ?? 5000;

  // The body is kept raw: the signature covers its exact bytes.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: deps.maxBytes }, (_req, body, done) => done(null, body));

  app.setErrorHandler((error: Error & { code?: string; statusCode?: number }, request, reply) => {
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return fail(reply, metrics, 413, 'payload_too_large', `Webhook bodies are limited to ${deps.maxBytes} bytes.`);
    }
    if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
      return fail(reply, metrics, error.statusCode, 'bad_request', error.message);
    }
    request.log.error({ err: error }, 'webhook intake failed');
    return fail(reply, metrics, 500, 'internal', 'The delivery could not be recorded.');
  });

  // Runs before the body is read, so a refused request costs no memory for its body.
  const screen = async (request: FastifyRequest, reply: FastifyReply) => {
    const event = request.headers['x-github-event'];
    const id = request.headers['x-github-delivery'];
    if (typeof event !== 'string' || !EVENT.test(event)) {
      return fail(reply, metrics, 400, 'missing_event', 'The X-GitHub-Event header is missing or malformed.');
    }
    if (typeof id !== 'string' || !GUID.test(id)) {
      return fail(reply, metrics, 400, 'missing_delivery', 'The X-GitHub-Delivery header is missing or malformed.');
    }
    if (!isJson(request.headers['content-type'])) {
      return fail(reply, metrics, 415, 'unsupported_media_type', 'Webhooks must be sent as application/json.');
    }
    const declared = Number(request.headers['content-length'] ?? 0);
    if (declared > deps.maxBytes) {
      return fail(reply, metrics, 413, 'payload_too_large', `Webhook bodies are limited to ${deps.maxBytes} bytes.`);
    }
    if (secrets.length === 0) {
      return fail(reply, metrics, 503, 'not_configured', 'WEBHOOK_SECRET is not set, so no delivery can be verified.');
    }
    if (!inbox.hasRoom(Number.isFinite(declared) ? declared : 0)) {
      return overloaded(reply);
    }
    return undefined;
  };

  const overloaded = (reply: FastifyReply) =>
    fail(reply, metrics, 503, 'overloaded', 'Too many deliveries are waiting to be recorded; send this one again later.', RETRY_AFTER_OVERLOADED_SECONDS);

  app.post(WEBHOOK_PATH, { onRequest: screen }, async (request: FastifyRequest, reply: FastifyReply) => {
    const receivedAt = new Date();
    const event = request.headers['x-github-event'] as string;
    const id = request.headers['x-github-delivery'] as string;
    const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    const signature = request.headers['x-hub-signature-256'];
    if (!verifySignature(body, typeof signature === 'string' ? signature : undefined, secrets)) {
      return fail(reply, metrics, 401, 'invalid_signature', 'The X-Hub-Signature-256 signature does not match the body.');
    }
    const raw = body.toString('utf8');
    let payload: unknown;
    try {
      payload = JSON.parse(raw);
    } catch {
      return fail(reply, metrics, 400, 'malformed_json', 'The body is not valid JSON.');
    }
    if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) {
      return fail(reply, metrics, 400, 'not_an_object', 'The body must be a JSON object.');
    }
    let outcome;
    try {
      // The deadline counts from the request's arrival, so reading the body uses part of it.
      const timeoutMs = commitDeadlineMs - reply.elapsedTime;
      const delivery = describeDelivery(id, event, payload as Record<string, unknown>, raw, receivedAt);
      if (deps.traceDelivery) delivery.traceContext = deps.traceDelivery(request, delivery);
      outcome = await inbox.record(delivery, { timeoutMs });
    } catch (error) {
      if (error instanceof OverloadError && error.reason === 'full') return overloaded(reply);
      if (error instanceof OverloadError) {
        log.warn({ delivery: id, event, deadlineMs: commitDeadlineMs }, 'delivery not recorded within its deadline');
        return fail(
          reply,
          metrics,
          503,
          'timeout',
          `The delivery was not recorded within ${commitDeadlineMs} ms; send it again later.`,
          RETRY_AFTER_OVERLOADED_SECONDS,
        );
      }
      log.error({ err: error, delivery: id, event }, 'delivery could not be stored');
      return fail(
        reply,
        metrics,
        503,
        'unavailable',
        'The delivery could not be recorded; it will be recovered.',
        RETRY_AFTER_UNAVAILABLE_SECONDS,
      );
    }
    if (outcome === 'duplicate') {
      metrics.deliveriesDuplicate.inc();
      return reply.code(200).send({ duplicate: true });
    }
    metrics.deliveriesReceived.inc({ event });
    return reply.code(202).send({ accepted: true, id });
  });
}
