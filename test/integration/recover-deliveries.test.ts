import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { Probot, ProbotOctokit } from 'probot';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../../src/app/logger.js';
import { type DatabaseHandle, connectDatabase } from '../../src/db/connect.js';
import { insertDeliveries } from '../../src/db/deliveries.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { readCheckpoint } from '../../src/db/recovery-state.js';
import { recoverDeliveries } from '../../src/jobs/recover-deliveries.js';
import type { DeliveryInit } from '../fake-github/index.js';
import { type FakeGitHub, startFakeGitHub } from '../fake-github/index.js';
import { testPrivateKey } from '../helpers/app-key.js';
import { type TestCeos, startTestCeos } from '../helpers/ceos.js';
import { backend, dropSchemas, testDatabaseUrl, uniqueSchema } from '../helpers/database.js';

const HOUR = 3600_000;
const LIST = 'apps/list-webhook-deliveries';
const REDELIVER = 'apps/redeliver-webhook-delivery';

let fake: FakeGitHub | undefined;
let database: DatabaseHandle | undefined;
let ceos: TestCeos | undefined;
afterEach(async () => {
  await ceos?.stop();
  if (database) {
    await database.close();
    await dropSchemas(database.schema);
  }
  await fake?.close();
  fake = undefined;
  database = undefined;
  ceos = undefined;
});

const silent = createLogger('silent', new Writable({ write: (_c, _e, done) => done() }));

async function setUp(now = new Date()) {
  fake = await startFakeGitHub({ now: () => now });
  const schema = uniqueSchema();
  database = await connectDatabase({ databaseUrl: testDatabaseUrl, dataDir: 'memory://', schema });
  await migrateToLatest(database.db, schema);
  // Retries and throttling off: each request the job makes is one request the fake records.
  const probot = new Probot({
    appId: 4242,
    privateKey: testPrivateKey(),
    baseUrl: fake.apiUrl,
    Octokit: ProbotOctokit.defaults({ retry: { enabled: false }, throttle: { enabled: false } }),
  });
  const octokit = await probot.auth();
  const db = database.db;
  const github = fake;
  return {
    github,
    db,
    run: (at: Date = now) => recoverDeliveries({ octokit, db, log: silent, now: at }),
    store: (guid: string) =>
      insertDeliveries(db, [
        { id: guid, event: 'ping', action: null, installationId: null, org: null, repository: null, sender: null, payload: '{}', receivedAt: new Date() },
      ]),
  };
}

function ago(now: Date, ms: number): string {
  return new Date(now.getTime() - ms).toISOString();
}

