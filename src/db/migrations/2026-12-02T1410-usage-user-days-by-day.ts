import { type Kysely, sql } from 'kysely';

// The users report brings a whole day at once. Keyed (org, user, day), each day's 20,000 rows
// landed across every leaf of the primary key and rewrote it all, slower with every day stored;
// keyed (org, day, user) a day appends to the end. The same key serves the (org, day) range reads,
// so the separate (org, day) index goes.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table usage_user_days drop constraint usage_user_days_pkey`.execute(db);
  await sql`alter table usage_user_days add constraint usage_user_days_pkey primary key (org, day, user_id)`.execute(db);
  await db.schema.dropIndex('usage_user_days_org_day').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.createIndex('usage_user_days_org_day').on('usage_user_days').columns(['org', 'day']).execute();
  await sql`alter table usage_user_days drop constraint usage_user_days_pkey`.execute(db);
  await sql`alter table usage_user_days add constraint usage_user_days_pkey primary key (org, user_id, day)`.execute(db);
}
