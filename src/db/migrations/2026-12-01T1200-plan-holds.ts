import { type Kysely, sql } from 'kysely';

// The mass-cancellation safeguard holds a plan's cancellations until an organization owner
// confirms them. A held plan records how many it holds, who confirmed it and when, and the newer
// held plan that superseded it; the plan that carries out a confirmation names the plan it confirms.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table plans add column held integer not null default 0`.execute(db);
  await sql`alter table plans add column confirmed_by text`.execute(db);
  await sql`alter table plans add column confirmed_at timestamptz`.execute(db);
  await sql`alter table plans add column superseded_by uuid`.execute(db);
  await sql`alter table plans add column confirms_plan_id uuid`.execute(db);
  await sql`create index plans_awaiting_confirmation on plans (org, created_at) where status = 'awaiting_confirmation'`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop index plans_awaiting_confirmation`.execute(db);
  await sql`alter table plans drop column confirms_plan_id`.execute(db);
  await sql`alter table plans drop column superseded_by`.execute(db);
  await sql`alter table plans drop column confirmed_at`.execute(db);
  await sql`alter table plans drop column confirmed_by`.execute(db);
  await sql`alter table plans drop column held`.execute(db);
}
