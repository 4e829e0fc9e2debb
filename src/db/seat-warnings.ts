import type { Kysely, Selectable, Transaction } from 'kysely';
import type { SeatWarning, WarnedSeat } from '../domain/plan-types.js';
import type { Database } from './schema.js';
import type { SeatWarningsTable, WarningIssuesTable } from './warnings-schema.js';

type Db = Kysely<Database> | Transaction<Database>;

/** A warning row. */
export type SeatWarningRow = Selectable<SeatWarningsTable>;
/** A tracking issue row. */
export type WarningIssueRow = Selectable<WarningIssuesTable>;

/** The warnings of an organization, in login order. */
export async function listSeatWarningRows(db: Db, org: string): Promise<SeatWarningRow[]> {
  const rows = await db.selectFrom('seat_warnings').selectAll().where('org', '=', org).execute();
  return rows.sort((a, b) => (a.login.toLowerCase() < b.login.toLowerCase() ? -1 : a.login.toLowerCase() > b.login.toLowerCase() ? 1 : 0));
}

/** The warnings given, as the planner takes them. */
export async function listSeatWarnings(db: Db, org: string): Promise<SeatWarning[]> {
  return (await listSeatWarningRows(db, org)).map(toSeatWarning);
}

/** A row as the planner's input. */
export function toSeatWarning(row: SeatWarningRow): SeatWarning {
  return {
    userId: Number(row.user_id),
    login: row.login,
    warnedAt: new Date(row.warned_at).toISOString(),
    toldAt: row.notified_at === null ? null : new Date(row.notified_at).toISOString(),
    inactiveSince: new Date(row.inactive_since).toISOString(),
  };
}

/** Records new warnings (not yet notified); a person already warned keeps their first warning. */
export async function insertSeatWarnings(trx: Db, org: string, seats: readonly WarnedSeat[], planId: string): Promise<void> {
  if (seats.length === 0) return;
  await trx
    .insertInto('seat_warnings')
    .values(
      seats.map((s) => ({
        org,
        user_id: s.userId,
        login: s.login,
        inactive_since: s.inactiveSince,
        warned_at: s.warnedAt,
        due_on: s.dueOn,
        plan_id: planId,
      })),
    )
    .onConflict((oc) => oc.columns(['org', 'user_id']).doNothing())
    .execute();
}

/** Keeps the login and due date of standing warnings as the latest plan computed them. */
export async function refreshSeatWarnings(trx: Db, org: string, seats: readonly WarnedSeat[]): Promise<void> {
  for (const s of seats) {
    await trx
      .updateTable('seat_warnings')
      .set({ login: s.login, due_on: s.dueOn })
      .where('org', '=', org)
      .where('user_id', '=', String(s.userId))
      .where((eb) => eb.or([eb('login', '!=', s.login), eb('due_on', '!=', s.dueOn)]))
      .execute();
  }
}

/** Deletes the warnings of these people; returns the rows deleted. */
export async function deleteSeatWarnings(trx: Db, org: string, userIds: readonly number[]): Promise<SeatWarningRow[]> {
  if (userIds.length === 0) return [];
  return trx.deleteFrom('seat_warnings').where('org', '=', org).where('user_id', 'in', userIds.map(String)).returningAll().execute();
}

/** Marks warnings as told: the comment mentioning them was posted. */
export async function markSeatWarningsNotified(db: Db, org: string, userIds: readonly number[], commentId: number, at: Date): Promise<void> {
  if (userIds.length === 0) return;
  await db
    .updateTable('seat_warnings')
    .set({ notified_at: at, comment_id: commentId })
    .where('org', '=', org)
    .where('user_id', 'in', userIds.map(String))
    .execute();
}

/** The organization's tracking issue, if one was ever opened. */
export async function findWarningIssue(db: Db, org: string): Promise<WarningIssueRow | undefined> {
  return db.selectFrom('warning_issues').selectAll().where('org', '=', org).executeTakeFirst();
}

/** Records the tracking issue as last written. */
export async function saveWarningIssue(db: Db, row: Omit<WarningIssueRow, 'updated_at'>, at: Date): Promise<void> {
  await db
    .insertInto('warning_issues')
    .values({ ...row, updated_at: at })
    .onConflict((oc) => oc.column('org').doUpdateSet({ repository: row.repository, issue_number: row.issue_number, state: row.state, body: row.body, updated_at: at }))
    .execute();
}
