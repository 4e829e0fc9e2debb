import { type Kysely, sql } from 'kysely';

// `/copilot` slash commands: one row per command line of a comment. The unique (comment, line)
// key is what keeps a comment from running twice, however often GitHub delivers it.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('commands')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('org', 'text', (c) => c.notNull())
    .addColumn('installation_id', 'bigint', (c) => c.notNull())
    .addColumn('repository', 'text', (c) => c.notNull())
    .addColumn('issue_number', 'integer', (c) => c.notNull())
    .addColumn('comment_id', 'bigint', (c) => c.notNull())
    .addColumn('line', 'integer', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('commenter', 'text', (c) => c.notNull())
    .addColumn('verb', 'text')
    .addColumn('command', 'jsonb')
    .addColumn('usage_error', 'text')
    .addColumn('status', 'text', (c) =>
      c.notNull().check(sql`status in ('queued', 'refused', 'waiting', 'done', 'failed')`),
    )
    .addColumn('delivery_id', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'timestamptz')
    .addColumn('reply_comment_id', 'bigint')
    .addColumn('error', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('finished_at', 'timestamptz')
    .addUniqueConstraint('commands_comment_line', ['comment_id', 'line'])
    .execute();
  await sql`create index commands_org on commands (org, created_at desc)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('commands').execute();
}