describe(`missed-delivery recovery (${backend})`, () => {
  it('redelivers only deliveries with no successful attempt that were never stored', async () => {
    const now = new Date();
    const { github, run, store } = await setUp(now);
    const guid = (name: string) => `${name}-${randomUUID()}`;
    const failedMissing = guid('failed-missing');
    const failedStored = guid('failed-stored');
    const succeeded = guid('succeeded');
    const recovered = guid('recovered-by-redelivery');
    const failedTwice = guid('failed-twice');
    const timedOut = guid('timed-out');
    const attempts: DeliveryInit[] = [
      { id: 100, guid: failedTwice, statusCode: 502, deliveredAt: ago(now, 10 * HOUR) },
      { id: 101, guid: failedMissing, statusCode: 500, deliveredAt: ago(now, 9 * HOUR), event: 'organization', action: 'member_added' },
      { id: 102, guid: failedStored, statusCode: 503, deliveredAt: ago(now, 8 * HOUR) },
      { id: 103, guid: succeeded, statusCode: 202, deliveredAt: ago(now, 7 * HOUR) },
      { id: 104, guid: recovered, statusCode: 500, deliveredAt: ago(now, 6 * HOUR) },
      { id: 105, guid: recovered, statusCode: 200, redelivery: true, deliveredAt: ago(now, 5 * HOUR) },
      { id: 106, guid: failedTwice, statusCode: 503, redelivery: true, deliveredAt: ago(now, 4 * HOUR) },
      { id: 107, guid: timedOut, statusCode: 0, deliveredAt: ago(now, 3 * HOUR) },
    ];
    github.addDeliveries(attempts);
    await store(failedStored);

    const result = await run();
    expect(result).toEqual({ scanned: 8, missing: 3, redelivered: 3, failed: 0 });
    // Asked once per GUID, on its latest attempt.
    expect(github.redeliveries.map((d) => d.guid).sort()).toEqual([failedMissing, failedTwice, timedOut].sort());
    expect(github.requestsTo(REDELIVER).map((r) => r.params.delivery_id).sort()).toEqual(['101', '106', '107']);
    expect(github.violations).toEqual([]);
  });

  it('walks every page with the cursor GitHub returns', async () => {
    const now = new Date();
    const { github, run } = await setUp(now);
    // 250 attempts, one a minute; every 50th failed.
    const seeded = github.addDeliveries(
      Array.from({ length: 250 }, (_, i) => ({ id: 1000 + i, statusCode: i % 50 === 0 ? 500 : 200, deliveredAt: ago(now, (250 - i) * 60_000) })),
    );
    const result = await run();
    expect(result).toEqual({ scanned: 250, missing: 5, redelivered: 5, failed: 0 });
    const pages = github.requestsTo(LIST);
    expect(pages).toHaveLength(3);
    expect(pages[0]!.query.cursor).toBeUndefined();
    expect(pages.slice(1).map((p) => p.query.cursor)).toEqual(['v1_1149', 'v1_1049']);
    expect(pages.every((p) => p.query.per_page === '100')).toBe(true);
    expect(github.redeliveries.map((d) => d.guid).sort()).toEqual(seeded.filter((d) => d.statusCode === 500).map((d) => d.guid).sort());
    expect(github.violations).toEqual([]);
  });

  it('remembers how far it got, and the next run stops there (less an hour of overlap)', async () => {
    const now = new Date();
    const { github, db, run } = await setUp(now);
    // Two days of attempts, one every ten minutes: three pages.
    github.addDeliveries(Array.from({ length: 288 }, (_, i) => ({ id: 5000 + i, deliveredAt: ago(now, (288 - i) * 10 * 60_000) })));
    expect(await readCheckpoint(db, 'github-deliveries')).toBeNull();

    const first = await run();
    expect(first.scanned).toBe(288);
    expect(github.count(LIST)).toBe(3);
    const checkpoint = await readCheckpoint(db, 'github-deliveries');
    expect(checkpoint?.toISOString()).toBe(ago(now, 10 * 60_000));

    // New failures arrive; the second run reads only the first page, newest back to the checkpoint's overlap.
    github.clearLog();
    const later = new Date(now.getTime() + 30 * 60_000);
    const [fresh] = github.addDeliveries([{ id: 9000, statusCode: 500, deliveredAt: later.toISOString() }]);
    const second = await run(later);
    expect(github.count(LIST)).toBe(1);
    // The new attempt, plus those within the hour before the checkpoint (ten minutes apart, newest at the checkpoint).
    expect(second).toEqual({ scanned: 1 + 7, missing: 1, redelivered: 1, failed: 0 });
    expect(github.redeliveries.map((d) => d.guid)).toEqual([fresh!.guid]);
    expect((await readCheckpoint(db, 'github-deliveries'))?.toISOString()).toBe(later.toISOString());
  });

  it('never scans past GitHub three-day retention', async () => {
    const now = new Date();
    const { github, run } = await setUp(now);
    const [recent] = github.addDeliveries([{ id: 501, statusCode: 500, deliveredAt: ago(now, 71 * HOUR) }]);
    // Older than three days: GitHub can no longer redeliver it, and what lies beyond is not fetched.
    github.addDeliveries([{ id: 500, statusCode: 500, deliveredAt: ago(now, 73 * HOUR) }]);
    github.addDeliveries(Array.from({ length: 150 }, (_, i) => ({ id: 1 + i, statusCode: 500, deliveredAt: ago(now, 80 * HOUR) })));

    const result = await run();
    expect(result).toEqual({ scanned: 1, missing: 1, redelivered: 1, failed: 0 });
    expect(github.redeliveries.map((d) => d.guid)).toEqual([recent!.guid]);
    expect(github.count(LIST)).toBe(1);
  });

  it('keeps the checkpoint where it was when a redelivery request fails, so the next run tries again', async () => {
    const now = new Date();
    const { github, db, run } = await setUp(now);
    const [missed] = github.addDeliveries([{ id: 300, statusCode: 500, deliveredAt: ago(now, HOUR) }]);
    github.failNext({ operationId: REDELIVER, status: 422 });

    expect(await run()).toEqual({ scanned: 1, missing: 1, redelivered: 0, failed: 1 });
    expect(await readCheckpoint(db, 'github-deliveries')).toBeNull();
    expect(github.redeliveries).toEqual([]);

    expect(await run()).toEqual({ scanned: 1, missing: 1, redelivered: 1, failed: 0 });
    expect(github.redeliveries.map((d) => d.guid)).toEqual([missed!.guid]);
    // GitHub recorded the redelivery as a success: the run after that finds nothing to do.
    expect(await run()).toEqual({ scanned: 2, missing: 0, redelivered: 0, failed: 0 });
  });

  it('runs when an instance starts and redelivers a GUID it never stored', async () => {
    fake = await startFakeGitHub();
    const [missed] = fake.addDeliveries([{ statusCode: 503, event: 'team', action: 'created', deliveredAt: new Date(Date.now() - HOUR).toISOString() }]);
    fake.addDeliveries([{ statusCode: 200, deliveredAt: new Date(Date.now() - 2 * HOUR).toISOString() }]);
    ceos = await startTestCeos({ GHE_HOST: fake.host, GHE_PROTOCOL: 'http', APP_ID: '4242' });
    const github = fake;
    await vi.waitFor(() => expect(github.redeliveries.map((d) => d.guid)).toEqual([missed!.guid]), { timeout: 20_000, interval: 50 });
    await vi.waitFor(() =>
      expect(ceos!.logs.lines.find((l) => l.msg === 'missed-delivery recovery finished')).toMatchObject({
        scanned: 2,
        missing: 1,
        redelivered: 1,
        failed: 0,
      }),
      { timeout: 20_000, interval: 50 },
    );
    expect(github.violations).toEqual([]);
  });
});
