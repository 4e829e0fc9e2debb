import { type Kysely, sql } from 'kysely';
import type { Database } from './schema.js';

/** NOTIFY channel raised (on commit) when domain events are recorded. */
export const DOMAIN_EVENTS_CHANNEL = 'ceos_domain_events';

/**
 * What happened in the domain. The known types are listed for completion; others are accepted
 * so an area can add its own without a migration.
 */
export type DomainEventType =
  | 'seat.changed'
  | 'reconciliation.finished'
  | 'violation.found'
  | 'policy.loaded'
  | 'override.changed'
  | (string & {});

/** A domain event as recorded by the code that caused it. */
export interface NewDomainEvent {
  type: DomainEventType;
  /** Organization it concerns; null for events that concern none. */
  org: string | null;
  /** JSON data for the handlers. */
  payload: Record<string, unknown>;
}

/** A recorded domain event, as handlers receive it. */
export interface DomainEvent extends NewDomainEvent {
  /** Outbox order (a bigint, as text). */
  id: string;
  createdAt: Date;
}

/** Handles one event; throwing leaves the event in the outbox for the next dispatch. */
export type DomainEventHandler = (event: DomainEvent) => Promise<void> | void;

/**
 * Records one domain event in the outbox. Pass the transaction of the change it describes, so
 * the event exists if and only if the change committed.
 */
export async function recordDomainEvent(trx: Kysely<Database>, event: NewDomainEvent): Promise<string> {
  const [id] = await recordDomainEvents(trx, [event]);
  return id!;
}

/**
 * Records domain events in one insert, in the order given, and wakes listening dispatchers
 * when the transaction commits. This is the one way events enter the outbox. Returns the ids.
 */
export async function recordDomainEvents(trx: Kysely<Database>, events: readonly NewDomainEvent[]): Promise<string[]> {
  if (events.length === 0) return [];
  const result = await sql<{ id: string }>`
    with inserted as (
      insert into domain_events (org, type, payload)
      select t.org, t.type, t.payload::jsonb
        from unnest(${events.map((e) => e.org)}::text[], ${events.map((e) => e.type)}::text[],
                    ${events.map((e) => JSON.stringify(e.payload))}::text[]) with ordinality as t(org, type, payload, n)
       order by t.n
      returning id
    )
    select id, (select pg_notify(${DOMAIN_EVENTS_CHANNEL}, '')) as notified from inserted order by id`.execute(trx);
  return result.rows.map((r) => r.id);
}

/** In-process subscribers to domain events, by type ('*' for every type). */
export class DomainEventBus {
  private readonly handlers = new Map<string, DomainEventHandler[]>();

  /** Adds a handler; returns a function that removes it. */
  subscribe(type: DomainEventType | '*', handler: DomainEventHandler): () => void {
    const list = this.handlers.get(type) ?? [];
    list.push(handler);
    this.handlers.set(type, list);
    return () => {
      const index = list.indexOf(handler);
      if (index !== -1) list.splice(index, 1);
    };
  }

  /** Runs every handler for the event's type, then the '*' handlers, one after another. */
  async publish(event: DomainEvent): Promise<void> {
    for (const handler of [...(this.handlers.get(event.type) ?? []), ...(this.handlers.get('*') ?? [])]) {
      await handler(event);
    }
  }
}

/** Failed attempts after which an event is no longer dispatched (it stays in the outbox, for inspection). */
export const MAX_DISPATCH_ATTEMPTS = 10;

/** What one dispatch pass did. */
export interface DispatchResult {
  /** Events handled and marked dispatched. */
  dispatched: number;
  /** Events whose handlers threw; they stay in the outbox with the error recorded. */
  failed: number;
}

/**
 * Claims up to `limit` undispatched events (oldest first, skipping rows another dispatcher
 * holds), passes each to the bus, and marks it dispatched, all in one transaction: an event is
 * handled by one dispatcher at a time and, unless its handlers throw or the process dies
 * mid-pass, exactly once. A failed event keeps its place and is tried again on the next pass,
 * up to MAX_DISPATCH_ATTEMPTS times.
 */
export async function dispatchPending(db: Kysely<Database>, bus: DomainEventBus, limit = 100): Promise<DispatchResult> {
  return db.transaction().execute(async (trx) => {
    const rows = await sql<{ id: string; org: string | null; type: string; payload: Record<string, unknown>; created_at: Date }>`
      select id, org, type, payload, created_at from domain_events
       where dispatched_at is null and attempts < ${MAX_DISPATCH_ATTEMPTS}
       order by id
       limit ${limit}
       for update skip locked`.execute(trx);
    const done: string[] = [];
    const failures: { id: string; error: string }[] = [];
    for (const row of rows.rows) {
      const event: DomainEvent = { id: row.id, org: row.org, type: row.type, payload: row.payload, createdAt: new Date(row.created_at) };
      try {
        await bus.publish(event);
        done.push(row.id);
      } catch (error) {
        failures.push({ id: row.id, error: (error instanceof Error ? error.message : String(error)).slice(0, 4000) });
      }
    }
    if (done.length > 0) {
      await trx.updateTable('domain_events').set({ dispatched_at: sql<Date>`now()` }).where('id', 'in', done).execute();
    }
    for (const failure of failures) {
      await trx
        .updateTable('domain_events')
        .set({ attempts: sql<number>`attempts + 1`, last_error: failure.error })
        .where('id', '=', failure.id)
        .execute();
    }
    return { dispatched: done.length, failed: failures.length };
  });
}
