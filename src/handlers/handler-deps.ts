import type { Kysely } from 'kysely';
import type { PgBoss } from 'pg-boss';
import type { Logger } from 'pino';
import type { Database } from '../db/schema.js';
import type { PolicyLocation } from '../jobs/reconcile-org.js';

/** What webhook handlers may use: they record and enqueue; jobs do the long work. */
export interface HandlerDeps {
  db: Kysely<Database>;
  boss: PgBoss;
  log: Logger;
  /** Where each organization keeps its policy. */
  policyLocation: PolicyLocation;
}
