import { type Kysely, sql } from 'kysely';

// Signed-in dashboard sessions, kept on the server so that signing out, revoking the key a
// session was opened with, or reaching its expiry ends it at once. Only a hash of each token is kept.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('sessions')
    .addColumn('token_hash', 'text', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('api_key', 'github')`))
    // Deleting a key deletes its sessions; revoking it ends them through the check at each request.
    .addColumn('api_key_id', 'uuid', (c) => c.references('api_keys.id').onDelete('cascade'))
    .addColumn('github_user_id', 'bigint')
    .addColumn('github_login', 'text')
    .addColumn('role', 'text', (c) => c.notNull().check(sql`role in ('admin', 'operator', 'auditor', 'viewer')`))
    .addColumn('orgs', sql`text[]`)
    .addColumn('csrf_token', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addCheckConstraint('sessions_identity', sql`(kind = 'api_key' and api_key_id is not null) or (kind = 'github' and github_user_id is not null and github_login is not null)`)
    .execute();
  await db.schema.createIndex('sessions_expires_at').on('sessions').column('expires_at').execute();
  await db.schema.createIndex('sessions_api_key_id').on('sessions').column('api_key_id').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('sessions').execute();
}
