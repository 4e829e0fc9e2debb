import { CompiledQuery, type Kysely, sql } from 'kysely';
import type { Pool } from 'pg';
import type { Database, Delivery, DeliveryStatus } from './schema.js';

/** NOTIFY channel that wakes workers when deliveries become due. */
export const DELIVERIES_CHANNEL = 'ceos_deliveries';

/** What intake stores for one delivery. */
export interface NewDelivery {
  id: string;
  event: string;
  action: string | null;
  installationId: number | null;
  org: string | null;
  repository: string | null;
  sender: string | null;
  payload: string;
  /**
   * When the request arrived, to the millisecond. Set on receipt rather than at commit, so
   * deliveries grouped into one commit keep their order (the mirror orders changes by it).
   */
  receivedAt: Date;
}

// One statement records a group of deliveries, reports which were new, and notifies listening
// workers (only when something was inserted): the group commit, the durable record of the work
// and the wake-up in a single round trip. Parameters are one array per column.
const INSERT_DELIVERIES_SQL = `
  with inserted as (
    insert into deliveries (id, event, action, installation_id, org, repository, sender, payload, received_at, next_attempt_at)
    select t.*, t.received_at from unnest(
      $1::text[], $2::text[], $3::text[], $4::bigint[], $5::text[], $6::text[], $7::text[], $8::text[], $9::timestamptz[])
      as t(id, event, action, installation_id, org, repository, sender, payload, received_at)
    on conflict (id) do nothing
    returning id
  )
  select id, (select pg_notify('${DELIVERIES_CHANNEL}', '')) as notified from inserted`;

function deliveryColumns(rows: readonly NewDelivery[]): unknown[] {
  const columns: unknown[][] = [[], [], [], [], [], [], [], [], []];
  for (const row of rows) {
    columns[0]!.push(row.id);
    columns[1]!.push(row.event);
    columns[2]!.push(row.action);
    columns[3]!.push(row.installationId);
    columns[4]!.push(row.org);
    columns[5]!.push(row.repository);
    columns[6]!.push(row.sender);
    columns[7]!.push(row.payload);
    columns[8]!.push(row.receivedAt.toISOString());
  }
  return columns;
}

/** Writes a group of deliveries; resolves to the ids that were new (the others were already stored). */
export type InsertDeliveries = (rows: readonly NewDelivery[]) => Promise<Set<string>>;

/** Inserts a group of deliveries through Kysely (either database). */
export async function insertDeliveries(db: Kysely<Database>, rows: readonly NewDelivery[]): Promise<Set<string>> {
  if (rows.length === 0) return new Set();
  const result = await db.executeQuery<{ id: string }>(CompiledQuery.raw(INSERT_DELIVERIES_SQL, deliveryColumns(rows)));
  return new Set(result.rows.map((r) => r.id));
}

/**
 * Inserts a group of deliveries on PostgreSQL as a named prepared statement, which each pooled
 * connection parses and plans once: on the intake's hot path that is a fifth more deliveries per
 * second on two cores (see docs/benchmarks.md).
 */
export function preparedDeliveryInsert(pool: Pool): InsertDeliveries {
  return async (rows) => {
    if (rows.length === 0) return new Set();
    const result = await pool.query<{ id: string }>({ name: 'ceos-insert-deliveries', text: INSERT_DELIVERIES_SQL, values: deliveryColumns(rows) });
    return new Set(result.rows.map((r) => r.id));
  };
}

/** A delivery claimed by a worker. */
export interface ClaimedDelivery {
  id: string;
  event: string;
  payload: string;
  attempts: number;
  receivedAt: Date;
}

/**
 * Claims up to `limit` due deliveries for `workerId`: new ones, failed ones whose backoff has
 * passed, and ones whose previous worker's lease ran out (it crashed or hung). The lease is the
 * row's next due time, so a crash needs no clean-up: the row simply becomes due again.
 */
export async function claimDueDeliveries(
  db: Kysely<Database>,
  options: { limit: number; leaseSeconds: number; workerId: string; maxAttempts: number },
): Promise<ClaimedDelivery[]> {
  const result = await sql<{ id: string; event: string; payload: string; attempts: number; received_at: Date }>`
    update deliveries d
       set status = 'processing',
           attempts = d.attempts + 1,
           claimed_by = ${options.workerId},
           next_attempt_at = now() + make_interval(secs => ${options.leaseSeconds})
     where d.id in (
       select id from deliveries
        where status in ('received', 'processing', 'failed')
          and next_attempt_at <= now()
          and attempts < ${options.maxAttempts}
        order by next_attempt_at
        limit ${options.limit}
        for update skip locked)
    returning d.id, d.event, d.payload, d.attempts, d.received_at`.execute(db);
  return result.rows.map((r) => ({
    id: r.id,
    event: r.event,
    payload: r.payload,
    attempts: Number(r.attempts),
    receivedAt: new Date(r.received_at),
  }));
}

