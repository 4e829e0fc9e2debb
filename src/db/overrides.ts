import type { Kysely, Selectable, Transaction } from 'kysely';
import type { SeatOverride } from '../domain/plan-types.js';
import type { SeatOverridesTable } from './governance-schema.js';
import { resolveUserIds } from './mirror.js';
import type { Database } from './schema.js';

type Db = Kysely<Database> | Transaction<Database>;

/** An override row. */
export type OverrideRow = Selectable<SeatOverridesTable>;

/** A new override. */
export interface NewOverride {
  org: string;
  login: string;
  /** The person's GitHub user id; when left out, the login is resolved through the mirror. */
  userId?: number | null;
  kind: 'grant' | 'revoke';
  actor: string;
  reason: string;
  expiresAt: Date | null;
}

/** Overrides recorded, and the ones in force before them that they replaced. */
export interface RecordedOverrides {
  created: OverrideRow[];
  lifted: OverrideRow[];
}

/**
 * Records overrides. Each names its person by user id when the mirror knows them (seat list or
 * members), and by login alone when it does not (someone not yet a member). A new override for a
 * person replaces (lifts) the ones in force for them, matched by id, or by login for overrides
 * recorded without one, so the latest word of an admin is the one the planner sees; the lifted
 * ones are returned so that the caller audits them with the new ones.
 */
export async function createOverrides(db: Db, overrides: readonly NewOverride[], now: Date = new Date()): Promise<RecordedOverrides> {
  if (overrides.length === 0) return { created: [], lifted: [] };
  const org = overrides[0]!.org;
  const resolved = await resolveUserIds(
    db,
    org,
    overrides.filter((o) => o.userId == null).map((o) => o.login),
  );
  const withIds = overrides.map((o) => ({ ...o, userId: o.userId ?? resolved.get(o.login.toLowerCase()) ?? null }));
  const keys = withIds.map((o) => o.login.toLowerCase());
  const ids = withIds.flatMap((o) => (o.userId === null ? [] : [String(o.userId)]));
  const lifted = await db
    .updateTable('seat_overrides')
    .set({ lifted_at: now, lifted_by: overrides[0]!.actor })
    .where('org', '=', org)
    .where('lifted_at', 'is', null)
    .where((eb) => {
      const sameLogin = eb.and([eb('user_id', 'is', null), eb('login_key', 'in', keys)]);
      return ids.length === 0 ? sameLogin : eb.or([eb('user_id', 'in', ids), sameLogin]);
    })
    .returningAll()
    .execute();
  const created = await db
    .insertInto('seat_overrides')
    .values(
      withIds.map((o) => ({
        org: o.org,
        login_key: o.login.toLowerCase(),
        login: o.login,
        user_id: o.userId,
        kind: o.kind,
        actor: o.actor,
        reason: o.reason,
        expires_at: o.expiresAt,
      })),
    )
    .returningAll()
    .execute();
  return { created, lifted };
}

/** Audit entries for overrides lifted because newer ones replaced them. */
export function liftedOverrideEntries(lifted: readonly OverrideRow[], actor: string, at: Date) {
  return lifted.map((o) => ({
    actor,
    action: 'override.lifted',
    target: o.login,
    reason: `replaced by a newer override (was: ${o.kind}, ${o.reason})`,
    details: { overrideId: o.id, kind: o.kind, actor: o.actor },
    at,
  }));
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
    userId: row.user_id === null ? null : Number(row.user_id),
    kind: row.kind,
    actor: row.actor,
    reason: row.reason,
    expiresAt: row.expires_at ? new Date(row.expires_at).toISOString() : null,
    createdAt: new Date(row.created_at).toISOString(),
  };
}
