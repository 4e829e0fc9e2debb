import { type Kysely, type RawBuilder, sql } from 'kysely';
import type { Database } from './schema.js';

/**
 * One batch of a prune: at most `limit` rows, in a transaction of its own that gives up on a row
 * lock it cannot take at once, so pruning never holds the inbox (or anything else) for long.
 * Resolves to how many rows the batch changed.
 */
async function batch(db: Kysely<Database>, statement: RawBuilder<unknown>): Promise<number> {
  return db.transaction().execute(async (trx) => {
    await sql`set local lock_timeout = '2s'`.execute(trx);
    await sql`set local statement_timeout = '60s'`.execute(trx);
    const result = await statement.execute(trx);
    return Number(result.numAffectedRows ?? 0n);
  });
}

/**
 * Drops the payloads of deliveries processed before `before`, oldest first; the row stays (its
 * GUID keeps recognising a redelivery). A dropped payload is stored as the empty string.
 */
export function dropDeliveryPayloads(db: Kysely<Database>, before: Date, limit: number): Promise<number> {
  return batch(
    db,
    sql`update deliveries set payload = ''
         where id in (
           select id from deliveries
            where status = 'processed' and payload <> '' and processed_at < ${before}
            order by processed_at
            limit ${limit}
            for update skip locked)`,
  );
}

/**
 * Deletes one batch of a table's oldest rows matching `where`, by id, skipping rows another
 * transaction holds (a worker's claim): they are pruned by a later batch.
 */
function deleteOldest(
  db: Kysely<Database>,
  table: 'deliveries' | 'domain_events' | 'plans',
  where: RawBuilder<unknown>,
  oldestFirst: 'received_at' | 'dispatched_at' | 'created_at',
  limit: number,
): Promise<number> {
  return batch(
    db,
    sql`delete from ${sql.table(table)}
         where id in (
           select id from ${sql.table(table)}
            where ${where}
            order by ${sql.ref(oldestFirst)}
            limit ${limit}
            for update skip locked)`,
  );
}

/** Deletes deliveries processed before `before`, oldest first. */
export function deleteProcessedDeliveries(db: Kysely<Database>, before: Date, limit: number): Promise<number> {
  // processed_at >= received_at, so the received_at bound only narrows the index range.
  return deleteOldest(db, 'deliveries', sql`received_at < ${before} and status = 'processed' and processed_at < ${before}`, 'received_at', limit);
}

/** Deletes dead letters received before `before` (a replayed one is no longer dead). */
export function deleteDeadLetters(db: Kysely<Database>, before: Date, limit: number): Promise<number> {
  return deleteOldest(db, 'deliveries', sql`status = 'dead' and received_at < ${before}`, 'received_at', limit);
}

/** Deletes domain events dispatched before `before`; undispatched ones stay whatever their age. */
export function deleteDispatchedEvents(db: Kysely<Database>, before: Date, limit: number): Promise<number> {
  return deleteOldest(db, 'domain_events', sql`dispatched_at is not null and dispatched_at < ${before}`, 'dispatched_at', limit);
}

/**
 * Deletes plans created before `before` (their per-user changes go with them, by cascade). A plan
 * still being applied is left alone however old it is.
 */
export function deleteOldPlans(db: Kysely<Database>, before: Date, limit: number): Promise<number> {
  return deleteOldest(db, 'plans', sql`created_at < ${before} and status <> 'applying'`, 'created_at', limit);
}

/**
 * The tables of the organization mirror: a copy of what GitHub says, rebuilt by a sync. Overrides,
 * plans, commands and the audit log are CEOS's own records and are not part of it.
 */
export const MIRROR_TABLES = [
  'org_team_members',
  'org_members',
  'org_teams',
  'copilot_seats',
  'copilot_billing',
  'org_sync_state',
  'org_policies',
] as const;

/** A table of the organization mirror. */
export type MirrorTable = (typeof MIRROR_TABLES)[number];

/**
 * Organizations (mirror keys) that uninstalled the app before `before` and have no installation
 * left that is active or suspended: a reinstallation, under a new installation id, keeps the
 * mirror.
 */
export async function uninstalledOrgs(db: Kysely<Database>, before: Date): Promise<string[]> {
  const result = await sql<{ org: string }>`
    select org from installations
     group by org
    having bool_and(status = 'deleted') and max(updated_at) < ${before}
     order by org`.execute(db);
  return result.rows.map((r) => r.org);
}

/** Deletes one batch of an organization's rows from one mirror table. */
export function deleteMirrorRows(db: Kysely<Database>, table: MirrorTable, org: string, limit: number): Promise<number> {
  // By ctid, so one statement serves every table whatever its key.
  return batch(
    db,
    sql`delete from ${sql.table(table)}
         where ctid = any(array(select ctid from ${sql.table(table)} where org = ${org} limit ${limit}))`,
  );
}
