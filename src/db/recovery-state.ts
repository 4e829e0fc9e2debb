import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

/** How far the named scan got; null before its first complete run. */
export async function readCheckpoint(db: Kysely<Database>, name: string): Promise<Date | null> {
  const row = await db.selectFrom('recovery_state').select('checkpoint').where('name', '=', name).executeTakeFirst();
  return row?.checkpoint ? new Date(row.checkpoint) : null;
}

/** Records how far the named scan got. */
export async function writeCheckpoint(db: Kysely<Database>, name: string, checkpoint: Date): Promise<void> {
  await db
    .insertInto('recovery_state')
    .values({ name, checkpoint, updated_at: new Date() })
    .onConflict((oc) => oc.column('name').doUpdateSet({ checkpoint, updated_at: new Date() }))
    .execute();
}
