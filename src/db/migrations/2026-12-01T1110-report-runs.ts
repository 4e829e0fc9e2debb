import { type Kysely, sql } from 'kysely';

// Reporting is a job of its own, apart from applying: a finished plan keeps what its report
// needs (where to report it, the policy's problems when the policy file was invalid), and the
// reconcile job that made it, so a plan a dead process left `applying` can be told from a live one.
// A command records when posting its reply was first attempted, so a retried reply looks for the
// comment it may already have posted instead of posting a second one.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table plans add column report jsonb`.execute(db);
  await sql`alter table plans add column policy_errors jsonb`.execute(db);
  await sql`alter table plans add column job_id text`.execute(db);
  await sql`create index plans_applying on plans (created_at) where status = 'applying'`.execute(db);
  await sql`alter table commands add column reply_attempted_at timestamptz`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`alter table commands drop column reply_attempted_at`.execute(db);
  await sql`drop index plans_applying`.execute(db);
  await sql`alter table plans drop column job_id`.execute(db);
  await sql`alter table plans drop column policy_errors`.execute(db);
  await sql`alter table plans drop column report`.execute(db);
}
