import { PgBoss, fromPglite } from 'pg-boss';
import type { Logger } from 'pino';
import type { DatabaseHandle } from '../db/connect.js';

/**
 * Creates pg-boss on the same database as the app, in a schema of its own. On the embedded
 * database it shares the PGlite instance (one connection); on PostgreSQL it opens its own small
 * pool and listens for NOTIFY so jobs start at once on any instance.
 */
export function createQueue(database: DatabaseHandle, log: Logger, options: { background?: boolean; traceContext?: boolean } = {}): PgBoss {
  const schema = `${database.schema}_jobs`;
  // A short-lived process (the CLI sending one job) runs none of pg-boss's background work.
  const background = options.background === false ? { supervise: false, schedule: false } : {};
  // While tracing, each job stores the trace context it was sent in, so its run continues that trace.
  const telemetry = options.traceContext ? { openTelemetry: { propagateContext: true } } : {};
  const boss = database.pglite
    ? new PgBoss({ db: fromPglite(database.pglite), backend: 'pglite', schema, useListenNotify: true, ...background, ...telemetry })
    : new PgBoss({ connectionString: database.connectionString!, schema, max: 4, useListenNotify: true, ...background, ...telemetry });
  // Registered before start(): pg-boss reports background failures as events, never throws them.
  boss.on('error', (error) => log.error({ err: error }, 'job queue error'));
  boss.on('warning', (warning) => log.warn({ warning }, 'job queue warning'));
  return boss;
}
