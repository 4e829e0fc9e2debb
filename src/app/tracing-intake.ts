import { ROOT_CONTEXT, type Span, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { ATTR_HTTP_REQUEST_METHOD, ATTR_HTTP_RESPONSE_STATUS_CODE, ATTR_HTTP_ROUTE } from '@opentelemetry/semantic-conventions';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { NewDelivery } from '../db/deliveries.js';
import { TRACE_ATTRIBUTES, storedContextOf, tracer } from './tracing.js';

/** Names a verified delivery on its request's span and returns the trace context to store with it. */
export type TraceDelivery = (request: FastifyRequest, delivery: NewDelivery) => string | null;

/** The span attributes of a stored delivery: its GUID, event, action, installation and organization. */
export function deliveryAttributes(delivery: Pick<NewDelivery, 'id' | 'event' | 'action' | 'installationId' | 'org'>): Record<string, string | number> {
  const attributes: Record<string, string | number> = { [TRACE_ATTRIBUTES.deliveryGuid]: delivery.id, [TRACE_ATTRIBUTES.event]: delivery.event };
  if (delivery.action !== null) attributes[TRACE_ATTRIBUTES.action] = delivery.action;
  if (delivery.installationId !== null) attributes[TRACE_ATTRIBUTES.installationId] = delivery.installationId;
  if (delivery.org !== null) attributes[TRACE_ATTRIBUTES.org] = delivery.org;
  return attributes;
}

/**
 * Gives every request to the routes of `server` (the intake's encapsulated plugin) a SERVER span,
 * ended with its status code when the answer is sent. A trace starts here: GitHub sends no trace
 * context, and a `traceparent` header on an unverified request is not believed. The delivery's
 * own attributes are set only once its signature is verified (the returned function), so nothing a
 * stranger sends is written into traces.
 */
export function traceWebhookRequests(server: FastifyInstance): TraceDelivery {
  const spans = new WeakMap<FastifyRequest, Span>();
  server.addHook('onRequest', async (request) => {
    const route = request.routeOptions.url ?? request.url;
    const span = tracer().startSpan(
      `${request.method} ${route}`,
      { kind: SpanKind.SERVER, attributes: { [ATTR_HTTP_REQUEST_METHOD]: request.method, [ATTR_HTTP_ROUTE]: route } },
      ROOT_CONTEXT,
    );
    spans.set(request, span);
  });
  const end = (request: FastifyRequest, status: number | undefined) => {
    const span = spans.get(request);
    if (!span) return;
    spans.delete(request);
    if (status === undefined) {
      span.setAttribute('error.type', 'aborted');
      span.setStatus({ code: SpanStatusCode.ERROR, message: 'the client closed the request' });
    } else {
      span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, status);
      // Server spans count only 5xx as errors: a refused delivery is the intake doing its job.
      if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    }
    span.end();
  };
  server.addHook('onResponse', async (request, reply) => end(request, reply.statusCode));
  server.addHook('onRequestAbort', async (request) => end(request, undefined));
  return (request, delivery) => {
    const span = spans.get(request);
    if (!span) return null;
    span.setAttributes(deliveryAttributes(delivery));
    return storedContextOf(trace.setSpan(ROOT_CONTEXT, span));
  };
}
