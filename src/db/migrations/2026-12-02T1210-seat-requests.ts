import { type Kysely, sql } from 'kysely';

// Seat requests (/copilot request): a member asks for a Copilot seat where they work, and an
// owner or a member of the command teams approves or declines it. One pending request per person
// at a time; decided requests are kept as the record of who asked and who answered.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('seat_requests')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('org', 'text', (c) => c.notNull())
    .addColumn('login', 'text', (c) => c.notNull())
    .addColumn('login_key', 'text', (c) => c.notNull())
    .addColumn('user_id', 'bigint')
    .addColumn('reason', 'text')
    .addColumn('state', 'text', (c) => c.notNull().check(sql`state in ('pending', 'approved', 'declined', 'expired')`))
    .addColumn('repository', 'text')
    .addColumn('issue_number', 'integer')
    .addColumn('comment_id', 'bigint')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('decided_by', 'text')
    .addColumn('decided_at', 'timestamptz')
    .addColumn('decision_reason', 'text')
    .execute();
  await sql`create unique index seat_requests_one_pending on seat_requests (org, login_key) where state = 'pending'`.execute(db);
  await db.schema.createIndex('seat_requests_org_state').on('seat_requests').columns(['org', 'state', 'created_at']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('seat_requests').execute();
}