/**
 * Dead-letters deliveries whose last lease ran out with no attempts left: a delivery that keeps
 * killing its worker must not be retried forever.
 */
export async function deadLetterAbandoned(db: Kysely<Database>, maxAttempts: number): Promise<string[]> {
  const result = await sql<{ id: string }>`
    update deliveries
       set status = 'dead',
           last_error = coalesce(last_error || '; ', '') || 'worker lease expired on the last attempt'
     where status = 'processing' and next_attempt_at <= now() and attempts >= ${maxAttempts}
    returning id`.execute(db);
  return result.rows.map((r) => r.id);
}

/** Marks deliveries processed, unless another worker has since taken them over. */
export async function markProcessed(
  db: Kysely<Database>,
  done: readonly { id: string; workerId: string }[],
): Promise<void> {
  if (done.length === 0) return;
  await sql`
    update deliveries d
       set status = 'processed', processed_at = now(), last_error = null, claimed_by = null
      from unnest(${done.map((d) => d.id)}::text[], ${done.map((d) => d.workerId)}::text[]) as t(id, worker)
     where d.id = t.id and d.status = 'processing' and d.claimed_by = t.worker`.execute(db);
}

/**
 * Records a failed attempt: the delivery becomes due again after `retryInSeconds`, or is
 * dead-lettered when it has no attempts left. Returns the status it ended in.
 */
export async function markFailed(
  db: Kysely<Database>,
  failure: { id: string; workerId: string; error: string; retryInSeconds: number; maxAttempts: number },
): Promise<DeliveryStatus | undefined> {
  const result = await sql<{ status: DeliveryStatus }>`
    update deliveries
       set status = case when attempts >= ${failure.maxAttempts} then 'dead' else 'failed' end,
           last_error = ${failure.error.slice(0, 4000)},
           claimed_by = null,
           next_attempt_at = now() + make_interval(secs => ${failure.retryInSeconds})
     where id = ${failure.id} and status = 'processing' and claimed_by = ${failure.workerId}
    returning status`.execute(db);
  return result.rows[0]?.status;
}

/**
 * Puts a stored delivery back in line to be processed again, with a fresh set of attempts.
 * Returns false when no delivery has that id.
 */
export async function replayDelivery(db: Kysely<Database>, id: string): Promise<boolean> {
  const result = await sql<{ id: string }>`
    update deliveries
       set status = 'received', attempts = 0, last_error = null, claimed_by = null,
           processed_at = null, next_attempt_at = now()
     where id = ${id}
    returning id, (select pg_notify(${DELIVERIES_CHANNEL}, '')) as notified`.execute(db);
  return result.rows.length > 0;
}

/** Summary of a delivery, for listings. */
export type DeliverySummary = Omit<Delivery, 'payload'>;

/** Lists deliveries, newest first. */
export async function listDeliveries(
  db: Kysely<Database>,
  filter: { status?: DeliveryStatus; event?: string; limit: number },
): Promise<DeliverySummary[]> {
  let query = db
    .selectFrom('deliveries')
    .select([
      'id',
      'event',
      'action',
      'installation_id',
      'org',
      'repository',
      'sender',
      'received_at',
      'status',
      'attempts',
      'last_error',
      'next_attempt_at',
      'claimed_by',
      'processed_at',
    ])
    .orderBy('received_at', 'desc')
    .orderBy('id')
    .limit(filter.limit);
  if (filter.status) query = query.where('status', '=', filter.status);
  if (filter.event) query = query.where('event', '=', filter.event);
  return query.execute();
}

/** One delivery, with its payload; undefined when absent. */
export async function getDelivery(db: Kysely<Database>, id: string): Promise<Delivery | undefined> {
  return db.selectFrom('deliveries').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Which of these GUIDs are stored. */
export async function storedDeliveryIds(db: Kysely<Database>, ids: readonly string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows = await db.selectFrom('deliveries').select('id').where('id', 'in', ids).execute();
  return new Set(rows.map((r) => r.id));
}

/** Deliveries waiting or in progress, by status, and dead letters: the queue-depth metric. */
export async function countQueuedDeliveries(
  db: Kysely<Database>,
): Promise<Record<Exclude<DeliveryStatus, 'processed'>, number>> {
  // Two queries, each answered from its partial index: processed rows are never scanned.
  const pending = await db
    .selectFrom('deliveries')
    .select(['status', sql<string>`count(*)`.as('count')])
    .where('status', 'in', ['received', 'processing', 'failed'])
    .groupBy('status')
    .execute();
  const dead = await db
    .selectFrom('deliveries')
    .select(sql<string>`count(*)`.as('count'))
    .where('status', '=', 'dead')
    .executeTakeFirstOrThrow();
  const counts = { received: 0, processing: 0, failed: 0, dead: Number(dead.count) };
  for (const row of pending) counts[row.status as 'received' | 'processing' | 'failed'] = Number(row.count);
  return counts;
}
