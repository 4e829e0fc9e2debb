import { type Kysely, type Transaction, sql } from 'kysely';
import type { OrgUsageRecord, TeamUsage, UserUsageRecord } from '../domain/usage/parse-usage-records.js';
import type { Database } from './schema.js';
import type { UsageReportName } from './usage-schema.js';

type Db = Kysely<Database> | Transaction<Database>;

/** Rows per insert: 11 arrays of 1,000 values keep each statement small and the round trips few. */
export const USER_DAY_BATCH = 1000;

/** Removes an organization's rows of one day from the users report (and the team rows built from it). */
export async function deleteUserDays(trx: Db, org: string, day: string): Promise<void> {
  await trx.deleteFrom('usage_user_days').where('org', '=', org).where('day', '=', day).execute();
  await trx.deleteFrom('usage_team_days').where('org', '=', org).where('day', '=', day).execute();
}

/**
 * Inserts users-report rows with one statement of `unnest` arrays. A user listed twice in one day
 * (two files of one report overlapping) keeps the last line, as the report's own order says.
 */
export async function insertUserDays(trx: Db, org: string, rows: readonly UserUsageRecord[]): Promise<number> {
  if (rows.length === 0) return 0;
  const result = await sql`
    insert into usage_user_days (org, user_id, day, login, interactions, code_generations, code_acceptances, loc_suggested, loc_added, used_chat, used_agent, ide)
    select ${org}, u.* from unnest(
      ${rows.map((r) => String(r.userId))}::bigint[], ${rows.map((r) => r.day)}::date[], ${rows.map((r) => r.login)}::text[],
      ${rows.map((r) => r.interactions)}::int[], ${rows.map((r) => r.codeGenerations)}::int[], ${rows.map((r) => r.codeAcceptances)}::int[],
      ${rows.map((r) => r.locSuggested)}::int[], ${rows.map((r) => r.locAdded)}::int[],
      ${rows.map((r) => r.usedChat)}::boolean[], ${rows.map((r) => r.usedAgent)}::boolean[], ${rows.map((r) => r.ide)}::text[]
    ) as u(user_id, day, login, interactions, code_generations, code_acceptances, loc_suggested, loc_added, used_chat, used_agent, ide)
    on conflict (org, user_id, day) do update set
      login = excluded.login, interactions = excluded.interactions, code_generations = excluded.code_generations,
      code_acceptances = excluded.code_acceptances, loc_suggested = excluded.loc_suggested, loc_added = excluded.loc_added,
      used_chat = excluded.used_chat, used_agent = excluded.used_agent, ide = excluded.ide
  `.execute(trx);
  return Number(result.numAffectedRows ?? rows.length);
}

/** Stores the team totals of one day (the day's team rows were deleted with its user rows). */
export async function insertTeamDays(trx: Db, org: string, day: string, teams: readonly TeamUsage[]): Promise<number> {
  if (teams.length === 0) return 0;
  await sql`
    insert into usage_team_days (org, team_slug, day, team_id, active_users, interactions, code_generations, code_acceptances, loc_suggested, loc_added)
    select ${org}, t.slug, ${day}::date, t.team_id, t.active_users, t.interactions, t.code_generations, t.code_acceptances, t.loc_suggested, t.loc_added
    from unnest(
      ${teams.map((t) => t.slug)}::text[], ${teams.map((t) => (t.teamId === null ? null : String(t.teamId)))}::bigint[], ${teams.map((t) => t.activeUsers)}::int[],
      ${teams.map((t) => t.interactions)}::int[], ${teams.map((t) => t.codeGenerations)}::int[], ${teams.map((t) => t.codeAcceptances)}::int[],
      ${teams.map((t) => t.locSuggested)}::int[], ${teams.map((t) => t.locAdded)}::int[]
    ) as t(slug, team_id, active_users, interactions, code_generations, code_acceptances, loc_suggested, loc_added)
  `.execute(trx);
  return teams.length;
}

