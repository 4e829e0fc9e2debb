import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Probot } from 'probot';
import { type TestCeos, startTestCeos } from '../helpers/ceos.js';
import { testDatabaseUrl } from '../helpers/database.js';
import { type DeliveryAnswer, faultDatabase, sendSigned } from '../helpers/fault-database.js';

// Terminating backends and refusing connections needs a PostgreSQL server of the test's own.
describe.skipIf(!testDatabaseUrl)('database loss (postgres)', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function setup(instances: { env?: Record<string, string>; pollIntervalMs?: number }[]) {
    const database = await faultDatabase();
    cleanups.push(() => database.drop());
    const schema = `t_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
    const handled = new Map<string, number>();
    const started: TestCeos[] = [];
    for (const instance of instances) {
      const ceos = await startTestCeos(
        { DATABASE_URL: database.url, DATABASE_SCHEMA: schema, CEOS_DELIVERY_LEASE_SECONDS: '5', ...instance.env },
        {
          pollIntervalMs: instance.pollIntervalMs ?? 200,
          extraHandlers: (app: Probot) => app.on('ping', async (context) => void handled.set(context.id, (handled.get(context.id) ?? 0) + 1)),
        },
      );
      cleanups.push(() => ceos.close());
      started.push(ceos);
    }
    return { database, instances: started, handled };
  }

  /** Senders that keep delivering until stopped, recording every answer. */
  function load(url: string, senders: number) {
    const answers: DeliveryAnswer[] = [];
    const failures: unknown[] = [];
    let running = true;
    const loops = Array.from({ length: senders }, async () => {
      while (running) {
        const id = randomUUID();
        try {
          answers.push(await sendSigned(url, id, 'ping', JSON.stringify({ zen: 'Keep it logically awesome.', hook_id: answers.length })));
        } catch (error) {
          failures.push(error);
        }
      }
    });
    return {
      answers,
      failures,
      accepted: () => answers.filter((a) => a.status === 202 || a.status === 200),
      async stop() {
        running = false;
        await Promise.all(loops);
      },
    };
  }

  async function readyz(url: string): Promise<{ status: number; body: { checks: { name: string; ok: boolean }[] } }> {
    const response = await fetch(`${url}/readyz`);
    return { status: response.status, body: (await response.json()) as { checks: { name: string; ok: boolean }[] } };
  }

  async function expectAllProcessed(ceos: TestCeos, ids: string[], handled: Map<string, number>) {
    await vi.waitFor(
      async () => {
        const rows = await ceos.database.db.selectFrom('deliveries').select(['id', 'status']).where('id', 'in', ids).execute();
        expect(rows.filter((r) => r.status === 'processed')).toHaveLength(ids.length);
      },
      { timeout: 60_000, interval: 100 },
    );
    for (const id of ids) expect(handled.get(id), id).toBeGreaterThanOrEqual(1);
  }

  it('stays up when every backend is terminated twice during a load, and processes every delivery answered 2xx', async () => {
    const { database, instances, handled } = await setup([{}]);
    const ceos = instances[0]!;
    const traffic = load(ceos.url, 8);

    for (let round = 0; round < 2; round++) {
      const before = traffic.accepted().length;
      await vi.waitFor(() => expect(traffic.accepted().length).toBeGreaterThan(before + 50), { timeout: 20_000, interval: 20 });
      expect(await database.terminateAll()).toBeGreaterThan(0);
      const after = traffic.answers.length;
      // Deliveries are accepted again without any help, and the instance reports ready.
      await vi.waitFor(() => expect(traffic.answers.slice(after).filter((a) => a.status === 202).length).toBeGreaterThan(50), {
        timeout: 30_000,
        interval: 20,
      });
      await vi.waitFor(async () => expect((await readyz(ceos.url)).status).toBe(200), { timeout: 30_000, interval: 100 });
      await vi.waitFor(() => expect(ceos.database.listenerState()).toEqual({ connected: true, reconnects: round + 1 }), { timeout: 30_000 });
    }
    await traffic.stop();

    expect(traffic.failures).toEqual([]);
    // Every request got an answer: stored, or 503 with Retry-After for the ones caught in the loss.
    for (const answer of traffic.answers) {
      expect([200, 202, 503]).toContain(answer.status);
      if (answer.status === 503) {
        expect(['unavailable', 'timeout']).toContain(answer.code);
        expect(Number(answer.retryAfter)).toBeGreaterThan(0);
      }
    }
    const accepted = traffic.accepted().map((a) => a.id);
    expect(accepted.length).toBeGreaterThan(150);
    await expectAllProcessed(ceos, accepted, handled);

    // pg-boss came back too.
    const queue = `loss-check-${randomUUID().slice(0, 8)}`;
    await ceos.boss.createQueue(queue);
    const done: string[] = [];
    await ceos.boss.work(queue, async ([job]) => void done.push(job!.id));
    const jobId = await ceos.boss.send(queue, {});
    await vi.waitFor(() => expect(done).toEqual([jobId]), { timeout: 30_000, interval: 50 });
  });

  it('answers 503 with Retry-After on /readyz and the intake while the database refuses connections, and resumes by itself', async () => {
    const { database, instances, handled } = await setup([{}]);
    const ceos = instances[0]!;
    const traffic = load(ceos.url, 4);
    await vi.waitFor(() => expect(traffic.accepted().length).toBeGreaterThan(50), { timeout: 20_000, interval: 20 });

    await database.allowConnections(false);
    await database.terminateAll();
    const outageStart = traffic.answers.length;
    await vi.waitFor(
      async () => {
        const ready = await readyz(ceos.url);
        expect(ready.status).toBe(503);
        expect(ready.body.checks).toContainEqual(expect.objectContaining({ name: 'database', ok: false }));
      },
      { timeout: 20_000, interval: 100 },
    );
    await vi.waitFor(() => expect(traffic.answers.slice(outageStart).filter((a) => a.code === 'unavailable').length).toBeGreaterThan(10), {
      timeout: 20_000,
      interval: 20,
    });
    const refused = traffic.answers.slice(outageStart).find((a) => a.code === 'unavailable')!;
    expect(refused.status).toBe(503);
    expect(refused.retryAfter).toBe('30');
    expect(ceos.database.listenerState().connected).toBe(false);

    await database.allowConnections(true);
    const outageEnd = traffic.answers.length;
    await vi.waitFor(() => expect(traffic.answers.slice(outageEnd).filter((a) => a.status === 202).length).toBeGreaterThan(50), {
      timeout: 30_000,
      interval: 20,
    });
    await vi.waitFor(async () => expect((await readyz(ceos.url)).status).toBe(200), { timeout: 30_000, interval: 100 });
    await traffic.stop();

    expect(traffic.failures).toEqual([]);
    for (const answer of traffic.answers) expect([200, 202, 503]).toContain(answer.status);
    await expectAllProcessed(ceos, traffic.accepted().map((a) => a.id), handled);
    await vi.waitFor(() => expect(ceos.database.listenerState()).toEqual({ connected: true, reconnects: 1 }), { timeout: 60_000 });
  });

  it('listens again after the loss: a delivery stored by another instance is picked up through NOTIFY, not a poll', async () => {
    // The worker polls once every ten minutes, so only a NOTIFY can start it within the test.
    const { database, instances, handled } = await setup([{ pollIntervalMs: 600_000 }, { env: { CEOS_WORKERS: 'false' } }]);
    const [worker, intake] = instances as [TestCeos, TestCeos];

    const first = randomUUID();
    expect((await sendSigned(intake.url, first, 'ping', '{"zen":"before"}')).status).toBe(202);
    await vi.waitFor(() => expect(handled.get(first)).toBe(1), { timeout: 15_000, interval: 20 });

    expect(await database.terminateAll()).toBeGreaterThan(0);
    await vi.waitFor(() => expect(worker.database.listenerState()).toEqual({ connected: true, reconnects: 1 }), { timeout: 30_000, interval: 20 });
    expect(await database.backends()).toContain('ceos-listen');

    const second = randomUUID();
    await vi.waitFor(async () => expect([200, 202]).toContain((await sendSigned(intake.url, second, 'ping', '{"zen":"after"}')).status), {
      timeout: 15_000,
      interval: 100,
    });
    await vi.waitFor(() => expect(handled.get(second)).toBe(1), { timeout: 15_000, interval: 20 });
    const row = await worker.database.db.selectFrom('deliveries').select(['status', 'attempts']).where('id', '=', second).executeTakeFirstOrThrow();
    expect(row).toEqual({ status: 'processed', attempts: 1 });
  });

  it('refuses to start with a clear error naming DATABASE_URL and the host when PostgreSQL is unreachable, never the password', async () => {
    const unreachable = 'postgres://ceos:s3cret-pass@127.0.0.1:1/ceos';
    await expect(startTestCeos({ DATABASE_URL: unreachable })).rejects.toThrow(
      /^cannot connect to PostgreSQL at ceos@127\.0\.0\.1:1\/ceos \(DATABASE_URL\): the connection was refused/,
    );
    const error = (await startTestCeos({ DATABASE_URL: unreachable }).then(
      () => undefined,
      (e: unknown) => e,
    )) as Error;
    expect(error.message).not.toContain('s3cret-pass');
    expect(error.name).toBe('DatabaseConnectionError');
  });
});
