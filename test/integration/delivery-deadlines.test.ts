import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { Probot } from 'probot';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { replayDelivery } from '../../src/db/deliveries.js';
import { currentDeadline } from '../../src/engine/job-deadline.js';
import { type FakeGitHub, startFakeGitHub } from '../fake-github/index.js';
import { type TestCeos, startTestCeos } from '../helpers/ceos.js';
import { backend } from '../helpers/database.js';
import { deliveryRow, metricValue, waitForDeliveryStatus } from '../helpers/deliveries.js';
import { sendWebhook } from '../helpers/webhooks.js';

const running: TestCeos[] = [];
let fake: FakeGitHub | undefined;
afterEach(async () => {
  for (const instance of running.splice(0).reverse()) await instance.stop();
  await fake?.close();
  fake = undefined;
});

async function start(env: Record<string, string>, extraHandlers: (app: Probot) => void, options: { throttle?: boolean } = {}): Promise<TestCeos> {
  fake = await startFakeGitHub();
  const instance = await startTestCeos({ APP_ID: '4242', GHE_HOST: fake.host, GHE_PROTOCOL: 'http', ...env }, { extraHandlers, ...options });
  running.push(instance);
  return instance;
}

/** One run of the ping handler: when it started and ended, and how. */
interface Call {
  start: number;
  end?: number;
  error?: string;
}

