import { type Kysely, sql } from 'kysely';

// Limits on slash commands. A comment's lines past the tenth are recorded as `skipped` (answered
// with one note); a plan or apply handed to the organization's debounced reconciliation records
// when (`handed_at`), so the run that answers it is one that began after it; and the last
// refusal each person got in an organization is kept, so refusals are sent at most once per
// ten minutes however many instances run.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table commands drop constraint if exists commands_status_check`.execute(db);
  await sql`alter table commands add constraint commands_status_check
              check (status in ('queued', 'refused', 'waiting', 'skipped', 'done', 'failed'))`.execute(db);
  await db.schema.alterTable('commands').addColumn('handed_at', 'timestamptz').execute();
  await sql`create index commands_waiting_runs on commands (org, handed_at) where status = 'waiting' and handed_at is not null`.execute(db);

  await db.schema
    .createTable('command_refusals')
    .addColumn('org', 'text', (c) => c.notNull())
    .addColumn('user_id', 'bigint', (c) => c.notNull())
    .addColumn('login', 'text', (c) => c.notNull())
    .addColumn('refused_at', 'timestamptz', (c) => c.notNull())
    .addPrimaryKeyConstraint('command_refusals_pk', ['org', 'user_id'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('command_refusals').execute();
  await sql`drop index commands_waiting_runs`.execute(db);
  await db.schema.alterTable('commands').dropColumn('handed_at').execute();
  await sql`update commands set status = 'done' where status = 'skipped'`.execute(db);
  await sql`alter table commands drop constraint if exists commands_status_check`.execute(db);
  await sql`alter table commands add constraint commands_status_check
              check (status in ('queued', 'refused', 'waiting', 'done', 'failed'))`.execute(db);
}
