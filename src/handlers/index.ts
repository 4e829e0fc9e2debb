import type { ApplicationFunction } from 'probot';
import type { Logger } from 'pino';
import type { Kysely } from 'kysely';
import type { PgBoss } from 'pg-boss';
import type { Database } from '../db/schema.js';

/** What webhook handlers may use: they record and enqueue, the jobs do the work. */
export interface HandlerDeps {
  db: Kysely<Database>;
  boss: PgBoss;
  log: Logger;
}

/** The product's webhook handlers, as a Probot app function. */
export function createAppFunction(_deps: HandlerDeps): ApplicationFunction {
  return () => {};
}
