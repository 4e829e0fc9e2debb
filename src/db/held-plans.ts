import { type Kysely, sql } from 'kysely';
import type { Database } from './schema.js';

/** Plans held for confirmation (status `awaiting_confirmation`), counted by organization. */
export async function countHeldPlans(db: Kysely<Database>): Promise<Record<string, number>> {
  const result = await sql<{ org: string; count: string }>`
    select org, count(*) as count from plans where status = 'awaiting_confirmation' group by org`.execute(db);
  return Object.fromEntries(result.rows.map((r) => [r.org, Number(r.count)]));
}
