import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import type { Logger } from 'pino';
import { operationsRoutes, type ReadinessCheck } from '../routes/operations.js';
import type { Metrics } from './metrics.js';

/** What the HTTP server serves. */
export interface ServerDeps {
  log: Logger;
  metrics: Metrics;
  /** Largest request body accepted (the intake's limit: GitHub sends up to 25 MB). */
  bodyLimit: number;
  readiness: ReadinessCheck[];
  /** Milliseconds a client has to send a whole request (default 30 s; `CEOS_HTTP_REQUEST_TIMEOUT_MS`). */
  requestTimeoutMs?: number;
  /** Milliseconds a connection may stay inactive (default 60 s; `CEOS_HTTP_CONNECTION_TIMEOUT_MS`). */
  connectionTimeoutMs?: number;
  /** Route plugins of the capabilities (intake, policy schema, later the management API), each encapsulated. */
  plugins?: ((app: FastifyInstance) => Promise<void>)[];
}

/** Builds the Fastify app; listening is the caller's concern, so tests can inject requests. */
export async function buildServer(deps: ServerDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.log.child({ component: 'http' }) as FastifyBaseLogger,
    // Per-request logs would cost intake throughput; errors are still logged.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: deps.bodyLimit,
    return503OnClosing: true,
    // Without these a client that trickles its request, or opens connections and sends nothing,
    // holds a socket and its buffers for as long as it likes.
    requestTimeout: deps.requestTimeoutMs ?? 30_000,
    connectionTimeout: deps.connectionTimeoutMs ?? 60_000,
  });
  app.setErrorHandler((error: Error & { statusCode?: number; code?: string }, request, reply) => {
    const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
    if (status === 500) request.log.error({ err: error }, 'request failed');
    // A 5xx says nothing internal; the log has the details.
    return reply.code(status).send({
      error: { code: status === 500 ? 'internal' : 'bad_request', message: status === 500 ? 'Internal error.' : error.message },
    });
  });
  app.setNotFoundHandler((_request, reply) =>
    reply.code(404).send({ error: { code: 'not_found', message: 'No such route.' } }),
  );
  await app.register(async (scope) => operationsRoutes(scope, { metrics: deps.metrics, readiness: deps.readiness }));
  for (const plugin of deps.plugins ?? []) await app.register(plugin);
  return app;
}
