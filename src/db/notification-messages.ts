import { type Kysely, type Selectable, sql } from 'kysely';
import type { MessageState, NotificationAttemptsTable, NotificationMessagesTable } from './notification-schema.js';
import type { Database } from './schema.js';

/** NOTIFY channel raised (on commit) when messages become due: every instance's sender wakes. */
export const NOTIFICATIONS_CHANNEL = 'ceos_notifications';

async function notifySenders(db: Kysely<Database>): Promise<void> {
  await sql`select pg_notify(${NOTIFICATIONS_CHANNEL}, '')`.execute(db);
}

/** A message row as stored. */
export type MessageRow = Selectable<NotificationMessagesTable>;
/** An attempt row as stored. */
export type AttemptRow = Selectable<NotificationAttemptsTable>;

/** A message to store. */
export interface NewMessage {
  id: string;
  subscriptionId: string;
  dedupeKey: string;
  type: string;
  org: string | null;
  body: string;
}

/** Stores messages; one already made from the same event part for the same subscription is skipped. Returns how many were new. */
export async function insertMessages(db: Kysely<Database>, messages: readonly NewMessage[]): Promise<number> {
  if (messages.length === 0) return 0;
  let inserted = 0;
  // Chunks keep one statement's parameters well under PostgreSQL's limit on large plans.
  for (let i = 0; i < messages.length; i += 1000) {
    const chunk = messages.slice(i, i + 1000);
    const result = await db
      .insertInto('notification_messages')
      .values(chunk.map((m) => ({ id: m.id, subscription_id: m.subscriptionId, dedupe_key: m.dedupeKey, type: m.type, org: m.org, body: m.body })))
      .onConflict((oc) => oc.columns(['subscription_id', 'dedupe_key']).doNothing())
      .executeTakeFirst();
    inserted += Number(result.numInsertedOrUpdatedRows ?? 0);
  }
  if (inserted > 0) await notifySenders(db);
  return inserted;
}

/** A claimed message, with what sending it needs. */
export interface ClaimedMessage {
  id: string;
  subscriptionId: string;
  type: string;
  body: string;
  /** The attempt this claim is (1 for the first). */
  attempt: number;
}

/**
 * Claims due messages to send: per active subscription at most `perEndpoint` in flight across
 * every instance (counting those already being sent), `limit` in all. Each subscription's
 * oldest due messages are looked at separately, so one endpoint with a long backlog never keeps
 * the others' messages from being claimed. Rows another instance is claiming are skipped; a
 * claim whose lease ran out (its process died mid-send) is due again.
 */
export async function claimDueMessages(
  db: Kysely<Database>,
  options: { workerId: string; limit: number; perEndpoint: number; leaseSeconds: number },
): Promise<ClaimedMessage[]> {
  if (options.limit <= 0) return [];
  const result = await sql<{ id: string; subscription_id: string; type: string; body: string; attempts: number }>`
    with busy as (
      select subscription_id, count(*)::int as n from notification_messages
       where state = 'sending' and lease_until > now()
       group by subscription_id
    ),
    due as (
      select m.id, m.subscription_id, m.next_attempt_at
        from notification_subscriptions s
       cross join lateral (
         select id, subscription_id, next_attempt_at from notification_messages m
          where m.subscription_id = s.id
            and ((m.state = 'pending' and m.next_attempt_at <= now()) or (m.state = 'sending' and m.lease_until <= now()))
          order by m.next_attempt_at, m.id
          limit ${options.perEndpoint}
          for update skip locked
       ) m
       where s.state = 'active'
    ),
    ranked as (
      select d.id,
             row_number() over (partition by d.subscription_id order by d.next_attempt_at, d.id) + coalesce(b.n, 0) as slot,
             row_number() over (order by d.next_attempt_at, d.id) as n
        from due d left join busy b on b.subscription_id = d.subscription_id
    )
    update notification_messages m
       set state = 'sending', attempts = m.attempts + 1, claimed_by = ${options.workerId},
           lease_until = now() + make_interval(secs => ${options.leaseSeconds})
      from ranked r
     where m.id = r.id and r.slot <= ${options.perEndpoint} and r.n <= ${options.limit}
    returning m.id, m.subscription_id, m.type, m.body, m.attempts`.execute(db);
  return result.rows.map((r) => ({ id: r.id, subscriptionId: r.subscription_id, type: r.type, body: r.body, attempt: r.attempts }));
}

