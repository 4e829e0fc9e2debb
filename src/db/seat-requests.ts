import type { Kysely, Selectable, Transaction } from 'kysely';
import type { Database } from './schema.js';
import type { SeatRequestState, SeatRequestsTable } from './requests-schema.js';

type Db = Kysely<Database> | Transaction<Database>;

/** A seat request row. */
export type SeatRequestRow = Selectable<SeatRequestsTable>;

/** A request as its requester makes it. */
export interface NewSeatRequest {
  org: string;
  login: string;
  userId: number | null;
  reason: string | null;
  repository: string | null;
  issueNumber: number | null;
  commentId: number | null;
}

/**
 * Records a pending request, or updates the reason (and where to answer) of the one the person
 * already has: one pending request per person. Says whether it is new.
 */
export async function upsertPendingRequest(trx: Db, request: NewSeatRequest, at: Date): Promise<{ row: SeatRequestRow; created: boolean }> {
  const key = request.login.toLowerCase();
  const updated = await trx
    .updateTable('seat_requests')
    .set({ reason: request.reason, repository: request.repository, issue_number: request.issueNumber, comment_id: request.commentId, login: request.login, updated_at: at })
    .where('org', '=', request.org)
    .where('login_key', '=', key)
    .where('state', '=', 'pending')
    .returningAll()
    .executeTakeFirst();
  if (updated !== undefined) return { row: updated, created: false };
  const row = await trx
    .insertInto('seat_requests')
    .values({
      org: request.org,
      login: request.login,
      login_key: key,
      user_id: request.userId,
      reason: request.reason,
      state: 'pending',
      repository: request.repository,
      issue_number: request.issueNumber,
      comment_id: request.commentId,
      created_at: at,
      updated_at: at,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return { row, created: true };
}

/** The pending requests of these people (lower-cased logins). */
export async function findPendingRequests(db: Db, org: string, logins: readonly string[]): Promise<SeatRequestRow[]> {
  if (logins.length === 0) return [];
  return db
    .selectFrom('seat_requests')
    .selectAll()
    .where('org', '=', org)
    .where('state', '=', 'pending')
    .where('login_key', 'in', logins.map((l) => l.toLowerCase()))
    .execute();
}

/** Requests of an organization, newest first, optionally of one state. */
export async function listSeatRequests(db: Db, org: string, options: { state?: SeatRequestState; limit?: number; before?: { createdAt: Date; id: string } } = {}): Promise<SeatRequestRow[]> {
  let query = db.selectFrom('seat_requests').selectAll().where('org', '=', org);
  if (options.state !== undefined) query = query.where('state', '=', options.state);
  if (options.before !== undefined) {
    const before = options.before;
    query = query.where((eb) => eb.or([eb('created_at', '<', before.createdAt), eb.and([eb('created_at', '=', before.createdAt), eb('id', '<', before.id)])]));
  }
  return query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(options.limit ?? 100).execute();
}

/** One request by id. */
export async function findSeatRequest(db: Db, org: string, id: string): Promise<SeatRequestRow | undefined> {
  return db.selectFrom('seat_requests').selectAll().where('org', '=', org).where('id', '=', id).executeTakeFirst();
}

/** Closes pending requests with a decision; returns those it closed (already decided ones are left as they are). */
export async function decideSeatRequests(
  trx: Db,
  org: string,
  ids: readonly string[],
  decision: { state: Exclude<SeatRequestState, 'pending'>; by: string; reason: string | null },
  at: Date,
): Promise<SeatRequestRow[]> {
  if (ids.length === 0) return [];
  return trx
    .updateTable('seat_requests')
    .set({ state: decision.state, decided_by: decision.by, decided_at: at, decision_reason: decision.reason, updated_at: at })
    .where('org', '=', org)
    .where('id', 'in', [...ids])
    .where('state', '=', 'pending')
    .returningAll()
    .execute();
}

/** Pending requests made before `before`. */
export async function listPendingRequestsBefore(db: Db, org: string, before: Date): Promise<SeatRequestRow[]> {
  return db.selectFrom('seat_requests').selectAll().where('org', '=', org).where('state', '=', 'pending').where('created_at', '<', before).orderBy('created_at').execute();
}
