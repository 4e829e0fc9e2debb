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
  /** Trace context of the request that stored it (a JSON carrier), when tracing is on. */
  traceContext?: string | null;
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

// The insert of a traced process: the same statement with the trace context as a tenth column.
// Apart from the untraced statements above and below, so that with tracing off (the default) the
// intake's hot path sends exactly what it did before.
const INSERT_TRACED_DELIVERIES_SQL = `
  with inserted as (
    insert into deliveries (id, event, action, installation_id, org, repository, sender, payload, received_at, trace_context, next_attempt_at)
    select t.*, t.received_at from unnest(
      $1::text[], $2::text[], $3::text[], $4::bigint[], $5::text[], $6::text[], $7::text[], $8::text[], $9::timestamptz[], $10::text[])
      as t(id, event, action, installation_id, org, repository, sender, payload, received_at, trace_context)
    on conflict (id) do nothing
    returning id
  )
  select id, (select pg_notify('${DELIVERIES_CHANNEL}', '')) as notified from inserted`;

/** Inserts a group of deliveries with their trace contexts, through Kysely (either database): the intake's insert while tracing is on. */
export async function insertTracedDeliveries(db: Kysely<Database>, rows: readonly NewDelivery[]): Promise<Set<string>> {
  if (rows.length === 0) return new Set();
  const values = [...deliveryColumns(rows), rows.map((row) => row.traceContext ?? null)];
  const result = await db.executeQuery<{ id: string }>(CompiledQuery.raw(INSERT_TRACED_DELIVERIES_SQL, values));
  return new Set(result.rows.map((r) => r.id));
}

/** The same on PostgreSQL, as a named prepared statement (parsed and planned once per connection). */
export function preparedTracedDeliveryInsert(pool: Pool): InsertDeliveries {
  return async (rows) => {
    if (rows.length === 0) return new Set();
    const values = [...deliveryColumns(rows), rows.map((row) => row.traceContext ?? null)];
    const result = await pool.query<{ id: string }>({ name: 'ceos-insert-traced-deliveries', text: INSERT_TRACED_DELIVERIES_SQL, values });
    return new Set(result.rows.map((r) => r.id));
  };
}

/**
 * Inserts a group of deliveries on PostgreSQL as a named prepared statement, which each pooled
 * connection parses and plans once: on the intake's hot path that is a fifth more deliveries per
 * second on two cores (see docs/benchmarks.md).
 */
export function preparedDeliveryInsert(pool: Pool): InsertDeliveries {
  return async (rows) => {
    if (rows.length === 0) return new Set();
    const size = valuesBucket(rows.length);
    const result =
      size === undefined
        ? await pool.query<{ id: string }>({ name: 'ceos-insert-deliveries', text: INSERT_DELIVERIES_SQL, values: deliveryColumns(rows) })
        : await pool.query<{ id: string }>({ name: `ceos-insert-deliveries-${size}`, text: valuesInsertSql(size), values: deliveryValues(rows, size) });
    return new Set(result.rows.map((r) => r.id));
  };
}

// Groups of up to this many rows are sent as one parameter per value rather than as arrays: pg
// would otherwise escape every payload into an array literal (about 20 µs for a 10 KB payload) and
// PostgreSQL parse it back. Group sizes are rounded up to a power of two, padded with null rows the
// statement skips, so each connection prepares at most seven statements.
const MAX_VALUES_ROWS = 64;
const COLUMNS = 9;

function valuesBucket(rows: number): number | undefined {
  if (rows > MAX_VALUES_ROWS) return undefined;
  let size = 1;
  while (size < rows) size *= 2;
  return size;
}

const valuesSql = new Map<number, string>();

