import { type Kysely, sql } from 'kysely';

// The organization mirror (installations, members, teams, seats, billing) and reconciliation
// (overrides, policies, plans and their per-user changes).
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('installations')
    .addColumn('id', 'bigint', (c) => c.primaryKey())
    .addColumn('account_login', 'text', (c) => c.notNull())
    .addColumn('org', 'text', (c) => c.notNull())
    .addColumn('account_id', 'bigint', (c) => c.notNull())
    .addColumn('account_type', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('active', 'suspended', 'deleted')`))
    .addColumn('repository_selection', 'text')
    .addColumn('permissions', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('events', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await sql`create index installations_org on installations (org)`.execute(db);

  await db.schema
    .createTable('org_members')
    .addColumn('org', 'text', (c) => c.notNull())
    .addColumn('login_key', 'text', (c) => c.notNull())
    .addColumn('login', 'text', (c) => c.notNull())
    .addColumn('user_id', 'bigint', (c) => c.notNull())
    .addColumn('role', 'text', (c) => c.notNull().check(sql`role in ('admin', 'member')`))
    .addColumn('present', 'boolean', (c) => c.notNull())
    .addColumn('source_at', 'timestamptz', (c) => c.notNull())
    .addPrimaryKeyConstraint('org_members_pk', ['org', 'login_key'])
    .execute();

  await db.schema
    .createTable('org_teams')
    .addColumn('org', 'text', (c) => c.notNull())
    .addColumn('slug', 'text', (c) => c.notNull())
    .addColumn('team_id', 'bigint', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('parent_slug', 'text')
    .addColumn('present', 'boolean', (c) => c.notNull())
    .addColumn('source_at', 'timestamptz', (c) => c.notNull())
    .addPrimaryKeyConstraint('org_teams_pk', ['org', 'slug'])
    .execute();
  await sql`create index org_teams_id on org_teams (org, team_id)`.execute(db);

  await db.schema
    .createTable('org_team_members')
    .addColumn('org', 'text', (c) => c.notNull())
    .addColumn('team_slug', 'text', (c) => c.notNull())
    .addColumn('login_key', 'text', (c) => c.notNull())
    .addColumn('login', 'text', (c) => c.notNull())
    .addColumn('present', 'boolean', (c) => c.notNull())
    .addColumn('source_at', 'timestamptz', (c) => c.notNull())
    .addPrimaryKeyConstraint('org_team_members_pk', ['org', 'team_slug', 'login_key'])
    .execute();

  await db.schema
    .createTable('copilot_seats')
    .addColumn('org', 'text', (c) => c.notNull())
    .addColumn('login_key', 'text', (c) => c.notNull())
    .addColumn('login', 'text', (c) => c.notNull())
    .addColumn('user_id', 'bigint', (c) => c.notNull())
    .addColumn('assigning_team_slug', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('last_activity_at', 'timestamptz')
    .addColumn('last_activity_editor', 'text')
    .addColumn('last_authenticated_at', 'timestamptz')
    .addColumn('pending_cancellation_date', 'text')
    .addColumn('plan_type', 'text', (c) => c.notNull())
    .addColumn('synced_at', 'timestamptz', (c) => c.notNull())
    .addPrimaryKeyConstraint('copilot_seats_pk', ['org', 'login_key'])
    .execute();

  await db.schema
    .createTable('copilot_billing')
    .addColumn('org', 'text', (c) => c.primaryKey())
    .addColumn('seat_management_setting', 'text', (c) => c.notNull())
    .addColumn('plan_type', 'text')
    .addColumn('seat_breakdown', 'jsonb', (c) => c.notNull())
    .addColumn('synced_at', 'timestamptz', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('org_sync_state')
    .addColumn('org', 'text', (c) => c.primaryKey())
    .addColumn('members_synced_at', 'timestamptz')
    .addColumn('seats_synced_at', 'timestamptz')
    .addColumn('last_error', 'text')
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable('seat_overrides')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('org', 'text', (c) => c.notNull())
    .addColumn('login_key', 'text', (c) => c.notNull())
    .addColumn('login', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('grant', 'revoke')`))
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('lifted_at', 'timestamptz')
    .addColumn('lifted_by', 'text')
    .execute();
  await sql`create index seat_overrides_active on seat_overrides (org, login_key) where lifted_at is null`.execute(db);

  await db.schema
    .createTable('org_policies')
    .addColumn('org', 'text', (c) => c.primaryKey())
    .addColumn('sha', 'text')
    .addColumn('ref', 'text')
    .addColumn('text', 'text')
    .addColumn('policy', 'jsonb')
    .addColumn('errors', 'jsonb')
    .addColumn('loaded_at', 'timestamptz', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('plans')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('org', 'text', (c) => c.notNull())
    .addColumn('trigger', 'text', (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('mode', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('policy_sha', 'text')
    .addColumn('plan', 'jsonb', (c) => c.notNull())
    .addColumn('adds', 'integer', (c) => c.notNull())
    .addColumn('cancels', 'integer', (c) => c.notNull())
    .addColumn('violations', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('finished_at', 'timestamptz')
    .execute();
  await sql`create index plans_org on plans (org, created_at desc)`.execute(db);

  await db.schema
    .createTable('plan_changes')
    .addColumn('plan_id', 'uuid', (c) => c.notNull().references('plans.id').onDelete('cascade'))
    .addColumn('login_key', 'text', (c) => c.notNull())
    .addColumn('login', 'text', (c) => c.notNull())
    .addColumn('op', 'text', (c) => c.notNull().check(sql`op in ('add', 'cancel')`))
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('pending', 'done', 'failed')`))
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_error', 'text')
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('plan_changes_pk', ['plan_id', 'login_key'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of [
    'plan_changes',
    'plans',
    'org_policies',
    'seat_overrides',
    'org_sync_state',
    'copilot_billing',
    'copilot_seats',
    'org_team_members',
    'org_teams',
    'org_members',
    'installations',
  ]) {
    await db.schema.dropTable(table).execute();
  }
}
