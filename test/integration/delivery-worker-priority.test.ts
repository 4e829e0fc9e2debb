import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createMetrics } from '../../src/app/metrics.js';
import { insertDeliveries } from '../../src/db/deliveries.js';
import { DeliveryWorker } from '../../src/engine/delivery-worker.js';
import { backend, testDatabases } from '../helpers/database.js';

const databases = testDatabases();
const workers: DeliveryWorker[] = [];
afterEach(async () => {
  for (const worker of workers.splice(0)) await worker.stop(5_000);
  await databases.closeAll();
});

describe(`the delivery worker yields to a saturated intake (${backend})`, () => {
  it('runs at most its busy concurrency while the intake stores, and drains the rest at full concurrency once it stops', async () => {
    const { db } = await databases.open();
    const ids = Array.from({ length: 300 }, () => randomUUID());
    await insertDeliveries(
      db,
      ids.map((id) => ({ id, event: 'ping', action: null, installationId: null, org: null, repository: null, sender: null, payload: '{}', receivedAt: new Date() })),
    );
    let running = 0;
    let mostWhileBusy = 0;
    let mostAfter = 0;
    let intakeBusy = true;
    const processed = new Set<string>();
    const metrics = createMetrics();
    const worker = new DeliveryWorker(
      db,
      async ({ id }) => {
        running++;
        if (intakeBusy) mostWhileBusy = Math.max(mostWhileBusy, running);
        else mostAfter = Math.max(mostAfter, running);
        // Held past this turn of the event loop, so a batch's handlers run side by side.
        await new Promise((resolve) => setImmediate(resolve));
        running--;
        processed.add(id);
      },
      {
        concurrency: 20,
        busyConcurrency: 2,
        // Handlers that end on the next turn of the event loop free their two slots far faster than
        // this: the rate, not the slots, holds the worker back.
        busyRatePerSecond: 100,
        leaseSeconds: 30,
        deadlineSeconds: 30,
        maxAttempts: 3,
        retryBaseSeconds: 1,
        // Only the worker's own wake-ups (freed slots, the budget's refill) can move it along.
        pollIntervalMs: 3_600_000,
        // A saturated event loop while the intake is busy, an idle one after, whatever this test process does.
        utilization: () => (intakeBusy ? 1 : 0),
      },
      metrics,
      pino({ level: 'silent' }),
    );
    workers.push(worker);
    // The intake keeps storing (every 10 ms, within the 100-ms window) until 40 are processed.
    worker.intakeStored();
    const intake = setInterval(() => worker.intakeStored(), 10);
    try {
      worker.start();
      await vi.waitFor(() => expect(processed.size).toBeGreaterThanOrEqual(40), { timeout: 20_000, interval: 20 });
    } finally {
      clearInterval(intake);
    }
    expect(mostWhileBusy).toBeLessThanOrEqual(2);
    expect(mostWhileBusy).toBeGreaterThan(0);
    // Each time the budget held it back is counted for operators.
    const yields = (await metrics.workerYields.get()).values[0]?.value ?? 0;
    expect(yields).toBeGreaterThan(0);
    // The load is over: the loop is no longer saturated. Nothing wakes the worker: it must notice by itself.
    intakeBusy = false;
    await vi.waitFor(() => expect(processed.size).toBe(ids.length), { timeout: 20_000, interval: 20 });
    expect(mostAfter).toBeGreaterThan(2);
    expect(mostAfter).toBeLessThanOrEqual(20);
  });
});