function valuesInsertSql(size: number): string {
  let text = valuesSql.get(size);
  if (text !== undefined) return text;
  const types = ['text', 'text', 'text', 'bigint', 'text', 'text', 'text', 'text', 'timestamptz'];
  const tuples = Array.from({ length: size }, (_, row) => `(${types.map((type, column) => `$${row * COLUMNS + column + 1}::${type}`).join(', ')})`);
  text = `
  with inserted as (
    insert into deliveries (id, event, action, installation_id, org, repository, sender, payload, received_at, next_attempt_at)
    select t.*, t.received_at from (values ${tuples.join(', ')})
      as t(id, event, action, installation_id, org, repository, sender, payload, received_at)
     where t.id is not null
    on conflict (id) do nothing
    returning id
  )
  select id, (select pg_notify('${DELIVERIES_CHANNEL}', '')) as notified from inserted`;
  valuesSql.set(size, text);
  return text;
}

function deliveryValues(rows: readonly NewDelivery[], size: number): unknown[] {
  const values: unknown[] = new Array(size * COLUMNS).fill(null);
  rows.forEach((row, i) => {
    const at = i * COLUMNS;
    values[at] = row.id;
    values[at + 1] = row.event;
    values[at + 2] = row.action;
    values[at + 3] = row.installationId;
    values[at + 4] = row.org;
    values[at + 5] = row.repository;
    values[at + 6] = row.sender;
    values[at + 7] = row.payload;
    values[at + 8] = row.receivedAt.toISOString();
  });
  return values;
}

/** A delivery claimed by a worker. */
export interface ClaimedDelivery {
  id: string;
  event: string;
  payload: string;
  attempts: number;
  receivedAt: Date;
  /** Trace context stored with it by the intake, when tracing was on. */
  traceContext: string | null;
}

/**
 * A condition that is always true and makes the statement's transaction commit without waiting for
 * its WAL to reach the disk (`synchronous_commit = off`, for this transaction only). It is for the
 * engine's own bookkeeping (claims, lease extensions, completions), never for anything answered to
 * GitHub: the intake's inserts always wait. Only a crash of the PostgreSQL server within a few
 * hundred milliseconds can lose such a commit, and what it loses is safe to lose: a claim or a lease
 * extension undone makes the delivery due again, a completion undone has it processed once more,
 * exactly as after a worker that died. Waiting for a disk flush per claim and per completion was
 * what the workers' connections spent most of their time on while draining.
 */
const COMMIT_WITHOUT_FLUSH = sql`(select set_config('synchronous_commit', 'off', true)) is not null`;

/**
 * Claims up to `limit` due deliveries for `workerId`: new ones, failed ones whose backoff has
 * passed, and ones whose previous worker's lease ran out (it crashed or hung). The lease is the
 * row's next due time, so a crash needs no clean-up: the row simply becomes due again. A claim is
 * one attempt: the worker and the attempt number together fence everything it records later.
 */
export async function claimDueDeliveries(
  db: Kysely<Database>,
  options: { limit: number; leaseSeconds: number; workerId: string; maxAttempts: number },
): Promise<ClaimedDelivery[]> {
  const result = await sql<{ id: string; event: string; payload: string; attempts: number; received_at: Date; trace_context: string | null }>`
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
       and ${COMMIT_WITHOUT_FLUSH}
    returning d.id, d.event, d.payload, d.attempts, d.received_at, d.trace_context`.execute(db);
  return result.rows.map((r) => ({
    id: r.id,
    event: r.event,
    payload: r.payload,
    attempts: Number(r.attempts),
    receivedAt: new Date(r.received_at),
    traceContext: r.trace_context,
  }));
}

// A dead-lettered delivery is a domain event (delivery.dead, for notifications), recorded by the
// statement that dead-letters it; the CTE it joins names its changed rows `changed`.
const deadDeliveryEvents = sql`
  insert into domain_events (org, type, payload)
  select d.org, 'delivery.dead', jsonb_build_object('deliveryId', d.id, 'event', d.event, 'action', d.action, 'attempts', d.attempts, 'error', left(d.last_error, 500))
    from changed d
   where d.status = 'dead'
  returning id`;

/**
 * Dead-letters deliveries whose last lease ran out with no attempts left: a delivery that keeps
 * killing its worker must not be retried forever.
 */
