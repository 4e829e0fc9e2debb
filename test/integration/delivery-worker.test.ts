import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import pg from 'pg';
import type { Probot } from 'probot';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { insertDeliveries, replayDelivery } from '../../src/db/deliveries.js';
import { type TestCeos, startTestCeos } from '../helpers/ceos.js';
import { backend, dropSchemas, testDatabaseUrl, uniqueSchema } from '../helpers/database.js';
import { deliveryRow, metricValue, waitForDeliveryStatus } from '../helpers/deliveries.js';
import { sendWebhook } from '../helpers/webhooks.js';

const running: TestCeos[] = [];
const schemas: string[] = [];
afterEach(async () => {
  for (const instance of running.splice(0).reverse()) await instance.close();
  for (const schema of schemas.splice(0)) await dropSchemas(schema);
});

async function start(env: Record<string, string> = {}, extraHandlers?: (app: Probot) => void): Promise<TestCeos> {
  const schema = env.DATABASE_SCHEMA ?? uniqueSchema();
  if (!schemas.includes(schema)) schemas.push(schema);
  const instance = await startTestCeos({ DATABASE_SCHEMA: schema, ...env }, { extraHandlers });
  running.push(instance);
  return instance;
}

/** Handler calls per delivery id, with when each happened. */
function recorder(behaviour: (id: string, call: number) => void = () => undefined) {
  const calls = new Map<string, number[]>();
  const handlers = (app: Probot) => {
    app.on('ping', async (context) => {
      const times = calls.get(context.id) ?? [];
      times.push(Date.now());
      calls.set(context.id, times);
      behaviour(context.id, times.length);
    });
  };
  return { calls, handlers, count: (id: string) => calls.get(id)?.length ?? 0 };
}

async function metrics(instance: TestCeos): Promise<string> {
  return instance.metrics.registry.metrics();
}

