import { type Kysely, sql } from 'kysely';

// Retention: the prune job walks these indexes a batch at a time, so no batch scans what an earlier
// one already handled. A dropped payload is stored as the empty string (a delivery's body is never
// empty: the intake only stores JSON objects), which keeps the column's type unchanged.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`create index deliveries_payload_kept on deliveries (processed_at) where status = 'processed' and payload <> ''`.execute(db);
  await sql`create index plans_created_at on plans (created_at)`.execute(db);
  await sql`create index domain_events_dispatched on domain_events (dispatched_at) where dispatched_at is not null`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop index domain_events_dispatched`.execute(db);
  await sql`drop index plans_created_at`.execute(db);
  await sql`drop index deliveries_payload_kept`.execute(db);
}
