import { DiagLogLevel, context, diag, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import type { Logger } from 'pino';
import type { TracingConfig } from './config.js';
import type { Tracing } from './tracing.js';

// How long a stop waits for the last spans to be exported.
const SHUTDOWN_EXPORT_MS = 5000;

/**
 * The tracing SDK, imported only when `OTEL_EXPORTER_OTLP_ENDPOINT` is set: a tracer provider
 * exporting batches over OTLP/HTTP (protobuf or JSON), the async-local-storage context manager
 * (so a span started in a handler is the parent of the GitHub requests it makes) and the W3C
 * trace-context propagator, which writes what the inbox and pg-boss store beside work.
 *
 * It registers globally, because pg-boss and the instrumented modules use the global API: one
 * traced CEOS per process.
 */
export async function startTracingSdk(config: TracingConfig & { tracesUrl: string }, log: Logger): Promise<Tracing> {
  const tracingLog = log.child({ component: 'tracing' });
  // The SDK reports failed exports through `diag`; errors and warnings reach the log.
  diag.setLogger(
    {
      error: (message, ...args) => tracingLog.warn({ details: args.map(String) }, message),
      warn: (message, ...args) => tracingLog.warn({ details: args.map(String) }, message),
      info: () => {},
      debug: () => {},
      verbose: () => {},
    },
    { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true },
  );
  const { OTLPTraceExporter } =
    config.protocol === 'http/json' ? await import('@opentelemetry/exporter-trace-otlp-http') : await import('@opentelemetry/exporter-trace-otlp-proto');
  const exporter = new OTLPTraceExporter({ url: config.tracesUrl });
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: config.serviceName }),
    spanProcessors: [new BatchSpanProcessor({ exporter })],
  });
  const contextManager = new AsyncLocalStorageContextManager().enable();
  if (!trace.setGlobalTracerProvider(provider)) {
    await provider.shutdown();
    contextManager.disable();
    throw new Error('an OpenTelemetry tracer provider is already registered in this process (one traced CEOS per process)');
  }
  context.setGlobalContextManager(contextManager);
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  // Without any user or password the URL may carry.
  const shown = new URL(config.tracesUrl);
  tracingLog.info({ url: `${shown.origin}${shown.pathname}`, protocol: config.protocol, serviceName: config.serviceName }, 'exporting traces');
  return {
    enabled: true,
    forceFlush: () => provider.forceFlush(),
    async shutdown() {
      // A collector that does not answer must not hold the stop past the grace the platform gives.
      let timer: NodeJS.Timeout | undefined;
      const bound = new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          tracingLog.warn({ timeoutMs: SHUTDOWN_EXPORT_MS }, 'the last spans were not exported in time; stopping without them');
          resolve();
        }, SHUTDOWN_EXPORT_MS);
      });
      try {
        await Promise.race([
          provider.shutdown().catch((error: unknown) => tracingLog.warn({ err: error }, 'the last spans could not be exported')),
          bound,
        ]);
      } finally {
        clearTimeout(timer);
        trace.disable();
        context.disable();
        propagation.disable();
        diag.disable();
      }
    },
  };
}
