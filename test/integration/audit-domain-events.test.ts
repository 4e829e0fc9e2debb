import { afterEach, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { appendAudit } from '../../src/db/audit-log.js';
import {
  DOMAIN_EVENTS_CHANNEL,
  type DomainEvent,
  DomainEventBus,
  MAX_DISPATCH_ATTEMPTS,
  dispatchPending,
  recordDomainEvent,
  recordDomainEvents,
} from '../../src/db/domain-events.js';
import { backend, testDatabases, uniqueSchema } from '../helpers/database.js';

const databases = testDatabases();
const openDatabase = databases.open;
afterEach(() => databases.closeAll());

describe(`domain events outbox (${backend})`, () => {
  it('records events with the change they belong to, and dispatches each once to its subscribers', async () => {
    const { db } = await openDatabase();
    await db.transaction().execute(async (trx) => {
      await appendAudit(trx, { org: 'acme', actor: 'schedule', action: 'seat.added', target: 'alice', reason: 'team copilot' });
      await recordDomainEvent(trx, { type: 'seat.changed', org: 'acme', payload: { login: 'alice', change: 'added' } });
    });
    await expect(
      db.transaction().execute(async (trx) => {
        await recordDomainEvent(trx, { type: 'seat.changed', org: 'acme', payload: { login: 'bob', change: 'added' } });
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    const ids = await recordDomainEvents(db, [
      { type: 'reconciliation.finished', org: 'acme', payload: { planId: '3', adds: 1, cancels: 0 } },
      { type: 'violation.found', org: 'acme', payload: { login: 'carol', rule: 'deny' } },
    ]);
    expect(ids).toHaveLength(2);
    expect(BigInt(ids[0]!) < BigInt(ids[1]!)).toBe(true);
    expect(await recordDomainEvents(db, [])).toEqual([]);

    const bus = new DomainEventBus();
    const seats: DomainEvent[] = [];
    const all: string[] = [];
    bus.subscribe('seat.changed', (event) => {
      seats.push(event);
    });
    const unsubscribe = bus.subscribe('*', async (event) => {
      all.push(event.type);
    });

    expect(await dispatchPending(db, bus, 2)).toEqual({ dispatched: 2, failed: 0 });
    expect(await dispatchPending(db, bus, 2)).toEqual({ dispatched: 1, failed: 0 });
    expect(await dispatchPending(db, bus, 2)).toEqual({ dispatched: 0, failed: 0 });
    expect(seats).toHaveLength(1);
    expect(seats[0]).toMatchObject({ type: 'seat.changed', org: 'acme', payload: { login: 'alice', change: 'added' } });
    expect(seats[0]!.createdAt).toBeInstanceOf(Date);
    expect(all).toEqual(['seat.changed', 'reconciliation.finished', 'violation.found']);

    unsubscribe();
    await recordDomainEvent(db, { type: 'seat.changed', org: null, payload: {} });
    expect(await dispatchPending(db, bus)).toEqual({ dispatched: 1, failed: 0 });
    expect(all).toHaveLength(3);
    expect(seats).toHaveLength(2);
    const pending = await db.selectFrom('domain_events').select('id').where('dispatched_at', 'is', null).execute();
    expect(pending).toEqual([]);
  });

  it('keeps a failed event in the outbox with its error, and retries it on the next pass', async () => {
    const { db } = await openDatabase();
    await recordDomainEvents(db, [
      { type: 'violation.found', org: 'acme', payload: { n: 1 } },
      { type: 'violation.found', org: 'acme', payload: { n: 2 } },
    ]);
    const bus = new DomainEventBus();
    const handled: number[] = [];
    let failing = true;
    bus.subscribe('violation.found', (event) => {
      if (failing && event.payload.n === 1) throw new Error('mail server down');
      handled.push(event.payload.n as number);
    });
    expect(await dispatchPending(db, bus)).toEqual({ dispatched: 1, failed: 1 });
    const failed = await db.selectFrom('domain_events').selectAll().where('dispatched_at', 'is', null).execute();
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ attempts: 1, last_error: 'mail server down' });

    failing = false;
    expect(await dispatchPending(db, bus)).toEqual({ dispatched: 1, failed: 0 });
    expect(handled).toEqual([2, 1]);

    failing = true;
    await recordDomainEvent(db, { type: 'violation.found', org: 'acme', payload: { n: 1 } });
    for (let i = 0; i < MAX_DISPATCH_ATTEMPTS; i++) expect(await dispatchPending(db, bus)).toEqual({ dispatched: 0, failed: 1 });
    expect(await dispatchPending(db, bus)).toEqual({ dispatched: 0, failed: 0 });
  });

  it('hands each event to exactly one of several concurrent dispatchers', async () => {
    const schema = uniqueSchema();
    const instances = backend === 'postgres' ? [await openDatabase(schema), await openDatabase(schema)] : [await openDatabase(schema)];
    const { db } = instances[0]!;
    await recordDomainEvents(
      db,
      Array.from({ length: 300 }, (_, i) => ({ type: 'seat.changed', org: 'acme', payload: { i } })),
    );
    const seen: number[] = [];
    const bus = new DomainEventBus();
    bus.subscribe('*', async (event) => {
      seen.push(event.payload.i as number);
    });
    const dispatchers = Array.from({ length: 6 }, async (_, d) => {
      const instance = instances[d % instances.length]!;
      let total = 0;
      for (;;) {
        const { dispatched } = await dispatchPending(instance.db, bus, 25);
        if (dispatched === 0) return total;
        total += dispatched;
      }
    });
    const totals = await Promise.all(dispatchers);
    expect(totals.reduce((a, b) => a + b, 0)).toBe(300);
    expect([...seen].sort((a, b) => a - b)).toEqual(Array.from({ length: 300 }, (_, i) => i));
  });

  it('wakes listeners when events commit', async () => {
    const database = await openDatabase();
    const notified: string[] = [];
    const stop = await database.listen(DOMAIN_EVENTS_CHANNEL, (payload) => notified.push(payload));
    try {
      await database.db.transaction().execute((trx) => recordDomainEvent(trx, { type: 'policy.loaded', org: 'acme', payload: {} }));
      await expect.poll(() => notified.length).toBeGreaterThan(0);
    } finally {
      await stop();
    }
    const [row] = await sql<{ n: string }>`select count(*) as n from domain_events`.execute(database.db).then((r) => r.rows);
    expect(Number(row!.n)).toBe(1);
  });
});
