import { type Context, ROOT_CONTEXT, type Span, type SpanOptions, SpanStatusCode, context, propagation, trace } from '@opentelemetry/api';
import type { Logger } from 'pino';
import type { TracingConfig } from './config.js';

/**
 * OpenTelemetry traces, behind `OTEL_EXPORTER_OTLP_ENDPOINT`. Instrumented code uses only
 * `@opentelemetry/api`, which is a no-op until an SDK registers; the SDK itself
 * (`tracing-sdk.ts`) is imported only when tracing is on, so a process without the variable loads
 * none of it and every wrapper below is left out where the process is wired.
 */

/** Name of CEOS's tracer: the instrumentation scope its spans are exported under. */
export const TRACER_NAME = 'ceos';

/** Span attributes CEOS sets beside the semantic conventions' own. */
export const TRACE_ATTRIBUTES = {
  /** The X-GitHub-Delivery GUID. */
  deliveryGuid: 'github.delivery.guid',
  event: 'github.event',
  action: 'github.action',
  installationId: 'github.installation.id',
  /** The organization the work is for: its login as GitHub sent it on a delivery, CEOS's lower-cased key on a job. */
  org: 'ceos.org',
  /** The attempt number of a delivery (1 for the first). */
  attempt: 'ceos.delivery.attempt',
  /** The name of the webhook handler function. */
  handler: 'ceos.handler',
} as const;

/** A running tracing setup. */
export interface Tracing {
  /** Whether an SDK is registered and spans are exported. */
  readonly enabled: boolean;
  /** Exports every span ended so far. */
  forceFlush(): Promise<void>;
  /** Exports what is left, then unregisters the SDK (the last step of a stop). */
  shutdown(): Promise<void>;
}

const OFF: Tracing = { enabled: false, forceFlush: async () => {}, shutdown: async () => {} };

/** Starts tracing when the configuration names an endpoint; otherwise loads nothing. */
export async function startTracing(config: TracingConfig, log: Logger): Promise<Tracing> {
  if (!config.tracesUrl) return OFF;
  const { startTracingSdk } = await import('./tracing-sdk.js');
  return startTracingSdk({ ...config, tracesUrl: config.tracesUrl }, log);
}

/** CEOS's tracer (the global one, so a provider registered later still receives its spans). */
export function tracer() {
  return trace.getTracer(TRACER_NAME);
}

/** The trace context of `ctx` as a JSON carrier to store beside work; null when there is none. */
export function storedContextOf(ctx: Context): string | null {
  const carrier: Record<string, string> = {};
  propagation.inject(ctx, carrier);
  return Object.keys(carrier).length > 0 ? JSON.stringify(carrier) : null;
}

/** The context a stored carrier names; the root context when there is none or it is unreadable. */
export function contextFromStored(stored: string | null | undefined): Context {
  if (!stored) return ROOT_CONTEXT;
  try {
    const carrier: unknown = JSON.parse(stored);
    if (carrier !== null && typeof carrier === 'object' && !Array.isArray(carrier)) {
      return propagation.extract(ROOT_CONTEXT, carrier as Record<string, string>);
    }
  } catch {
    // A carrier that does not parse starts a new trace: telemetry never fails the work.
  }
  return ROOT_CONTEXT;
}

/** Marks a span failed by `error`: an exception event, `error.type` and an error status. */
export function recordFailure(span: Span, error: unknown): void {
  const type = error instanceof Error ? error.constructor.name : '_OTHER';
  span.setAttribute('error.type', type);
  if (error instanceof Error) span.recordException(error);
  span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
}

/** Runs `fn` in a new span under `parent`, active while it runs; ends it and records a failure. */
export async function inSpan<T>(name: string, options: SpanOptions, parent: Context, fn: (span: Span) => Promise<T>): Promise<T> {
  const span = tracer().startSpan(name, options, parent);
  try {
    return await context.with(trace.setSpan(parent, span), () => fn(span));
  } catch (error) {
    recordFailure(span, error);
    throw error;
  } finally {
    span.end();
  }
}
