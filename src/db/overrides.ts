import { type Kysely, type Selectable, type Transaction, sql } from 'kysely';
import type { SeatOverride } from '../domain/plan-types.js';
import type { SeatOverridesTable } from './governance-schema.js';
import type { Database } from './schema.js';

type Db = Kysely<Database> | Transaction<Database>;

/** An override row. */
export type OverrideRow = Selectable<SeatOverridesTable>;

/** A new override. */
export interface NewOverride {
  org: string;
  login: string;
  kind: 'grant' | 'revoke';
  actor: string;
  reason: string;
  expiresAt: Date | null;
}

/**
 * Records overrides. A new override for a login replaces (lifts) the ones in force for it, so the
 * latest word of an admin is the one the planner sees.
 */
export async function createOverrides(db: Db, overrides: readonly NewOverride[], now: Date = new Date()): Promise<OverrideRow[]> {
  if (overrides.length === 0) return [];
  const org = overrides[0]!.org;
  const keys = overrides.map((o) => o.login.toLowerCase());
  await sql`update seat_overrides set lifted_at = ${now}::timestamptz, lifted_by = ${overrides[0]!.actor}
             where org = ${org} and lifted_at is null and login_key = any(${keys}::text[])`.execute(db);
  return db
    .insertInto('seat_overrides')
    .values(
      overrides.map((o) => ({
        org: o.org,
        login_key: o.login.toLowerCase(),
        login: o.login,
        kind: o.kind,
        actor: o.actor,
        reason: o.reason,
        expires_at: o.expiresAt,
      })),
    )
    .returningAll()
    .execute();
}

/** Overrides not lifted and not expired at `now`. */
export async function listActiveOverrides(db: Db, org: string, now: Date = new Date()): Promise<OverrideRow[]> {
  return db
    .selectFrom('seat_overrides')
    .selectAll()
    .where('org', '=', org)
    .where('lifted_at', 'is', null)
    .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
    .orderBy('created_at')
    .orderBy('id')
    .execute();
}

/** One override of an organization. */
export async function findOverride(db: Db, org: string, id: string): Promise<OverrideRow | undefined> {
  return db.selectFrom('seat_overrides').selectAll().where('org', '=', org).where('id', '=', id).executeTakeFirst();
}

/** Lifts an override; returns it, or undefined when absent or already lifted. */
export async function liftOverride(db: Db, org: string, id: string, actor: string, now: Date = new Date()): Promise<OverrideRow | undefined> {
  return db
    .updateTable('seat_overrides')
    .set({ lifted_at: now, lifted_by: actor })
    .where('org', '=', org)
    .where('id', '=', id)
    .where('lifted_at', 'is', null)
    .returningAll()
    .executeTakeFirst();
}

/** The planner's view of an override row. */
export function toSeatOverride(row: OverrideRow): SeatOverride {
  return {
    id: row.id,
    login: row.login,
    kind: row.kind,
    actor: row.actor,
    reason: row.reason,
    expiresAt: row.expires_at ? new Date(row.expires_at).toISOString() : null,
    createdAt: new Date(row.created_at).toISOString(),
  };
}
