import { SpanKind, context } from '@opentelemetry/api';
import type { Probot } from 'probot';
import type { ProcessDelivery } from '../engine/delivery-worker.js';
import { describeDelivery } from '../intake/describe-delivery.js';
import { TRACE_ATTRIBUTES, contextFromStored, inSpan } from './tracing.js';
import { deliveryAttributes } from './tracing-intake.js';

/**
 * Runs each attempt of a delivery in a CONSUMER span that continues the trace of the intake request
 * that stored it (the context stored on its row), so the intake, every attempt, its handlers, the
 * jobs they queue and the GitHub requests of all of them make one trace, across instances.
 */
export function traceDeliveries(process: ProcessDelivery): ProcessDelivery {
  return ({ id, name, payload, attempt, traceContext }) => {
    const object = payload !== null && typeof payload === 'object' && !Array.isArray(payload) ? (payload as Record<string, unknown>) : {};
    const attributes = deliveryAttributes(describeDelivery(id, name, object, ''));
    if (attempt !== undefined) attributes[TRACE_ATTRIBUTES.attempt] = attempt;
    return inSpan(`delivery ${name}`, { kind: SpanKind.CONSUMER, attributes }, contextFromStored(traceContext), () =>
      process({ id, name, payload }),
    );
  };
}

type On = Probot['on'];

/**
 * Wraps every handler the app registers (`app.on`) in a span of its own, named after the events it
 * handles, under the delivery's span. Installed on the Probot instance before the app loads.
 */
export function traceHandlers(probot: Probot): void {
  const on = probot.on;
  probot.on = ((eventName: string | string[], callback: (event: { id: string; name: string }) => Promise<void>) => {
    const events = Array.isArray(eventName) ? eventName.join(',') : eventName;
    const traced = (event: { id: string; name: string }) =>
      inSpan(
        `handler ${events}`,
        {
          kind: SpanKind.INTERNAL,
          attributes: { [TRACE_ATTRIBUTES.handler]: callback.name || 'anonymous', [TRACE_ATTRIBUTES.deliveryGuid]: event.id, [TRACE_ATTRIBUTES.event]: event.name },
        },
        context.active(),
        () => callback(event),
      );
    return (on as (name: string | string[], handler: typeof traced) => void)(eventName, traced);
  }) as On;
}