describe(`delivery deadlines and leases (${backend})`, () => {
  it('aborts a handler that overruns its deadline, GitHub request included, and retries it exactly once more, never beside it', async () => {
    const calls: Call[] = [];
    let runningNow = 0;
    let mostAtOnce = 0;
    const ceos = await start({ CEOS_DELIVERY_DEADLINE_SECONDS: '1', CEOS_DELIVERY_LEASE_SECONDS: '2' }, (app) => {
      app.on('ping', async () => {
        const call: Call = { start: Date.now() };
        calls.push(call);
        mostAtOnce = Math.max(mostAtOnce, ++runningNow);
        try {
          // The first attempt waits on a GitHub that never answers; the second finds it answering.
          // (A ping names no installation: the request is the app's own, made as the app.)
          if (calls.length === 1) await (await app.auth()).request('GET /app/installations');
        } catch (error) {
          call.error = (error as Error).name;
          throw error;
        } finally {
          runningNow--;
          call.end = Date.now();
        }
      });
    });
    // (Not /app itself, which CEOS asks once at start to check its credentials.)
    fake!.hang('/app/installations');

    const sent = await sendWebhook(ceos.url, { event: 'ping', payload: { zen: 'z' } });
    const row = await waitForDeliveryStatus(ceos.database.db, sent.id, 'processed');

    expect(row.attempts).toBe(2);
    expect(calls).toHaveLength(2);
    // The request was aborted by the deadline's signal (not left to time out), about a second in.
    expect(calls[0]!.error).toBe('AbortError');
    expect(calls[0]!.end! - calls[0]!.start).toBeGreaterThanOrEqual(950);
    expect(calls[0]!.end! - calls[0]!.start).toBeLessThan(5000);
    expect(calls[1]!.start).toBeGreaterThanOrEqual(calls[0]!.end!);
    expect(mostAtOnce).toBe(1);
    expect(fake!.requests.filter((r) => r.path === '/app/installations')).toHaveLength(1);
    expect(
      ceos.logs.lines.some(
        (l) => l.msg === 'delivery failed; it will be retried' && l.delivery === sent.id && JSON.stringify(l.err).includes('deadline of 1 s'),
      ),
    ).toBe(true);
  });

  it('keeps the claim of a handler that ignores its aborted signal until it returns, so its retry never runs beside it', async () => {
    const calls: Call[] = [];
    let runningNow = 0;
    let mostAtOnce = 0;
    let signalAborted = false;
    let instance: TestCeos | undefined;
    const ceos = await start({ CEOS_DELIVERY_DEADLINE_SECONDS: '1', CEOS_DELIVERY_LEASE_SECONDS: '1' }, (app) => {
      app.on('ping', async (context) => {
        const call: Call = { start: Date.now() };
        calls.push(call);
        mostAtOnce = Math.max(mostAtOnce, ++runningNow);
        try {
          // Ignores the signal: runs on until its deadline has aborted it and the lease it was
          // claimed with has run out.
          if (calls.length === 1) {
            const deadline = currentDeadline()!;
            const claimed = await deliveryRow(instance!.database.db, context.id);
            const leaseEnd = new Date(claimed!.next_attempt_at).getTime();
            await vi.waitFor(
              () => {
                expect(deadline.signal.aborted).toBe(true);
                expect(Date.now()).toBeGreaterThan(leaseEnd);
              },
              { timeout: 15_000, interval: 50 },
            );
            signalAborted = deadline.signal.aborted;
          }
        } finally {
          runningNow--;
          call.end = Date.now();
        }
      });
    });
    instance = ceos;

    const sent = await sendWebhook(ceos.url, { event: 'ping', payload: { zen: 'z' } });
    const row = await waitForDeliveryStatus(ceos.database.db, sent.id, 'processed');

    expect(signalAborted).toBe(true);
    expect(row.attempts).toBe(2);
    expect(calls).toHaveLength(2);
    expect(calls[1]!.start).toBeGreaterThanOrEqual(calls[0]!.end!);
    expect(mostAtOnce).toBe(1);
  });

  it('stops an attempt whose lease was taken over and records nothing over the attempt that took it', async () => {
    let aborted: boolean | undefined;
    let release: () => void = () => undefined;
    const ceos = await start({ CEOS_DELIVERY_LEASE_SECONDS: '1', CEOS_DELIVERY_DEADLINE_SECONDS: '60' }, (app) => {
      app.on('ping', async () => {
        const signal = currentDeadline()!.signal;
        await new Promise<void>((resolve) => {
          release = resolve;
          signal.addEventListener('abort', () => resolve(), { once: true });
        });
        aborted = signal.aborted;
      });
    });
    const sent = await sendWebhook(ceos.url, { event: 'ping', payload: { zen: 'z' } });
    await vi.waitFor(async () => expect((await deliveryRow(ceos.database.db, sent.id))?.status).toBe('processing'));

    // As another worker does once this one's lease has run out: it claims the row for its own attempt.
    await sql`update deliveries set claimed_by = 'worker-other', attempts = attempts + 1, next_attempt_at = now() + interval '1 hour'
               where id = ${sent.id}`.execute(ceos.database.db);
    await vi.waitFor(() => expect(aborted).toBe(true), { timeout: 5000, interval: 20 });
    release();
    await vi.waitFor(() =>
      expect(ceos.logs.lines.some((l) => l.msg === 'attempt stopped after losing its lease; its outcome is not recorded' && l.delivery === sent.id)).toBe(true),
    );
    expect(await deliveryRow(ceos.database.db, sent.id)).toMatchObject({ status: 'processing', attempts: 2, claimed_by: 'worker-other' });
  });

  it('extends the lease of a long handler, so no other attempt starts while it runs', async () => {
    let calls = 0;
    let instance: TestCeos | undefined;
    const ceos = await start({ CEOS_DELIVERY_LEASE_SECONDS: '1', CEOS_DELIVERY_DEADLINE_SECONDS: '60' }, (app) => {
      app.on('ping', async (context) => {
        calls++;
        // Runs until the heartbeat has extended its lease twice and the lease it was claimed with
        // has long run out.
        const leases = new Set<number>();
        let claimedUntil: number | undefined;
        await vi.waitFor(
          async () => {
            const lease = new Date((await deliveryRow(instance!.database.db, context.id))!.next_attempt_at).getTime();
            claimedUntil ??= lease;
            leases.add(lease);
            expect(leases.size).toBeGreaterThanOrEqual(3);
            expect(Date.now()).toBeGreaterThan(claimedUntil + 1000);
          },
          { timeout: 15_000, interval: 50 },
        );
      });
    });
    instance = ceos;
    const sent = await sendWebhook(ceos.url, { event: 'ping', payload: { zen: 'z' } });
    const row = await waitForDeliveryStatus(ceos.database.db, sent.id, 'processed');
    expect(row.attempts).toBe(1);
    expect(calls).toBe(1);
  });

  it("hands a delivery back, without counting the attempt, when GitHub's rate limit resets after its deadline", async () => {
    let calls = 0;
    const ceos = await start(
      { CEOS_DELIVERY_DEADLINE_SECONDS: '30' },
      (app) => {
        app.on('ping', async () => {
          calls++;
          await (await app.auth()).request('GET /app');
        });
      },
      { throttle: true },
    );
    const reset = Math.floor(Date.now() / 1000) + 120;
    fake!.failNext({
      method: 'GET',
      pathPattern: '/app',
      status: 403,
      headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(reset), 'x-ratelimit-resource': 'core' },
      body: { message: 'API rate limit exceeded for installation.', documentation_url: 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api' },
    });
    const started = Date.now();
    const sent = await sendWebhook(ceos.url, { event: 'ping', payload: { zen: 'z' } });
    const row = await waitForDeliveryStatus(ceos.database.db, sent.id, 'failed');

    // Not slept: handed back at once, due again after the reset, with its attempt given back.
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(calls).toBe(1);
    expect(row.attempts).toBe(0);
    expect(row.claimed_by).toBeNull();
    expect(row.last_error).toContain('handed back for');
    expect(new Date(row.next_attempt_at).getTime()).toBeGreaterThanOrEqual(reset * 1000);
    expect(new Date(row.next_attempt_at).getTime()).toBeLessThan(reset * 1000 + 10_000);
    expect(metricValue(await ceos.metrics.registry.metrics(), 'ceos_job_failures_total{queue="deliveries"}')).toBe(0);
  });

  it('refuses to replay a delivery a worker is processing, changing nothing, and replays it once the lease is gone', async () => {
    const ceos = await start({}, () => undefined);
    const id = randomUUID();
    await sql`
      insert into deliveries (id, event, payload, status, attempts, claimed_by, next_attempt_at)
      values (${id}, 'ping', '{"zen":"z"}', 'processing', 1, 'worker-busy', now() + interval '1 minute')`.execute(ceos.database.db);

    const refused = await replayDelivery(ceos.database.db, id);
    expect(refused).toMatchObject({ replayed: false, reason: 'processing' });
    expect(refused.message).toMatch(new RegExp(`^delivery ${id} is being processed right now \\(by worker-busy, leased until .+\\); replay it once`));
    expect(await deliveryRow(ceos.database.db, id)).toMatchObject({ status: 'processing', attempts: 1, claimed_by: 'worker-busy' });

    await sql`update deliveries set next_attempt_at = now() - interval '1 second', attempts = 99 where id = ${id}`.execute(ceos.database.db);
    expect(await replayDelivery(ceos.database.db, id)).toEqual({ replayed: true, message: `delivery ${id} queued for processing` });
    await waitForDeliveryStatus(ceos.database.db, id, 'processed');
    expect(await replayDelivery(ceos.database.db, 'no-such-delivery')).toEqual({ replayed: false, reason: 'not_found', message: 'no delivery no-such-delivery' });
  });

  it("readiness fails its queue check while the worker cannot poll, and recovers when it can", async () => {
    const ceos = await start({}, () => undefined);
    const ready = async () => {
      const response = await ceos.server.inject({ method: 'GET', url: '/readyz' });
      return { status: response.statusCode, body: response.json() as { checks?: { name: string; ok: boolean; detail?: string }[] } };
    };
    await vi.waitFor(async () => expect((await ready()).status).toBe(200));

    // Claims fail while the inbox is out of reach (pollIntervalMs is 200 ms in tests).
    await sql`alter table deliveries rename to deliveries_away`.execute(ceos.database.db);
    try {
      await vi.waitFor(
        async () => {
          const { status, body } = await ready();
          expect(status).toBe(503);
          expect(JSON.stringify(body)).toContain('workers last polled');
        },
        { timeout: 5000, interval: 100 },
      );
    } finally {
      await sql`alter table deliveries_away rename to deliveries`.execute(ceos.database.db);
    }
    await vi.waitFor(async () => expect((await ready()).status).toBe(200), { timeout: 5000, interval: 100 });
  });
});

