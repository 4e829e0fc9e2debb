import { type Kysely, sql } from 'kysely';

// Copilot usage, as collected from GitHub's daily usage reports, and a daily snapshot of the
// seats from the mirror. Every table is keyed by organization and day so that collecting a day
// again replaces it (DECISIONS 14).
export async function up(db: Kysely<any>): Promise<void> {
  // Whether usage can be collected for the org at all (metrics policy off, permission missing).
  await db.schema
    .createTable('usage_collection')
    .addColumn('org', 'text', (c) => c.primaryKey())
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('ok', 'unavailable')`))
    .addColumn('http_status', 'integer')
    .addColumn('message', 'text')
    .addColumn('status_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('last_attempt_at', 'timestamptz')
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  // One row per report and day collected: "no data" is a row with status no_data, never zeros.
  await db.schema
    .createTable('usage_report_days')
    .addColumn('org', 'text', (c) => c.notNull())
    .addColumn('report', 'text', (c) => c.notNull().check(sql`report in ('organization', 'users', 'user_teams')`))
    .addColumn('day', 'date', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('data', 'no_data')`))
    .addColumn('links', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('records', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('collected_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('usage_report_days_pkey', ['org', 'report', 'day'])
    .execute();

  await db.schema
    .createTable('usage_org_days')
    .addColumn('org', 'text', (c) => c.notNull())
    .addColumn('day', 'date', (c) => c.notNull())
    .addColumn('daily_active_users', 'integer')
    .addColumn('weekly_active_users', 'integer')
    .addColumn('monthly_active_users', 'integer')
    .addColumn('interactions', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('code_generations', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('code_acceptances', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('loc_suggested', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('loc_added', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('by_ide', 'jsonb')
    .addColumn('by_feature', 'jsonb')
    .addColumn('collected_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('usage_org_days_pkey', ['org', 'day'])
    .execute();

  await db.schema
    .createTable('usage_user_days')
    .addColumn('org', 'text', (c) => c.notNull())
    .addColumn('user_id', 'bigint', (c) => c.notNull())
    .addColumn('day', 'date', (c) => c.notNull())
    .addColumn('login', 'text', (c) => c.notNull())
    .addColumn('interactions', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('code_generations', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('code_acceptances', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('loc_suggested', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('loc_added', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('used_chat', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('used_agent', 'boolean', (c) => c.notNull().defaultTo(false))
    // The editor with the most activity that day, when the report names one.
    .addColumn('ide', 'text')
    .addPrimaryKeyConstraint('usage_user_days_pkey', ['org', 'user_id', 'day'])
    .execute();
  await db.schema.createIndex('usage_user_days_org_day').on('usage_user_days').columns(['org', 'day']).execute();

  // Team numbers: the users report joined with the user-teams report on the user, per team and day.
  await db.schema
    .createTable('usage_team_days')
    .addColumn('org', 'text', (c) => c.notNull())
    .addColumn('team_slug', 'text', (c) => c.notNull())
    .addColumn('day', 'date', (c) => c.notNull())
    .addColumn('team_id', 'bigint')
    .addColumn('active_users', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('interactions', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('code_generations', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('code_acceptances', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('loc_suggested', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('loc_added', 'integer', (c) => c.notNull().defaultTo(0))
    .addPrimaryKeyConstraint('usage_team_days_pkey', ['org', 'team_slug', 'day'])
    .execute();

  // The seats as the mirror had them once a day: the history behind cost and utilization charts.
  await db.schema
    .createTable('seat_snapshots')
    .addColumn('org', 'text', (c) => c.notNull())
    .addColumn('day', 'date', (c) => c.notNull())
    .addColumn('total', 'integer', (c) => c.notNull())
    .addColumn('active_1d', 'integer', (c) => c.notNull())
    .addColumn('active_7d', 'integer', (c) => c.notNull())
    .addColumn('active_30d', 'integer', (c) => c.notNull())
    .addColumn('never_used', 'integer', (c) => c.notNull())
    .addColumn('pending_cancellation', 'integer', (c) => c.notNull())
    // {"vscode": 12, "jetbrains": 3, "none": 2}: seats by the editor of their last activity.
    .addColumn('by_editor', 'jsonb', (c) => c.notNull())
    // {"business": 40, "enterprise": 2}: seats by Copilot plan, for cost at each plan's price.
    .addColumn('by_plan', 'jsonb', (c) => c.notNull())
    .addColumn('taken_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('seat_snapshots_pkey', ['org', 'day'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['seat_snapshots', 'usage_team_days', 'usage_user_days', 'usage_org_days', 'usage_report_days', 'usage_collection']) {
    await db.schema.dropTable(table).execute();
  }
}
