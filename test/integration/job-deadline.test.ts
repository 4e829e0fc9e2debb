import pino from 'pino';
import type { Job, PgBoss } from 'pg-boss';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../src/app/config.js';
import { createMetrics } from '../../src/app/metrics.js';
import { createProbot } from '../../src/app/probot.js';
import { createQueue } from '../../src/app/queue.js';
import { runWithinDeadline } from '../../src/engine/run-within-deadline.js';
import { type FakeGitHub, startFakeGitHub } from '../fake-github/index.js';
import { testEnv } from '../helpers/ceos.js';
import { backend, testDatabases } from '../helpers/database.js';

const silent = pino({ level: 'silent' });
const databases = testDatabases();
let fake: FakeGitHub | undefined;
let boss: PgBoss | undefined;
afterEach(async () => {
  await boss?.stop({ graceful: false });
  boss = undefined;
  await databases.closeAll();
  await fake?.close();
  fake = undefined;
});

/** A started pg-boss on a fresh database, the fake GitHub, and an app Octokit of CEOS's Probot pointed at it. */
async function setUp(queue: string, options: { expireInSeconds: number; retryLimit?: number }) {
  fake = await startFakeGitHub();
  const database = await databases.open();
  boss = createQueue(database, silent);
  await boss.start();
  await boss.createQueue(queue, { retryLimit: options.retryLimit ?? 1, expireInSeconds: options.expireInSeconds });
  const config = loadConfig(testEnv({ APP_ID: '4242', GHE_HOST: fake.host, GHE_PROTOCOL: 'http' }));
  const probot = await createProbot(config, () => {}, createMetrics(), silent);
  return { boss, octokit: await probot.auth(), fake };
}

describe(`pg-boss jobs within their deadline (${backend})`, () => {
  it("hands a job back, to start after GitHub's rate limit resets, rather than sleeping past its expiry", async () => {
    const queue = 'deadline-rate-limit';
    const { boss, octokit, fake } = await setUp(queue, { expireInSeconds: 30 });
    const reset = Math.floor(Date.now() / 1000) + 120;
    fake.failNext({
      method: 'GET',
      pathPattern: '/app',
      status: 403,
      headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(reset), 'x-ratelimit-resource': 'core' },
      body: { message: 'API rate limit exceeded for installation.', documentation_url: 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api' },
    });
    const runs: { start: number; end?: number }[] = [];
    await boss.work(
      queue,
      runWithinDeadline(boss, queue, silent, async ([job]: Job[]) => {
        const run: { start: number; end?: number } = { start: Date.now() };
        runs.push(run);
        try {
          await octokit.request('GET /app');
          return { job: job!.id };
        } finally {
          run.end = Date.now();
        }
      }),
    );
    const id = (await boss.send(queue, { org: 'acme' }))!;

    const finished = await vi.waitFor(
      async () => {
        const [job] = await boss.findJobs(queue, { id });
        expect(job?.state).toBe('completed');
        return job!;
      },
      { timeout: 15_000, interval: 50 },
    );
    expect(runs).toHaveLength(1);
    expect(runs[0]!.end! - runs[0]!.start).toBeLessThan(5000);
    const output = finished.output as { givenBack: boolean; retryInSeconds: number; jobs: string[] };
    expect(output).toMatchObject({ givenBack: true });
    expect(output.retryInSeconds).toBeGreaterThanOrEqual(115);
    expect(output.retryInSeconds).toBeLessThanOrEqual(125);
    // The copy waits for the reset, with the same data.
    const [copy] = await boss.findJobs(queue, { id: output.jobs[0]! });
    expect(copy).toMatchObject({ state: 'created', data: { org: 'acme' } });
    expect(copy!.startAfter.getTime()).toBeGreaterThanOrEqual(reset * 1000 - 5000);
    expect(fake.requests.filter((r) => r.path === '/app')).toHaveLength(1);
  });

  it("aborts the GitHub requests of a job past its expiry, so it stops before its retry starts", async () => {
    const queue = 'deadline-expiry';
    const { boss, octokit, fake } = await setUp(queue, { expireInSeconds: 1, retryLimit: 1 });
    fake.hang('/app');
    const outcomes: string[] = [];
    await boss.work(
      queue,
      runWithinDeadline(boss, queue, silent, async () => {
        try {
          await octokit.request('GET /app');
          outcomes.push('answered');
        } catch (error) {
          outcomes.push((error as Error).name);
          throw error;
        }
      }),
    );
    const id = (await boss.send(queue, {}))!;
    await vi.waitFor(() => expect(outcomes).toEqual(['AbortError', 'AbortError']), { timeout: 20_000, interval: 50 });
    const [job] = await boss.findJobs(queue, { id });
    expect(job?.state).toBe('failed');
    expect(fake.requests.filter((r) => r.path === '/app')).toHaveLength(2);
  });
});
