import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';

/**
 * When GitHub sent a delivery, as recorded on receipt. Mirror updates are stamped with it, so a
 * delivery processed late (a retry, a replay) never overwrites what a newer one said.
 */
export async function deliveryTime(db: Kysely<Database>, deliveryId: string): Promise<Date> {
  const row = await db.selectFrom('deliveries').select('received_at').where('id', '=', deliveryId).executeTakeFirst();
  return row ? new Date(row.received_at) : new Date();
}
