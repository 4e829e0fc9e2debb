import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { Metrics } from '../app/metrics.js';
import type { DeliveryInbox } from './delivery-inbox.js';
import { describeDelivery } from './describe-delivery.js';
import { verifySignature } from './verify-signature.js';

/** What the intake route needs. */
export interface WebhookRouteDeps {
  /** Accepted webhook secrets; empty when the app is not configured yet. */
  secrets: readonly string[];
  inbox: DeliveryInbox;
  metrics: Metrics;
  log: Logger;
  maxBytes: number;
}

export const WEBHOOK_PATH = '/api/github/webhooks';

const GUID = /^[A-Za-z0-9-]{1,100}$/;
const EVENT = /^[a-z0-9_]{1,64}$/;

function fail(reply: FastifyReply, metrics: Metrics, status: number, code: string, message: string) {
  metrics.deliveriesRejected.inc({ reason: code });
  return reply.code(status).send({ error: { code, message } });
}

function isJson(contentType: string | undefined): boolean {
  if (!contentType) return false;
  const type = contentType.split(';', 1)[0]!.trim().toLowerCase();
  return type === 'application/json';
}

/**
 * POST /api/github/webhooks: verify, record durably, answer. Nothing else happens on the request
 * path; handlers run later from the inbox. Checks run in this order: headers that need no secret,
 * then the signature over the raw body, and only then is the body parsed.
 */
export async function webhookRoute(app: FastifyInstance, deps: WebhookRouteDeps): Promise<void> {
  const { secrets, inbox, metrics, log } = deps;

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

  app.post(WEBHOOK_PATH, async (request: FastifyRequest, reply: FastifyReply) => {
    const receivedAt = new Date();
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
    if (secrets.length === 0) {
      return fail(reply, metrics, 503, 'not_configured', 'WEBHOOK_SECRET is not set, so no delivery can be verified.');
    }
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
      outcome = await inbox.record(describeDelivery(id, event, payload as Record<string, unknown>, raw, receivedAt));
    } catch (error) {
      log.error({ err: error, delivery: id, event }, 'delivery could not be stored');
      return fail(reply, metrics, 503, 'unavailable', 'The delivery could not be recorded; it will be recovered.');
    }
    if (outcome === 'duplicate') {
      metrics.deliveriesDuplicate.inc();
      return reply.code(200).send({ duplicate: true });
    }
    metrics.deliveriesReceived.inc({ event });
    return reply.code(202).send({ accepted: true, id });
  });
}