describe(`delivery worker (${backend})`, () => {
  it('answers HTTP while it drains a backlog: deliveries never chain without letting the event loop turn', async () => {
    const ceos = await start({ CEOS_WORKER_CONCURRENCY: '1' });
    const ids = Array.from({ length: 2000 }, () => randomUUID());
    await insertDeliveries(
      ceos.database.db,
      ids.map((id, i) => ({ id, event: 'ping', action: null, installationId: null, org: null, repository: null, sender: null, payload: `{"zen":"z${i}","hook_id":1}`, receivedAt: new Date() })),
    );
    ceos.worker!.wake();
    // On the embedded database a query resolves without I/O: were deliveries chained as
    // microtasks, this request would be answered only once the whole backlog was processed.
    const health = await fetch(`${ceos.url}/healthz`);
    expect(health.status).toBe(200);
    const processed = await ceos.database.db.selectFrom('deliveries').select((eb) => eb.fn.countAll<string>().as('n')).where('status', '=', 'processed').executeTakeFirstOrThrow();
    expect(Number(processed.n)).toBeLessThan(ids.length);
    await vi.waitFor(
      async () => {
        const left = await ceos.database.db.selectFrom('deliveries').select('id').where('status', '!=', 'processed').limit(1).execute();
        expect(left).toEqual([]);
      },
      { timeout: 60_000, interval: 100 },
    );
  });

  it.skipIf(backend !== 'postgres')('drains a backlog many times its concurrency when its batches finish during the sweep, without waiting for a poll', async () => {
    const schema = uniqueSchema();
    schemas.push(schema);
    const setup = await start({ DATABASE_SCHEMA: schema, CEOS_WORKERS: 'false' });
    const ids = Array.from({ length: 400 }, () => randomUUID());
    const row = (id: string, i: number) => ({ id, event: 'ping', action: null, installationId: null, org: null, repository: null, sender: null, payload: `{"zen":"z${i}","hook_id":1}`, receivedAt: new Date() });
    await insertDeliveries(setup.database.db, [...ids.map(row), row('abandoned', -1)]);
    // A lease that ran out on its last attempt, locked by another session: the worker's sweep,
    // which dead-letters it, waits on that lock while the first batch finishes.
    await sql`update deliveries set status = 'processing', attempts = 8, next_attempt_at = now() - interval '1 minute' where id = 'abandoned'`.execute(setup.database.db);
    await setup.close();
    running.splice(running.indexOf(setup), 1);
    const locker = new pg.Client({ connectionString: testDatabaseUrl });
    await locker.connect();
    try {
      await locker.query('begin');
      await locker.query(`select id from "${schema}".deliveries where id = 'abandoned' for update`);
      // A poll an hour away: only the worker's own wake-ups (a freed slot looks for more) can drain the rest.
      const ceos = await startTestCeos({ DATABASE_SCHEMA: schema, CEOS_WORKER_CONCURRENCY: '4' }, { pollIntervalMs: 3_600_000 });
      running.push(ceos);
      const processed = async () => {
        const result = await ceos.database.db.selectFrom('deliveries').select((eb) => eb.fn.countAll<string>().as('n')).where('status', '=', 'processed').executeTakeFirstOrThrow();
        return Number(result.n);
      };
      await vi.waitFor(async () => {
        const waiting = await locker.query(`select count(*)::int as n from pg_stat_activity where wait_event_type = 'Lock' and query like '%worker lease expired on the last attempt%'`);
        expect(waiting.rows[0].n).toBe(1);
      });
      // The first batch finishes while the sweep waits.
      await vi.waitFor(async () => expect(await processed()).toBe(4));
      await locker.query('commit');
      await vi.waitFor(async () => expect(await processed()).toBe(ids.length), { timeout: 30_000, interval: 100 });
      const abandoned = await deliveryRow(ceos.database.db, 'abandoned');
      expect(abandoned?.status).toBe('dead');
    } finally {
      await locker.end();
    }
  });

  it('retries a failing handler with backoff, then dead-letters it with its attempts and last error', async () => {
    const handler = recorder((_id, call) => {
      throw new Error(`upstream unavailable (call ${call})`);
    });
    const ceos = await start({ CEOS_DELIVERY_RETRY_BASE_SECONDS: '0.05', CEOS_DELIVERY_MAX_ATTEMPTS: '3' }, handler.handlers);
    const sent = await sendWebhook(ceos.url, { event: 'ping', payload: { zen: 'z' } });
    expect(sent.status).toBe(202);

    const row = await waitForDeliveryStatus(ceos.database.db, sent.id, 'dead');
    expect(row.attempts).toBe(3);
    expect(row.last_error).toContain('upstream unavailable (call 3)');
    expect(row.claimed_by).toBeNull();
    expect(row.processed_at).toBeNull();
    expect(handler.count(sent.id)).toBe(3);
    // Backoff: base·2^(n-1) with at most 20 % taken off by jitter.
    const [first, second, third] = handler.calls.get(sent.id)!;
    expect(second! - first!).toBeGreaterThanOrEqual(40);
    expect(third! - second!).toBeGreaterThanOrEqual(80);

    const text = await metrics(ceos);
    expect(metricValue(text, 'ceos_deliveries_dead_lettered_total')).toBe(1);
    expect(metricValue(text, 'ceos_job_failures_total{queue="deliveries"}')).toBe(3);
    expect(metricValue(text, 'ceos_delivery_processing_seconds_count{outcome="dead"}')).toBe(1);
    expect(metricValue(text, 'ceos_queue_depth{status="dead"}')).toBe(1);
    expect(ceos.logs.lines.some((l) => l.msg === 'delivery dead-lettered after its last attempt' && l.delivery === sent.id)).toBe(true);
    expect(ceos.logs.lines.filter((l) => l.msg === 'delivery failed; it will be retried' && l.delivery === sent.id)).toHaveLength(2);
  });

  it('ends processed with two attempts when the handler fails once and then succeeds', async () => {
    const handler = recorder((_id, call) => {
      if (call === 1) throw new Error('transient');
    });
    const ceos = await start({ CEOS_DELIVERY_RETRY_BASE_SECONDS: '0.05' }, handler.handlers);
    const sent = await sendWebhook(ceos.url, { event: 'ping', payload: { zen: 'z' } });

    const row = await waitForDeliveryStatus(ceos.database.db, sent.id, 'processed');
    expect(row.attempts).toBe(2);
    expect(row.last_error).toBeNull();
    expect(row.processed_at).toBeInstanceOf(Date);
    expect(handler.count(sent.id)).toBe(2);
    const text = await metrics(ceos);
    expect(metricValue(text, 'ceos_deliveries_dead_lettered_total')).toBe(0);
    expect(metricValue(text, 'ceos_delivery_processing_seconds_count{outcome="processed"}')).toBe(1);
  });

  it('replays a dead delivery and a processed one with a fresh set of attempts', async () => {
    let failing = true;
    const handler = recorder(() => {
      if (failing) throw new Error('bad payload');
    });
    const ceos = await start({ CEOS_DELIVERY_RETRY_BASE_SECONDS: '0.05', CEOS_DELIVERY_MAX_ATTEMPTS: '2' }, handler.handlers);
    const sent = await sendWebhook(ceos.url, { event: 'ping', payload: { zen: 'z' } });
    await waitForDeliveryStatus(ceos.database.db, sent.id, 'dead');
    expect(handler.count(sent.id)).toBe(2);

    failing = false;
    expect(await replayDelivery(ceos.database.db, sent.id)).toMatchObject({ replayed: true });
    const replayed = await waitForDeliveryStatus(ceos.database.db, sent.id, 'processed');
    expect(replayed.attempts).toBe(1);
    expect(replayed.last_error).toBeNull();
    expect(handler.count(sent.id)).toBe(3);

    expect(await replayDelivery(ceos.database.db, sent.id)).toMatchObject({ replayed: true });
    await vi.waitFor(() => expect(handler.count(sent.id)).toBe(4));
    const again = await waitForDeliveryStatus(ceos.database.db, sent.id, 'processed');
    expect(again.attempts).toBe(1);
    expect(again.processed_at!.getTime()).toBeGreaterThanOrEqual(replayed.processed_at!.getTime());

    expect(await replayDelivery(ceos.database.db, 'no-such-delivery')).toMatchObject({ replayed: false, reason: 'not_found' });
  });

  it('takes over a delivery whose worker died while processing, once its lease has expired', async () => {
    const handler = recorder();
    const ceos = await start({}, handler.handlers);
    const id = randomUUID();
    // As a worker that claimed the row and was killed leaves it: processing, leased for a moment more.
    const leaseEnds = await sql<{ at: Date }>`
      insert into deliveries (id, event, payload, status, attempts, claimed_by, next_attempt_at)
      values (${id}, 'ping', '{"zen":"z"}', 'processing', 1, 'worker-killed', now() + interval '1 second')
      returning next_attempt_at as at`.execute(ceos.database.db);
    ceos.worker!.wake();

    const row = await waitForDeliveryStatus(ceos.database.db, id, 'processed');
    expect(handler.count(id)).toBe(1);
    expect(handler.calls.get(id)![0]!).toBeGreaterThanOrEqual(new Date(leaseEnds.rows[0]!.at).getTime());
    expect(row.attempts).toBe(2);
    expect(row.claimed_by).toBeNull();
  });

  it('takes over a delivery whose lease expired long ago', async () => {
    const handler = recorder();
    const ceos = await start({}, handler.handlers);
    const id = randomUUID();
    await sql`
      insert into deliveries (id, event, payload, status, attempts, claimed_by, next_attempt_at)
      values (${id}, 'ping', '{"zen":"z"}', 'processing', 1, 'worker-other', now() - interval '10 minutes')`.execute(
      ceos.database.db,
    );
    ceos.worker!.wake();
    const row = await waitForDeliveryStatus(ceos.database.db, id, 'processed');
    expect(row.attempts).toBe(2);
    expect(handler.count(id)).toBe(1);
  });

  it('dead-letters a delivery whose lease expired on its last attempt, without running it again', async () => {
    const handler = recorder();
    const ceos = await start({ CEOS_DELIVERY_MAX_ATTEMPTS: '3' }, handler.handlers);
    const id = randomUUID();
    await sql`
      insert into deliveries (id, event, payload, status, attempts, claimed_by, next_attempt_at, last_error)
      values (${id}, 'ping', '{"zen":"z"}', 'processing', 3, 'worker-crashing', now() - interval '1 second', 'out of memory')`.execute(
      ceos.database.db,
    );
    const row = await waitForDeliveryStatus(ceos.database.db, id, 'dead');
    expect(row.last_error).toBe('out of memory; worker lease expired on the last attempt');
    expect(handler.count(id)).toBe(0);
    expect(metricValue(await metrics(ceos), 'ceos_deliveries_dead_lettered_total')).toBe(1);
  });

  it('does not touch a delivery another worker still holds', async () => {
    const handler = recorder();
    const ceos = await start({}, handler.handlers);
    const held = randomUUID();
    await sql`
      insert into deliveries (id, event, payload, status, attempts, claimed_by, next_attempt_at)
      values (${held}, 'ping', '{"zen":"z"}', 'processing', 1, 'worker-alive', now() + interval '1 hour')`.execute(
      ceos.database.db,
    );
    // A later delivery is processed past it: the worker did look.
    const sent = await sendWebhook(ceos.url, { event: 'ping', payload: { zen: 'later' } });
    await waitForDeliveryStatus(ceos.database.db, sent.id, 'processed');
    const row = await deliveryRow(ceos.database.db, held);
    expect(row).toMatchObject({ status: 'processing', attempts: 1, claimed_by: 'worker-alive' });
    expect(handler.count(held)).toBe(0);
  });

  const COUNT = 120;

  if (testDatabaseUrl) {
    it('processes every delivery exactly once with two instances on the same schema', async () => {
      const handler = recorder();
      const byInstance = { a: 0, b: 0 };
      const counted = (name: 'a' | 'b') => (app: Probot) => {
        handler.handlers(app);
        app.on('ping', async () => void byInstance[name]++);
      };
      const schema = uniqueSchema();
      const env = { DATABASE_SCHEMA: schema, CEOS_WORKER_CONCURRENCY: '4' };
      const a = await start(env, counted('a'));
      const b = await start(env, counted('b'));
      expect(a.worker!.workerId).not.toBe(b.worker!.workerId);

      const sent = await Promise.all(
        Array.from({ length: COUNT }, (_, i) => sendWebhook((i % 2 ? a : b).url, { event: 'ping', payload: { zen: `z${i}` } })),
      );
      expect(sent.every((s) => s.status === 202)).toBe(true);
      await vi.waitFor(
        async () => {
          const rows = await a.database.db.selectFrom('deliveries').select('status').where('status', '=', 'processed').execute();
          expect(rows).toHaveLength(COUNT);
        },
        { timeout: 30_000, interval: 50 },
      );
      for (const s of sent) expect(handler.count(s.id), s.id).toBe(1);
      expect(handler.calls.size).toBe(COUNT);
      // Both instances took a share of the work.
      expect(byInstance.a).toBeGreaterThan(0);
      expect(byInstance.b).toBeGreaterThan(0);
      expect(byInstance.a + byInstance.b).toBe(COUNT);
      const rows = await a.database.db.selectFrom('deliveries').select(['attempts']).execute();
      expect(rows.every((r) => r.attempts === 1)).toBe(true);
    });
  } else {
    it('processes every delivery exactly once on the embedded database (one instance owns it)', async () => {
      const handler = recorder();
      const ceos = await start({ CEOS_WORKER_CONCURRENCY: '4' }, handler.handlers);
      const sent = await Promise.all(
        Array.from({ length: COUNT }, (_, i) => sendWebhook(ceos.url, { event: 'ping', payload: { zen: `z${i}` } })),
      );
      expect(sent.every((s) => s.status === 202)).toBe(true);
      await vi.waitFor(
        async () => {
          const rows = await ceos.database.db.selectFrom('deliveries').select('status').where('status', '=', 'processed').execute();
          expect(rows).toHaveLength(COUNT);
        },
        { timeout: 30_000, interval: 50 },
      );
      for (const s of sent) expect(handler.count(s.id), s.id).toBe(1);
      expect(handler.calls.size).toBe(COUNT);
    });
  }
});
