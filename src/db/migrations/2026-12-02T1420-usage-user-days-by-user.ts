import type { Kysely } from 'kysely';

// Reads of a few people's days (the override holders who use Copilot daily) need the rows by
// user; the day-first primary key only serves whole days. This index keeps those reads to index
// lookups: each day's insert touches it across its leaves, as the old user-first key did.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.createIndex('usage_user_days_org_user').ifNotExists().on('usage_user_days').columns(['org', 'user_id', 'day']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('usage_user_days_org_user').ifExists().execute();
}
