import type { Kysely } from 'kysely';
import { appendAuditEntries } from '../db/audit-log.js';
import { recordDomainEvents } from '../db/domain-events.js';
import type { Database } from '../db/schema.js';
import { type NewSeatRequest, type SeatRequestRow, decideSeatRequests, findPendingRequests, listPendingRequestsBefore, upsertPendingRequest } from '../db/seat-requests.js';
import { actorTypeOf } from '../domain/audit/audit-entry.js';
import { createIssueComment } from '../github/comments.js';
import type { GitHubOctokit } from '../github/github-octokit.js';
import { grantSeats } from './seat-overrides.js';

const DAY_MS = 86_400_000;

/** A request as the API and replies show it. */
export interface SeatRequestView {
  id: string;
  login: string;
  state: SeatRequestRow['state'];
  reason: string | null;
  createdAt: string;
  decidedBy: string | null;
  decidedAt: string | null;
  decisionReason: string | null;
}

/** A row as the API and replies show it. */
export function requestView(row: SeatRequestRow): SeatRequestView {
  return {
    id: row.id,
    login: row.login,
    state: row.state,
    reason: row.reason,
    createdAt: new Date(row.created_at).toISOString(),
    decidedBy: row.decided_by,
    decidedAt: row.decided_at === null ? null : new Date(row.decided_at).toISOString(),
    decisionReason: row.decision_reason,
  };
}

function eventOf(type: string, orgLogin: string, row: SeatRequestRow, extra: Record<string, unknown> = {}) {
  return {
    type,
    org: row.org,
    payload: { org: orgLogin, login: row.login, user_id: row.user_id === null ? null : Number(row.user_id), request_id: row.id, reason: row.reason, ...extra },
  };
}

/**
 * Records a person's seat request (or updates the reason of the one pending), audited as
 * `request.created` (or `request.updated`) with the `request.created` domain event for a new one.
 */
export async function recordSeatRequest(db: Kysely<Database>, request: NewSeatRequest, orgLogin: string, at: Date): Promise<{ row: SeatRequestRow; created: boolean }> {
  return db.transaction().execute(async (trx) => {
    const result = await upsertPendingRequest(trx, request, at);
    await appendAuditEntries(trx, request.org, [
      {
        actor: request.login,
        actorType: 'user',
        action: result.created ? 'request.created' : 'request.updated',
        target: result.row.id,
        reason: request.reason ?? 'no reason given',
        details: { login: request.login, repository: request.repository, issue: request.issueNumber, commentId: request.commentId },
        at,
      },
    ]);
    if (result.created) await recordDomainEvents(trx, [eventOf('request.created', orgLogin, result.row)]);
    return result;
  });
}

/** An approval: who approves whom, for how long and why. */
export interface SeatApproval {
  org: string;
  orgLogin: string;
  logins: readonly string[];
  actor: string;
  reason: string | null;
  expiresAt: Date | null;
  /** Extra facts for the audit entries (the command or API call). */
  details?: Record<string, unknown>;
}

/**
 * Approves: records a grant override for each person (as `/copilot grant` does) and closes their
 * pending requests as approved, with `request.approved` audit entries and domain events, all in the
 * caller's transaction. Returns the requests it closed (people without one are granted all the same).
 */
export async function approveSeatRequests(trx: Kysely<Database>, approval: SeatApproval, at: Date): Promise<SeatRequestRow[]> {
  const pending = await findPendingRequests(trx, approval.org, approval.logins);
  await grantSeats(
    trx,
    { org: approval.org, logins: approval.logins, actor: approval.actor, reason: approval.reason ?? (pending.length > 0 ? 'seat request approved' : 'approved'), expiresAt: approval.expiresAt, details: approval.details },
    at,
  );
  const closed = await decideSeatRequests(trx, approval.org, pending.map((r) => r.id), { state: 'approved', by: approval.actor, reason: approval.reason }, at);
  await appendAuditEntries(
    trx,
    approval.org,
    closed.map((r) => ({
      actor: approval.actor,
      actorType: actorTypeOf(approval.actor),
      action: 'request.approved',
      target: r.id,
      reason: approval.reason ?? 'no reason given',
      details: { ...approval.details, login: r.login, expiresAt: approval.expiresAt === null ? null : approval.expiresAt.toISOString() },
      at,
    })),
  );
  await recordDomainEvents(trx, closed.map((r) => eventOf('request.approved', approval.orgLogin, r, { decided_by: approval.actor })));
  return closed;
}

/** Declines a person's pending request, audited with its domain event; null when they have none. */
export async function declineSeatRequest(
  db: Kysely<Database>,
  decline: { org: string; orgLogin: string; login: string; actor: string; reason: string | null; details?: Record<string, unknown> },
  at: Date,
): Promise<SeatRequestRow | null> {
  return db.transaction().execute(async (trx) => {
    const [pending] = await findPendingRequests(trx, decline.org, [decline.login]);
    if (pending === undefined) return null;
    const [closed] = await decideSeatRequests(trx, decline.org, [pending.id], { state: 'declined', by: decline.actor, reason: decline.reason }, at);
    if (closed === undefined) return null;
    await appendAuditEntries(trx, decline.org, [
      { actor: decline.actor, actorType: actorTypeOf(decline.actor), action: 'request.declined', target: closed.id, reason: decline.reason ?? 'no reason given', details: { ...decline.details, login: closed.login }, at },
    ]);
    await recordDomainEvents(trx, [eventOf('request.declined', decline.orgLogin, closed, { decided_by: decline.actor })]);
    return closed;
  });
}

/** Closes pending requests older than `days` days as expired, audited; returns them. */
export async function expireSeatRequests(db: Kysely<Database>, org: string, days: number, at: Date): Promise<SeatRequestRow[]> {
  const old = await listPendingRequestsBefore(db, org, new Date(at.getTime() - days * DAY_MS));
  if (old.length === 0) return [];
  return db.transaction().execute(async (trx) => {
    const closed = await decideSeatRequests(trx, org, old.map((r) => r.id), { state: 'expired', by: 'ceos', reason: `pending for more than ${days} days` }, at);
    await appendAuditEntries(
      trx,
      org,
      closed.map((r) => ({ actor: 'ceos', actorType: 'app' as const, action: 'request.expired', target: r.id, reason: `pending for more than ${days} days (requests.expire_after_days)`, details: { login: r.login }, at })),
    );
    return closed;
  });
}

/**
 * Tells a requester what became of their request, on the issue where they asked, mentioning them
 * (on purpose: they are the one person who must hear of it). A request not made in a comment
 * (none today) is not told.
 */
export async function tellRequester(octokit: GitHubOctokit, row: SeatRequestRow, text: string): Promise<void> {
  if (row.repository === null || row.issue_number === null) return;
  const [owner, repo] = row.repository.split('/');
  if (owner === undefined || repo === undefined) return;
  await createIssueComment(octokit, { owner, repo, issueNumber: row.issue_number }, `@${row.login} ${text}`);
}
