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
  deps: { metrics: Metrics; readiness: ReadinessCheck[]; checkTimeoutMs?: number },
): Promise<void> {
  // A probe must answer promptly even when the database does not (a check waiting on a connection
  // that cannot be made would otherwise hold /readyz for the whole connect timeout).
  const checkTimeoutMs = deps.checkTimeoutMs ?? 2000;

  app.get('/healthz', async () => ({ status: 'ok' }));

  app.get('/readyz', async (_request, reply) => {
    const checks = await Promise.all(
      deps.readiness.map(async (check) => {
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<{ name: string; ok: boolean; detail?: string }>((resolve) => {
          timer = setTimeout(() => resolve({ name: check.name || 'check', ok: false, detail: `no answer within ${checkTimeoutMs} ms` }), checkTimeoutMs);
        });
        try {
          return await Promise.race([check(), timeout]);
        } catch {
          return { name: check.name || 'check', ok: false, detail: 'check failed' };
        } finally {
          clearTimeout(timer);
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
