import { type Kysely, sql } from 'kysely';

// The management API's rate-limit counters, when CEOS_API_RATE_LIMIT_STORE=database: one row per
// key or client address and window, shared by every instance on the database.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('api_rate_limits')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('count', 'integer', (c) => c.notNull())
    .addColumn('window_start', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('api_rate_limits_window_start').on('api_rate_limits').column('window_start').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('api_rate_limits').execute();
}