/** What one attempt came to, as the sender records it. */
export interface AttemptResult {
  messageId: string;
  subscriptionId: string;
  workerId: string;
  attempt: number;
  status: number | null;
  error: string | null;
  durationMs: number;
  /** Seconds to the next attempt after a failure; null when none is left (the message is dead-lettered). */
  retryInSeconds: number | null;
  /** Seconds of uninterrupted failure after which the endpoint is disabled. */
  disableAfterSeconds: number;
}

/** What recording an attempt changed. */
export interface AttemptRecorded {
  /** The message's state now; undefined when the attempt had lost its claim (nothing recorded over the newer one). */
  state: MessageState | undefined;
  /** Whether this failure disabled the endpoint. */
  disabled: boolean;
}

/**
 * Records one attempt: its row, the message's new state (delivered, due again, or dead), and the
 * endpoint's failure clock, which a success stops and which disables the endpoint once it has run
 * for `disableAfterSeconds`. One transaction, so the three always agree.
 */
export async function recordAttempt(db: Kysely<Database>, r: AttemptResult): Promise<AttemptRecorded> {
  return db.transaction().execute(async (trx) => {
    const ok = r.status !== null && r.status >= 200 && r.status < 300;
    const error = ok ? null : (r.error ?? `answered ${r.status}`).slice(0, 2000);
    const state: MessageState = ok ? 'delivered' : r.retryInSeconds === null ? 'dead' : 'pending';
    const updated = await sql<{ state: MessageState }>`
      update notification_messages
         set state = ${state}, claimed_by = null, lease_until = null, last_status = ${r.status}, last_error = ${error},
             next_attempt_at = now() + make_interval(secs => ${r.retryInSeconds ?? 0}),
             delivered_at = case when ${ok} then now() else delivered_at end,
             dead_at = case when ${state === 'dead'} then now() else dead_at end
       where id = ${r.messageId} and state = 'sending' and claimed_by = ${r.workerId} and attempts = ${r.attempt}
      returning state`.execute(trx);
    if (updated.rows.length === 0) return { state: undefined, disabled: false };
    await trx
      .insertInto('notification_attempts')
      .values({ message_id: r.messageId, attempt: r.attempt, status: r.status, error, duration_ms: Math.round(r.durationMs) })
      .execute();
    if (ok) {
      await trx.updateTable('notification_subscriptions').set({ failing_since: null }).where('id', '=', r.subscriptionId).where('failing_since', 'is not', null).execute();
      return { state, disabled: false };
    }
    const disabled = await sql<{ id: string }>`
      update notification_subscriptions
         set failing_since = coalesce(failing_since, now()),
             state = case when coalesce(failing_since, now()) <= now() - make_interval(secs => ${r.disableAfterSeconds}) then 'disabled' else state end,
             disabled_at = case when coalesce(failing_since, now()) <= now() - make_interval(secs => ${r.disableAfterSeconds}) then now() else disabled_at end,
             disabled_reason = case when coalesce(failing_since, now()) <= now() - make_interval(secs => ${r.disableAfterSeconds})
                                    then ${`every attempt failed for ${Math.round(r.disableAfterSeconds / 3600)} hours; last: ${error}`} else disabled_reason end
       where id = ${r.subscriptionId} and state = 'active'
      returning case when state = 'disabled' then id end as id`.execute(trx);
    return { state, disabled: disabled.rows[0]?.id != null };
  });
}

