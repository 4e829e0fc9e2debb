import { type Kysely, sql } from 'kysely';
import type { Database } from './schema.js';

/** The secondary limit on content-creating requests of one installation, as CEOS keeps to it. */
export interface WriteLimits {
  /** Most content-creating requests started in any minute (GitHub allows 80). */
  perMinute: number;
  /** Most started in any hour (GitHub allows 500). */
  perHour: number;
  /** Least time between two starts, in milliseconds (GitHub asks for at least a second). */
  intervalMs: number;
}

/** A start time reserved for one content-creating request. */
export interface WriteSlot {
  id: string;
  /** Milliseconds from now (on the database clock) until the request may start; 0 or less: at once. */
  waitMs: number;
}

/**
 * Reserves the earliest start for a content-creating request of `installationId` that keeps every
 * instance on the database, together, within `limits` and after any wait GitHub asked for. The
 * installation's budget row is locked for the transaction, so concurrent reservations (from any
 * instance) are placed one after another; times are the database's, so instances' clocks don't matter.
 */
export async function reserveWriteSlot(db: Kysely<Database>, installationId: string, limits: WriteLimits): Promise<WriteSlot> {
  return db.transaction().execute(async (trx) => {
    await trx
      .insertInto('github_budgets')
      .values({ installation_id: installationId })
      .onConflict((oc) => oc.column('installation_id').doNothing())
      .execute();
    await trx.selectFrom('github_budgets').select('installation_id').where('installation_id', '=', installationId).forUpdate().execute();
    // Slots are handed out in increasing order, so the n-th latest one is the oldest start that
    // still counts in a window of n: the next start must be a window's length after it.
    const { rows } = await sql<{ id: string; wait_ms: number }>`
      insert into github_write_slots (installation_id, starts_at)
      select ${installationId}, greatest(
        clock_timestamp(),
        (select blocked_until from github_budgets where installation_id = ${installationId}),
        (select max(starts_at) from github_write_slots where installation_id = ${installationId})
          + ${limits.intervalMs} * interval '1 millisecond',
        (select starts_at from github_write_slots where installation_id = ${installationId}
          order by starts_at desc offset ${limits.perMinute - 1} limit 1) + interval '1 minute',
        (select starts_at from github_write_slots where installation_id = ${installationId}
          order by starts_at desc offset ${limits.perHour - 1} limit 1) + interval '1 hour'
      )
      returning id, (extract(epoch from starts_at - clock_timestamp()) * 1000)::float8 as wait_ms`.execute(trx);
    await trx
      .deleteFrom('github_write_slots')
      .where('installation_id', '=', installationId)
      .where('starts_at', '<', sql<Date>`clock_timestamp() - interval '1 hour'`)
      .execute();
    const row = rows[0]!;
    return { id: String(row.id), waitMs: Number(row.wait_ms) };
  });
}

/** Gives back a slot whose request was never sent, so it does not count against the windows. */
export async function releaseWriteSlot(db: Kysely<Database>, slotId: string): Promise<void> {
  await db.deleteFrom('github_write_slots').where('id', '=', slotId).execute();
}

/** A wait GitHub asked for: `seconds` from now, or until `untilEpochSeconds` (x-ratelimit-reset). */
export interface GitHubBlock {
  reason: 'primary' | 'secondary';
  seconds?: number;
  untilEpochSeconds?: number;
}

/** Records that no request of the installation should reach GitHub before the block ends (a later end wins). */
export async function recordGitHubBlock(db: Kysely<Database>, installationId: string, block: GitHubBlock): Promise<void> {
  const until =
    block.untilEpochSeconds !== undefined
      ? sql<Date>`to_timestamp(${block.untilEpochSeconds})`
      : sql<Date>`clock_timestamp() + ${block.seconds ?? 0} * interval '1 second'`;
  await db
    .insertInto('github_budgets')
    .values({ installation_id: installationId, blocked_until: until, blocked_reason: block.reason, updated_at: sql<Date>`now()` })
    .onConflict((oc) =>
      oc.column('installation_id').doUpdateSet({
        blocked_reason: sql<string>`case when github_budgets.blocked_until is null or excluded.blocked_until > github_budgets.blocked_until
          then excluded.blocked_reason else github_budgets.blocked_reason end`,
        blocked_until: sql<Date>`greatest(github_budgets.blocked_until, excluded.blocked_until)`,
        updated_at: sql<Date>`now()`,
      }),
    )
    .execute();
}

/** How long the installation must still wait, in milliseconds on the database clock (0: not blocked). */
export async function githubBlockRemaining(
  db: Kysely<Database>,
  installationId: string,
): Promise<{ remainingMs: number; reason: 'primary' | 'secondary' | null }> {
  const row = await db
    .selectFrom('github_budgets')
    .select([
      'blocked_reason',
      sql<number>`greatest(0, extract(epoch from blocked_until - clock_timestamp()) * 1000)::float8`.as('remaining_ms'),
    ])
    .where('installation_id', '=', installationId)
    .executeTakeFirst();
  const remainingMs = Number(row?.remaining_ms ?? 0);
  return { remainingMs, reason: remainingMs > 0 ? ((row?.blocked_reason as 'primary' | 'secondary' | null) ?? 'secondary') : null };
}