export async function deadLetterAbandoned(db: Kysely<Database>, maxAttempts: number): Promise<string[]> {
  const result = await sql<{ id: string }>`
    with changed as (
      update deliveries
         set status = 'dead',
             last_error = coalesce(last_error || '; ', '') || 'worker lease expired on the last attempt'
       where status = 'processing' and next_attempt_at <= now() and attempts >= ${maxAttempts}
      returning id, status, event, action, org, attempts, last_error
    ), recorded as (${deadDeliveryEvents})
    select id from changed`.execute(db);
  return result.rows.map((r) => r.id);
}

/** One attempt of a delivery: the claim a worker holds on it. */
export interface DeliveryClaim {
  id: string;
  workerId: string;
  /** The attempt number the claim set (`attempts` after the claim). */
  attempt: number;
}

/**
 * Extends the leases of claims still held: each row stays leased for `leaseSeconds` more. Returns
 * the ids whose claim is still this worker's; a claim missing from the answer was lost (its lease
 * ran out and another worker took the delivery over, or it was replayed), and its attempt must stop.
 */
export async function extendLeases(
  db: Kysely<Database>,
  claims: readonly DeliveryClaim[],
  leaseSeconds: number,
): Promise<Set<string>> {
  if (claims.length === 0) return new Set();
  const result = await sql<{ id: string }>`
    update deliveries d
       set next_attempt_at = now() + make_interval(secs => ${leaseSeconds})
      from unnest(${claims.map((c) => c.id)}::text[], ${claims.map((c) => c.workerId)}::text[], ${claims.map((c) => c.attempt)}::int[])
           as t(id, worker, attempt)
     where d.id = t.id and d.status = 'processing' and d.claimed_by = t.worker and d.attempts = t.attempt
       and ${COMMIT_WITHOUT_FLUSH}
    returning d.id`.execute(db);
  return new Set(result.rows.map((r) => r.id));
}

/**
 * Marks deliveries processed, unless the attempt no longer holds its claim (its lease ran out and
 * another worker, or this one again, took the delivery over). Returns the ids it marked.
 */
export async function markProcessed(db: Kysely<Database>, done: readonly DeliveryClaim[]): Promise<Set<string>> {
  if (done.length === 0) return new Set();
  const result = await sql<{ id: string }>`
    update deliveries d
       set status = 'processed', processed_at = now(), last_error = null, claimed_by = null
      from unnest(${done.map((d) => d.id)}::text[], ${done.map((d) => d.workerId)}::text[], ${done.map((d) => d.attempt)}::int[])
           as t(id, worker, attempt)
     where d.id = t.id and d.status = 'processing' and d.claimed_by = t.worker and d.attempts = t.attempt
       and ${COMMIT_WITHOUT_FLUSH}
    returning d.id`.execute(db);
  return new Set(result.rows.map((r) => r.id));
}

/**
 * Records a failed attempt: the delivery becomes due again after `retryInSeconds`, or is
 * dead-lettered when it has no attempts left. Returns the status it ended in, or undefined when
 * the attempt had lost its claim (nothing is recorded over the attempt that took it over).
 */
export async function markFailed(
  db: Kysely<Database>,
  failure: DeliveryClaim & { error: string; retryInSeconds: number; maxAttempts: number },
): Promise<DeliveryStatus | undefined> {
  const result = await sql<{ status: DeliveryStatus }>`
    with changed as (
      update deliveries
         set status = case when attempts >= ${failure.maxAttempts} then 'dead' else 'failed' end,
             last_error = ${failure.error.slice(0, 4000)},
             claimed_by = null,
             next_attempt_at = now() + make_interval(secs => ${failure.retryInSeconds})
       where id = ${failure.id} and status = 'processing' and claimed_by = ${failure.workerId} and attempts = ${failure.attempt}
      returning id, status, event, action, org, attempts, last_error
    ), recorded as (${deadDeliveryEvents})
    select status from changed`.execute(db);
  return result.rows[0]?.status;
}