/** A message with its latest attempts, as `GET /webhooks/{id}/deliveries` lists it. */
export interface MessageWithAttempts extends MessageRow {
  history: AttemptRow[];
}

/** A subscription's messages, newest first, each with its last `attemptsShown` attempts. */
export async function listMessages(
  db: Kysely<Database>,
  subscriptionId: string,
  options: { limit: number; before?: { createdAt: Date; id: string }; state?: MessageState; attemptsShown?: number },
): Promise<MessageWithAttempts[]> {
  let query = db.selectFrom('notification_messages').selectAll().where('subscription_id', '=', subscriptionId).orderBy('created_at', 'desc').orderBy('id', 'desc').limit(options.limit);
  if (options.state) query = query.where('state', '=', options.state);
  if (options.before) {
    const { createdAt, id } = options.before;
    query = query.where((eb) => eb.or([eb('created_at', '<', createdAt), eb.and([eb('created_at', '=', createdAt), eb('id', '<', id)])]));
  }
  const rows = await query.execute();
  if (rows.length === 0) return [];
  const attempts = await db
    .selectFrom('notification_attempts')
    .selectAll()
    .where('message_id', 'in', rows.map((r) => r.id))
    .orderBy('id', 'desc')
    .execute();
  const shown = options.attemptsShown ?? 10;
  const byMessage = new Map<string, AttemptRow[]>();
  for (const a of attempts) {
    const list = byMessage.get(a.message_id) ?? [];
    if (list.length < shown) list.push(a);
    byMessage.set(a.message_id, list);
  }
  return rows.map((r) => ({ ...r, history: (byMessage.get(r.id) ?? []).reverse() }));
}

export async function findMessage(db: Kysely<Database>, subscriptionId: string, id: string): Promise<MessageRow | undefined> {
  return db.selectFrom('notification_messages').selectAll().where('subscription_id', '=', subscriptionId).where('id', '=', id).executeTakeFirst();
}

/**
 * Sends a dead-lettered or delivered message again, with a fresh set of attempts (the same
 * `webhook-id`, so a receiver that saw it can tell). A message still pending or being sent is
 * left alone: undefined then.
 */
export async function replayMessage(db: Kysely<Database>, subscriptionId: string, id: string): Promise<MessageRow | undefined> {
  const row = await db
    .updateTable('notification_messages')
    .set({ state: 'pending', attempts: 0, next_attempt_at: sql<Date>`now()`, dead_at: null, claimed_by: null, lease_until: null })
    .where('subscription_id', '=', subscriptionId)
    .where('id', '=', id)
    .where('state', 'in', ['dead', 'delivered'])
    .returningAll()
    .executeTakeFirst();
  if (row) await notifySenders(db);
  return row;
}

/** Messages per state across every subscription (the metric). */
export async function countMessagesByState(db: Kysely<Database>): Promise<Record<MessageState, number>> {
  const rows = await db.selectFrom('notification_messages').select(['state', sql<number>`count(*)::int`.as('n')]).groupBy('state').execute();
  const counts: Record<MessageState, number> = { pending: 0, sending: 0, delivered: 0, dead: 0 };
  for (const r of rows) counts[r.state] = Number(r.n);
  return counts;
}

/**
 * Deletes up to `limit` delivered and dead messages (with their attempts) older than `days`:
 * the history an admin reads and replays from is kept that long, and no longer.
 */
export async function pruneMessages(db: Kysely<Database>, days: number, limit = 1000): Promise<number> {
  const result = await sql<{ id: string }>`
    delete from notification_messages where id in (
      select id from notification_messages
       where (state = 'delivered' and delivered_at < now() - make_interval(days => ${days}))
          or (state = 'dead' and dead_at < now() - make_interval(days => ${days}))
       limit ${limit})
    returning id`.execute(db);
  return result.rows.length;
}