/** Replaces the organization report's row of one day (null: the day has no data, so no row). */
export async function replaceOrgDay(trx: Db, org: string, day: string, record: OrgUsageRecord | null, now: Date): Promise<void> {
  await trx.deleteFrom('usage_org_days').where('org', '=', org).where('day', '=', day).execute();
  if (record === null) return;
  await trx
    .insertInto('usage_org_days')
    .values({
      org,
      day,
      daily_active_users: record.dailyActiveUsers,
      weekly_active_users: record.weeklyActiveUsers,
      monthly_active_users: record.monthlyActiveUsers,
      interactions: record.interactions,
      code_generations: record.codeGenerations,
      code_acceptances: record.codeAcceptances,
      loc_suggested: record.locSuggested,
      loc_added: record.locAdded,
      by_ide: record.byIde === null ? null : JSON.stringify(record.byIde),
      by_feature: record.byFeature === null ? null : JSON.stringify(record.byFeature),
      collected_at: now,
    })
    .execute();
}

/** Records how a report of a day was collected: with data (and how much) or without (DECISIONS 14). */
export async function upsertReportDay(
  trx: Db,
  row: { org: string; report: UsageReportName; day: string; status: 'data' | 'no_data'; links: number; records: number; now: Date },
): Promise<void> {
  const values = { status: row.status, links: row.links, records: row.records, collected_at: row.now };
  await trx
    .insertInto('usage_report_days')
    .values({ org: row.org, report: row.report, day: row.day, ...values })
    .onConflict((oc) => oc.columns(['org', 'report', 'day']).doUpdateSet(values))
    .execute();
}

/** Records that collection works for the organization (or, with `unavailable`, why it does not). */
export async function setCollectionStatus(
  db: Db,
  org: string,
  status: { status: 'ok' } | { status: 'unavailable'; httpStatus: number; message: string },
  now: Date,
): Promise<void> {
  const values = {
    status: status.status,
    http_status: status.status === 'ok' ? null : status.httpStatus,
    message: status.status === 'ok' ? null : status.message,
    last_attempt_at: now,
    updated_at: now,
  };
  await db
    .insertInto('usage_collection')
    .values({ org, ...values, status_at: now })
    .onConflict((oc) =>
      oc.column('org').doUpdateSet({
        ...values,
        // status_at says since when the status holds: it moves only when the status changes.
        status_at: sql`case when usage_collection.status = excluded.status then usage_collection.status_at else excluded.status_at end`,
      }),
    )
    .execute();
}

/** The newest day whose users report had data, or null before the first. */
export async function lastDataDay(db: Db, org: string): Promise<string | null> {
  const row = await db
    .selectFrom('usage_report_days')
    .select((eb) => eb.fn.max('day').as('day'))
    .where('org', '=', org)
    .where('report', '=', 'users')
    .where('status', '=', 'data')
    .executeTakeFirst();
  return row?.day ?? null;
}

/**
 * Takes (or takes again) the day's seat snapshot from the mirror's seats: total; active in the
 * last 1, 7 and 30 days by `last_activity_at`; never used; pending cancellation; seats by the
 * editor of their last activity (`vscode/1.98.0/…` counts as `vscode`, none as `none`) and by plan.
 */
export async function takeSeatSnapshot(db: Db, org: string, day: string, now: Date): Promise<void> {
  const at = now.toISOString();
  await sql`
    insert into seat_snapshots (org, day, total, active_1d, active_7d, active_30d, never_used, pending_cancellation, by_editor, by_plan, taken_at)
    select ${org}, ${day}::date,
      count(*)::int,
      count(*) filter (where last_activity_at > ${at}::timestamptz - interval '1 day')::int,
      count(*) filter (where last_activity_at > ${at}::timestamptz - interval '7 days')::int,
      count(*) filter (where last_activity_at > ${at}::timestamptz - interval '30 days')::int,
      count(*) filter (where last_activity_at is null)::int,
      count(*) filter (where pending_cancellation_date is not null)::int,
      coalesce((select jsonb_object_agg(editor, n) from (
        select coalesce(nullif(split_part(last_activity_editor, '/', 1), ''), 'none') as editor, count(*)::int as n
        from copilot_seats where org = ${org} group by 1) e), '{}'::jsonb),
      coalesce((select jsonb_object_agg(plan_type, n) from (
        select plan_type, count(*)::int as n from copilot_seats where org = ${org} group by 1) p), '{}'::jsonb),
      ${at}::timestamptz
    from copilot_seats where org = ${org}
    on conflict (org, day) do update set
      total = excluded.total, active_1d = excluded.active_1d, active_7d = excluded.active_7d, active_30d = excluded.active_30d,
      never_used = excluded.never_used, pending_cancellation = excluded.pending_cancellation,
      by_editor = excluded.by_editor, by_plan = excluded.by_plan, taken_at = excluded.taken_at
  `.execute(db);
}