/**
 * Hands an attempt back without counting it: the delivery becomes due again in `retryInSeconds`
 * with the attempt it used given back (a rate limit GitHub will lift is not the delivery's fault).
 * Returns false when the attempt had lost its claim.
 */
export async function giveBackDelivery(
  db: Kysely<Database>,
  claim: DeliveryClaim & { reason: string; retryInSeconds: number },
): Promise<boolean> {
  const result = await sql<{ id: string }>`
    update deliveries
       set status = 'failed',
           attempts = greatest(attempts - 1, 0),
           last_error = ${claim.reason.slice(0, 4000)},
           claimed_by = null,
           next_attempt_at = now() + make_interval(secs => ${claim.retryInSeconds})
     where id = ${claim.id} and status = 'processing' and claimed_by = ${claim.workerId} and attempts = ${claim.attempt}
    returning id`.execute(db);
  return result.rows.length > 0;
}

/** What asking to replay a delivery did, with the sentence to show the person who asked. */
export type ReplayResult =
  | { replayed: true; message: string }
  | { replayed: false; reason: 'not_found' | 'processing' | 'payload_dropped'; message: string };

/**
 * Puts a stored delivery back in line to be processed again, with a fresh set of attempts. Refused,
 * changing nothing, when no delivery has that id, when a worker holds it right now (a second run
 * beside the first would apply it twice at once), or when its payload was dropped by retention.
 */
export async function replayDelivery(db: Kysely<Database>, id: string): Promise<ReplayResult> {
  // One statement: the check and the update see the same row, locked, so a claim cannot slip in between.
  const result = await sql<{ status: DeliveryStatus; claimed_by: string | null; lease_ends: Date; leased: boolean; dropped: boolean; replayed: boolean }>`
    with target as (
      select id, status, claimed_by, next_attempt_at, next_attempt_at > now() as leased, payload = '' as dropped
        from deliveries where id = ${id} for update
    ), replayed as (
      update deliveries d
         set status = 'received', attempts = 0, last_error = null, claimed_by = null,
             processed_at = null, next_attempt_at = now()
        from target t
       where d.id = t.id and not (t.status = 'processing' and t.leased) and not t.dropped
      returning d.id
    )
    select t.status, t.claimed_by, t.next_attempt_at as lease_ends, t.leased, t.dropped,
           exists (select 1 from replayed) as replayed,
           (select pg_notify(${DELIVERIES_CHANNEL}, '') from replayed) as notified
      from target t`.execute(db);
  const row = result.rows[0];
  if (!row) return { replayed: false, reason: 'not_found', message: `no delivery ${id}` };
  if (row.replayed) return { replayed: true, message: `delivery ${id} queued for processing` };
  if (row.dropped) {
    return {
      replayed: false,
      reason: 'payload_dropped',
      message: `delivery ${id} cannot be replayed: its payload was dropped by the retention settings (CEOS_RETAIN_DELIVERY_PAYLOAD_DAYS)`,
    };
  }
  return {
    replayed: false,
    reason: 'processing',
    message:
      `delivery ${id} is being processed right now (by ${row.claimed_by ?? 'a worker'}, leased until ${new Date(row.lease_ends).toISOString()}); ` +
      'replay it once that attempt has finished (see `ceos deliveries show`)',
  };
}

/** Summary of a delivery, for listings. */
export type DeliverySummary = Omit<Delivery, 'payload' | 'trace_context'>;

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

/**
 * Seconds since the oldest due delivery became due (0 when nothing is due): how far processing
 * lags behind. Due means waiting, past its retry backoff, or leased to a worker whose lease ran out.
 */
export async function oldestDueDeliveryAgeSeconds(db: Kysely<Database>): Promise<number> {
  const row = await sql<{ age: string | null }>`
    select extract(epoch from now() - min(next_attempt_at)) as age
      from deliveries
     where status in ('received', 'processing', 'failed') and next_attempt_at <= now()`.execute(db);
  return Math.max(0, Number(row.rows[0]?.age ?? 0));
}
