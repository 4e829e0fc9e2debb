import { sql } from 'kysely';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { lifecycleCapability } from '../../src/app/capabilities/lifecycle.js';
import { insertDeliveries } from '../../src/db/deliveries.js';
import { PRUNE_DATA_QUEUE } from '../../src/jobs/prune-data.js';
import { type TestCeos, startTestCeos } from '../helpers/ceos.js';
import { backend } from '../helpers/database.js';

let ceos: TestCeos | undefined;
afterEach(async () => {
  await ceos?.stop();
  ceos = undefined;
});

describe(`lifecycle capability (${backend})`, () => {
  it('schedules the prune in the database, sets job retention on every queue, and prunes when the job runs', async () => {
    ceos = await startTestCeos(
      { CEOS_PRUNE_SCHEDULE: '13 * * * *', CEOS_RETAIN_JOB_DAYS: '3' },
      { listen: false, extraCapabilities: [lifecycleCapability] },
    );
    const { boss, database } = ceos;

    const schedules = await boss.getSchedules(PRUNE_DATA_QUEUE);
    expect(schedules.map((s) => s.cron)).toEqual(['13 * * * *']);
    const queues = await boss.getQueues();
    expect(queues.map((q) => q.name)).toContain(PRUNE_DATA_QUEUE);
    expect(new Set(queues.map((q) => q.deleteAfterSeconds))).toEqual(new Set([3 * 24 * 3600]));

    const old = new Date(Date.now() - 40 * 24 * 3600 * 1000);
    await insertDeliveries(database.db, [
      { id: 'old', event: 'ping', action: null, installationId: null, org: null, repository: null, sender: null, payload: '{"zen":"x"}', receivedAt: old },
      { id: 'new', event: 'ping', action: null, installationId: null, org: null, repository: null, sender: null, payload: '{"zen":"y"}', receivedAt: new Date() },
    ]);
    await sql`update deliveries set status = 'processed', processed_at = received_at`.execute(database.db);

    const jobId = await boss.send(PRUNE_DATA_QUEUE, {});
    await vi.waitFor(
      async () => {
        const job = await boss.getJobById(PRUNE_DATA_QUEUE, jobId!);
        expect(job?.state).toBe('completed');
      },
      { timeout: 20_000, interval: 50 },
    );
    const ids = await database.db.selectFrom('deliveries').select('id').execute();
    expect(ids.map((r) => r.id)).toEqual(['new']);
    expect(ceos.logs.lines.find((l) => l.msg === 'prune finished')).toMatchObject({ deliveriesDeleted: { rows: 1, batches: 1 } });
  });
});
