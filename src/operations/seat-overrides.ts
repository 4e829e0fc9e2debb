import type { Kysely } from 'kysely';
import { appendAuditEntries } from '../db/audit-log.js';
import { type OverrideRow, createOverrides, liftedOverrideEntries } from '../db/overrides.js';
import type { Database } from '../db/schema.js';
import { actorTypeOf } from '../domain/audit/audit-entry.js';
import { uniqueLogins } from '../domain/commands/github-login.js';
import type { OverrideKind } from '../domain/plan-types.js';

/** Overrides asked for by a person (a slash command) or a program (the management API). */
export interface SeatOverrideRequest {
  /** Organization key (lower-cased login). */
  org: string;
  /** Users the overrides are about; duplicates differing only in case count once. */
  logins: readonly string[];
  /** Who asks: a GitHub login, or `api-key:<id>`. Recorded on the overrides and their audit entries. */
  actor: string;
  /** Why, in the actor's words. */
  reason: string;
  /** When the overrides stop applying, or null for until they are removed. */
  expiresAt: Date | null;
  /** Extra facts for the audit entries (e.g. the command or request that asked). */
  details?: Record<string, unknown>;
}

/**
 * Gives each user a seat whatever the policy's grant lists say, until `expiresAt`. The overrides
 * and their audit entries are written in one transaction: pass the caller's transaction to make
 * them part of a larger change (and enqueue the run that applies them in it too).
 */
export function grantSeats(db: Kysely<Database>, request: SeatOverrideRequest, now: Date = new Date()): Promise<OverrideRow[]> {
  return recordSeatOverrides(db, 'grant', request, now);
}

/** Takes each user's seat away whatever the policy grants, until `expiresAt`. See `grantSeats`. */
export function revokeSeats(db: Kysely<Database>, request: SeatOverrideRequest, now: Date = new Date()): Promise<OverrideRow[]> {
  return recordSeatOverrides(db, 'revoke', request, now);
}

async function recordSeatOverrides(
  db: Kysely<Database>,
  kind: OverrideKind,
  request: SeatOverrideRequest,
  now: Date,
): Promise<OverrideRow[]> {
  if (!db.isTransaction) return db.transaction().execute((trx) => recordSeatOverrides(trx, kind, request, now));
  const logins = uniqueLogins(request.logins);
  if (logins.length === 0) return [];
  const { created, lifted } = await createOverrides(
    db,
    logins.map((login) => ({ org: request.org, login, kind, actor: request.actor, reason: request.reason, expiresAt: request.expiresAt })),
    now,
  );
  await appendAuditEntries(db, request.org, [
    ...liftedOverrideEntries(lifted, request.actor, now),
    ...created.map((o) => ({
      actor: request.actor,
      actorType: actorTypeOf(request.actor),
      action: 'override.created',
      target: o.login,
      reason: o.reason,
      details: {
        ...request.details,
        overrideId: o.id,
        kind,
        expiresAt: request.expiresAt === null ? null : request.expiresAt.toISOString(),
      },
      at: now,
    })),
  ]);
  return created;
}
