import { type Kysely, sql } from 'kysely';

// GitHub's rate limits are per installation, not per process. Every instance on the database
// shares one budget per installation: `github_budgets` says until when GitHub told anyone to wait,
// and `github_write_slots` holds the start times reserved for content-creating requests (the
// secondary limit's windows are counted over it, on the database clock).
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('github_budgets')
    .addColumn('installation_id', 'bigint', (c) => c.primaryKey())
    .addColumn('blocked_until', 'timestamptz')
    .addColumn('blocked_reason', 'text')
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema
    .createTable('github_write_slots')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('installation_id', 'bigint', (c) => c.notNull())
    .addColumn('starts_at', 'timestamptz', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('github_write_slots_installation_starts_at')
    .on('github_write_slots')
    .columns(['installation_id', 'starts_at'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('github_write_slots').execute();
  await db.schema.dropTable('github_budgets').execute();
}
