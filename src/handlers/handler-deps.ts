import type { Kysely } from 'kysely';
import type { PgBoss } from 'pg-boss';
import type { Logger } from 'pino';
import type { Database } from '../db/schema.js';

/** What webhook handlers may use: they record and enqueue; jobs do the long work. */
export interface HandlerDeps {
  db: Kysely<Database>;
  boss: PgBoss;
  log: Logger;
}
