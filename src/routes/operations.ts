import type { FastifyInstance } from 'fastify';
import type { Metrics } from '../app/metrics.js';

/** A readiness probe: a name and whether it passes, with a reason when it does not. */
export type ReadinessCheck = () => Promise<{ name: string; ok: boolean; detail?: string }>;

/**
 * GET /healthz (the process is alive), GET /readyz (it can do its work: 503 with the failing
 * checks otherwise) and GET /metrics (Prometheus).
 */
export async function operationsRoutes(
  app: FastifyInstance,
  deps: { metrics: Metrics; readiness: ReadinessCheck[] },
): Promise<void> {
  app.get('/healthz', async () => ({ status: 'ok' }));

  app.get('/readyz', async (_request, reply) => {
    const checks = await Promise.all(
      deps.readiness.map(async (check) => {
        try {
          return await check();
        } catch {
          return { name: check.name || 'check', ok: false, detail: 'check failed' };
        }
      }),
    );
    const ready = checks.every((c) => c.ok);
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not_ready', checks });
  });

  app.get('/metrics', async (_request, reply) => {
    const body = await deps.metrics.registry.metrics();
    return reply.type(deps.metrics.registry.contentType).send(body);
  });
}