// A second connection holding a lock is what makes a database wait; the embedded database has one.
describe.skipIf(backend !== 'postgres')('delivery deadlines reach database waits (postgres)', () => {
  it('cancels the query of a handler waiting on a locked table at its deadline, and the retry finds the table free', async () => {
    const outcomes: string[] = [];
    const ceos = await start({ CEOS_DELIVERY_DEADLINE_SECONDS: '1', CEOS_DELIVERY_LEASE_SECONDS: '3' }, (app) => {
      app.on('ping', async () => {
        try {
          await sql`select count(*) from recovery_state`.execute(ceos.database.db);
          outcomes.push('read');
        } catch (error) {
          outcomes.push((error as Error).name);
          throw error;
        }
      });
    });
    const { default: pg } = await import('pg');
    const locker = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await locker.connect();
    try {
      await locker.query('begin');
      await locker.query(`lock table "${ceos.database.schema}".recovery_state in access exclusive mode`);
      const sent = await sendWebhook(ceos.url, { event: 'ping', payload: { zen: 'z' } });
      // The first attempt is stopped by its deadline while it waits; release the lock only then.
      await vi.waitFor(() => expect(outcomes).toEqual(['AbortError']), { timeout: 20_000, interval: 50 });
      await locker.query('rollback');
      const row = await waitForDeliveryStatus(ceos.database.db, sent.id, 'processed');
      expect(row.attempts).toBe(2);
      expect(outcomes).toEqual(['AbortError', 'read']);
    } finally {
      await locker.end();
    }
  });
});
