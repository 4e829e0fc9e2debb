import { randomBytes } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import type { DomainEvent } from '../db/domain-events.js';
import { type NewMessage, insertMessages } from '../db/notification-messages.js';
import type { SubscriptionRow } from '../db/notification-subscriptions.js';
import { activeSubscriptions } from '../db/notification-subscriptions.js';
import type { Database } from '../db/schema.js';
import { type PlanFacts, type PlanSeatEntry, notificationsOf, planIdNeeded } from './map-domain-event.js';
import type { Notification } from './notification-types.js';
import { CHAT_ROWS, type FoldCounts, type RenderOptions, renderGroup } from './render-message.js';

/** A new message id (the `webhook-id`): `msg_` and 18 random bytes, base64url. */
export function newMessageId(): string {
  return `msg_${randomBytes(18).toString('base64url')}`;
}

/** What one fan-out pass did. */
export interface FanOutResult {
  /** Outbox events looked at. */
  events: number;
  /** Messages stored. */
  messages: number;
}

/**
 * How long an event may stay invisible (its transaction still open) yet be recorded with an id
 * below newer ones: the watermark only passes events older than this, so none is skipped.
 */
const COMMIT_LAG_SECONDS = 300;

/** Whether a subscription wants a notification: its type, and its organizations if it names some. */
export function wants(subscription: Pick<SubscriptionRow, 'events' | 'orgs' | 'created_at'>, n: Notification, eventCreatedAt: Date): boolean {
  if (eventCreatedAt < subscription.created_at) return false;
  if (!subscription.events.includes(n.type)) return false;
  if (subscription.orgs === null) return true;
  return n.org !== null && subscription.orgs.includes(n.org.toLowerCase());
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

async function planFacts(db: Kysely<Database>, planId: string): Promise<PlanFacts | null> {
  // A malformed id would abort the pass's transaction, and with it every event after this one.
  if (!UUID.test(planId)) return null;
  // Only the parts the notifications name, not the whole plan.
  const row = await sql<{ adds: unknown; cancels: unknown; budget: unknown }>`
    select plan->'toAdd' as adds, plan->'toCancel' as cancels, plan->'budget' as budget from plans where id = ${planId}`.execute(db);
  const r = row.rows[0];
  if (!r) return null;
  const seats = new Map<string, PlanSeatEntry>();
  const take = (op: string, list: unknown) => {
    if (!Array.isArray(list)) return;
    for (const e of list as { login?: string; userId?: number | null; reason?: { text?: string } }[]) {
      if (typeof e.login === 'string') seats.set(`${op}:${e.login.toLowerCase()}`, { userId: e.userId ?? null, reason: e.reason?.text ?? null });
    }
  };
  take('add', r.adds);
  take('cancel', r.cancels);
  return { seats, budget: (r.budget as PlanFacts['budget']) ?? null };
}

const isChat = (s: SubscriptionRow) => s.format !== 'standard';

/** The applied seat changes of a whole plan: counts by type, and the first rows of each. */
async function planSeatChanges(db: Kysely<Database>, event: DomainEvent, planId: string, facts: PlanFacts | null): Promise<{ first: Notification[]; counts: FoldCounts }> {
  const counts = await sql<{ op: 'add' | 'cancel'; n: number }>`
    select op, count(*)::int as n from plan_changes where plan_id = ${planId}::uuid and status = 'done' group by op`.execute(db);
  const first: Notification[] = [];
  const logins = { add: [] as string[], cancel: [] as string[] };
  for (const op of ['add', 'cancel'] as const) {
    const rows = await sql<{ login: string }>`
      select login from plan_changes where plan_id = ${planId}::uuid and status = 'done' and op = ${op} order by login_key limit ${CHAT_ROWS}`.execute(db);
    logins[op] = rows.rows.map((r) => r.login);
  }
  // Cancellations get at least half the rows when there are both: they are what people look for.
  const cancelRows = Math.min(logins.cancel.length, logins.add.length > 0 ? Math.ceil(CHAT_ROWS / 2) : CHAT_ROWS);
  const shown = { add: logins.add.slice(0, CHAT_ROWS - cancelRows), cancel: logins.cancel.slice(0, cancelRows) };
  for (const op of ['add', 'cancel'] as const) {
    for (const login of shown[op]) {
      const entry = facts?.seats.get(`${op}:${login.toLowerCase()}`);
      first.push({
        type: op === 'add' ? 'seat.added' : 'seat.cancelled',
        org: event.org,
        timestamp: event.createdAt.toISOString(),
        data: { org: event.org, login, user_id: entry?.userId ?? null, reason: entry?.reason ?? null, plan_id: planId },
      });
    }
  }
  const byType: Record<string, number> = {};
  for (const r of counts.rows) byType[r.op === 'add' ? 'seat.added' : 'seat.cancelled'] = Number(r.n);
  return { first, counts: { byType } };
}

/**
 * Turns outbox events into messages, one transaction per pass: the events not yet fanned out
 * (above the watermark and not marked done), each matched against the active subscriptions and
 * rendered in their format, stored as messages and marked done. Instances take turns under an
 * advisory lock, and a message is keyed by its event and part, so no event is sent twice.
 */
export async function fanOutPending(db: Kysely<Database>, options: RenderOptions & { limit?: number }): Promise<FanOutResult> {
  const limit = options.limit ?? 500;
  return db.transaction().execute(async (trx) => {
    // Keyed by schema: deployments sharing one PostgreSQL database in different schemas do not wait on each other.
    await sql`select pg_advisory_xact_lock(hashtext(current_schema() || '.ceos.notifications.fanout'))`.execute(trx);
    const cursor = await sql<{ watermark: string }>`select watermark from notification_cursor where name = 'fanout'`.execute(trx);
    const watermark = cursor.rows[0]?.watermark ?? '0';
    const rows = await sql<{ id: string; org: string | null; type: string; payload: Record<string, unknown>; created_at: Date }>`
      select e.id, e.org, e.type, e.payload, e.created_at from domain_events e
       where e.id > ${watermark}
         and not exists (select 1 from notification_fanout f where f.event_id = e.id)
       order by e.id
       limit ${limit}`.execute(trx);
    let stored = 0;
    if (rows.rows.length > 0) {
      const subscriptions = await activeSubscriptions(trx);
      const facts = new Map<string, PlanFacts | null>();
      const messages: NewMessage[] = [];
      for (const row of rows.rows) {
        const event: DomainEvent = { id: String(row.id), org: row.org, type: row.type, payload: row.payload, createdAt: new Date(row.created_at) };
        if (subscriptions.length === 0) continue;
        const planId = planIdNeeded(event);
        if (planId && !facts.has(planId)) facts.set(planId, await planFacts(trx, planId));
        const groups = notificationsOf(event, planId ? (facts.get(planId) ?? null) : null);
        // Chat channels get a plan's seat changes once, folded, when the plan finishes (below).
        const planEnd = event.type === 'reconciliation.finished' && typeof event.payload.planId === 'string' && UUID.test(event.payload.planId) ? event.payload.planId : null;
        const seatProbe = (type: 'seat.added' | 'seat.cancelled'): Notification => ({ type, org: event.org, timestamp: '', data: { org: event.org } });
        const chatSeats = planEnd && subscriptions.some((s) => isChat(s) && (wants(s, seatProbe('seat.added'), event.createdAt) || wants(s, seatProbe('seat.cancelled'), event.createdAt)));
        if (chatSeats && !facts.has(planEnd)) facts.set(planEnd, await planFacts(trx, planEnd));
        const folded = chatSeats ? await planSeatChanges(trx, event, planEnd, facts.get(planEnd) ?? null) : null;
        for (const subscription of subscriptions) {
          if (folded && isChat(subscription)) {
            const first = folded.first.filter((n) => wants(subscription, n, event.createdAt));
            const byType = Object.fromEntries(Object.entries(folded.counts.byType).filter(([type]) => wants(subscription, seatProbe(type as 'seat.added'), event.createdAt)));
            if (first.length > 0) {
              renderGroup(subscription.format, first, options, { byType }).forEach((m, i) => {
                messages.push({ id: newMessageId(), subscriptionId: subscription.id, dedupeKey: `${event.id}:plan-seats:${i}`, type: m.type, org: event.org, body: m.body });
              });
            }
          }
          for (const group of groups) {
            if (group.key === 'seats' && isChat(subscription)) continue;
            const wanted = group.notifications.filter((n) => wants(subscription, n, event.createdAt));
            renderGroup(subscription.format, wanted, options).forEach((m, i) => {
              messages.push({ id: newMessageId(), subscriptionId: subscription.id, dedupeKey: `${event.id}:${group.key}:${i}`, type: m.type, org: event.org, body: m.body });
            });
          }
        }
      }
      stored = await insertMessages(trx, messages);
      await sql`
        insert into notification_fanout (event_id, event_created_at)
        select * from unnest(${rows.rows.map((r) => String(r.id))}::bigint[], ${rows.rows.map((r) => new Date(r.created_at).toISOString())}::timestamptz[])
        on conflict do nothing`.execute(trx);
    }
    // The watermark moves up to the last done event old enough that no earlier one can still appear.
    await sql`
      with moved as (
        select coalesce(max(f.event_id), ${watermark}::bigint) as to_id from notification_fanout f
         where f.event_id > ${watermark}::bigint
           and f.event_created_at < now() - make_interval(secs => ${COMMIT_LAG_SECONDS})
           and not exists (
             select 1 from domain_events e
              where e.id > ${watermark}::bigint and e.id < f.event_id
                and not exists (select 1 from notification_fanout g where g.event_id = e.id))
      )
      update notification_cursor set watermark = greatest(watermark, (select to_id from moved)) where name = 'fanout'`.execute(trx);
    await sql`delete from notification_fanout where event_id <= (select watermark from notification_cursor where name = 'fanout')`.execute(trx);
    return { events: rows.rows.length, messages: stored };
  });
}
