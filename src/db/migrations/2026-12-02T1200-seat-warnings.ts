import { type Kysely, sql } from 'kysely';

// Warnings before an inactivity cancellation (inactivity.warn_before_days). A seat holder is warned
// once per period of inactivity: the row says when, from which last activity it counted, and
// whether the comment mentioning them was posted. Each organization has one tracking issue in its
// policy repository, whose body lists the warned seats.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('seat_warnings')
    .addColumn('org', 'text', (c) => c.notNull())
    .addColumn('user_id', 'bigint', (c) => c.notNull())
    .addColumn('login', 'text', (c) => c.notNull())
    .addColumn('inactive_since', 'timestamptz', (c) => c.notNull())
    .addColumn('warned_at', 'timestamptz', (c) => c.notNull())
    .addColumn('due_on', 'text', (c) => c.notNull())
    .addColumn('plan_id', 'uuid')
    .addColumn('notified_at', 'timestamptz')
    .addColumn('comment_id', 'bigint')
    .addPrimaryKeyConstraint('seat_warnings_pkey', ['org', 'user_id'])
    .execute();
  await sql`create index seat_warnings_unnotified on seat_warnings (org) where notified_at is null`.execute(db);
  await db.schema
    .createTable('warning_issues')
    .addColumn('org', 'text', (c) => c.primaryKey())
    .addColumn('repository', 'text', (c) => c.notNull())
    .addColumn('issue_number', 'integer', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull().check(sql`state in ('open', 'closed')`))
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('warning_issues').execute();
  await db.schema.dropTable('seat_warnings').execute();
}
