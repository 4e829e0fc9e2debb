import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/app/config.js';
import { createMetrics } from '../../src/app/metrics.js';
import type { Database } from '../../src/db/schema.js';
import { createProbot } from '../../src/app/probot.js';
import { githubBlockRemaining, recordGitHubBlock, releaseWriteSlot, reserveWriteSlot } from '../../src/db/github-budget.js';
import { blockFromResponse, createSharedRateLimit, isContentCreating } from '../../src/github/shared-rate-limit.js';
import { type FakeGitHub, SECONDARY_RATE_LIMIT, startFakeGitHub } from '../fake-github/index.js';
import { testEnv } from '../helpers/ceos.js';
import { backend, testDatabases, uniqueSchema } from '../helpers/database.js';

const silent = pino({ level: 'silent' });
const databases = testDatabases();
let fake: FakeGitHub | undefined;
afterEach(async () => {
  await databases.closeAll();
  await fake?.close();
  fake = undefined;
});

/** Two handles on one schema, as two instances have on PostgreSQL; one on the embedded database, which has one process. */
async function instances() {
  const schema = uniqueSchema();
  const a = await databases.open(schema);
  const b = backend === 'postgres' ? await databases.open(schema) : a;
  return { a: a.db, b: b.db };
}

describe('what counts and what says to wait', () => {
  it.each([
    ['POST', '/api/v3/orgs/acme/copilot/billing/selected_users', true],
    ['DELETE', '/api/v3/orgs/acme/copilot/billing/selected_users', true],
    ['PATCH', '/api/v3/repos/acme/.github/check-runs/1', true],
    ['PUT', '/api/v3/repos/acme/x/contents/a', true],
    ['GET', '/api/v3/orgs/acme/members', false],
    ['POST', '/api/graphql', false],
    ['POST', '/api/v3/app/installations/21/access_tokens', false],
  ])('%s %s counts as content-creating: %s', (method, path, expected) => {
    expect(isContentCreating(method, path)).toBe(expected);
  });

  it('reads a secondary limit from retry-after and the primary one from x-ratelimit-*', () => {
    expect(blockFromResponse(403, new Headers({ 'retry-after': '30' }))).toEqual({ reason: 'secondary', seconds: 30 });
    expect(blockFromResponse(429, new Headers({ 'retry-after': '5' }))).toEqual({ reason: 'secondary', seconds: 5 });
    expect(blockFromResponse(403, new Headers({ 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '1900000000' }))).toEqual({
      reason: 'primary',
      untilEpochSeconds: 1_900_000_000,
    });
    expect(blockFromResponse(200, new Headers({ 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '1900000000' }))?.reason).toBe('primary');
    expect(blockFromResponse(200, new Headers({ 'retry-after': '30', 'x-ratelimit-remaining': '12' }))).toBeUndefined();
    expect(blockFromResponse(404, new Headers())).toBeUndefined();
  });
});

describe(`the GitHub budget shared in the database (${backend})`, () => {
  it('places reservations from every instance within the minute and hour windows, per installation', async () => {
    const { a, b } = await instances();
    const limits = { perMinute: 3, perHour: 5, intervalMs: 0 };
    // Concurrent reservations from both instances: the row lock puts them one after another.
    const slots = await Promise.all(Array.from({ length: 7 }, (_, i) => reserveWriteSlot(i % 2 ? a : b, '21', limits)));
    const waits = slots.map((s) => s.waitMs).sort((x, y) => x - y);
    expect(waits.slice(0, 3).every((w) => w <= 1000)).toBe(true);
    // The fourth and fifth wait for the minute window, the sixth and seventh for the hour's.
    expect(waits.slice(3, 5).every((w) => w > 58_000 && w <= 61_000)).toBe(true);
    expect(waits.slice(5).every((w) => w > 3_598_000 && w <= 3_601_000)).toBe(true);
    // Another installation has a budget of its own.
    expect((await reserveWriteSlot(a, '22', limits)).waitMs).toBeLessThanOrEqual(1000);

    // A reservation given back no longer counts.
    const [latest] = slots.sort((x, y) => y.waitMs - x.waitMs);
    await releaseWriteSlot(a, latest!.id);
    expect((await reserveWriteSlot(b, '21', limits)).waitMs).toBeGreaterThan(3_598_000);
    expect(await a.selectFrom('github_write_slots').select('id').where('installation_id', '=', '21').execute()).toHaveLength(7);
  });

  it('spaces starts by the interval and after a block GitHub asked for; a shorter block never shortens a longer one', async () => {
    const { a, b } = await instances();
    const limits = { perMinute: 80, perHour: 500, intervalMs: 1000 };
    const first = await reserveWriteSlot(a, '21', limits);
    const second = await reserveWriteSlot(b, '21', limits);
    expect(first.waitMs).toBeLessThanOrEqual(50);
    expect(second.waitMs).toBeGreaterThan(900);
    expect(second.waitMs).toBeLessThanOrEqual(1000);

    await recordGitHubBlock(a, '21', { reason: 'secondary', seconds: 30 });
    await recordGitHubBlock(b, '21', { reason: 'secondary', seconds: 5 });
    const blocked = await githubBlockRemaining(b, '21');
    expect(blocked.reason).toBe('secondary');
    expect(blocked.remainingMs).toBeGreaterThan(29_000);
    expect((await reserveWriteSlot(b, '21', limits)).waitMs).toBeGreaterThan(29_000);
    expect(await githubBlockRemaining(a, '22')).toEqual({ remainingMs: 0, reason: null });

    await recordGitHubBlock(b, '22', { reason: 'primary', untilEpochSeconds: Math.floor(Date.now() / 1000) + 120 });
    expect((await githubBlockRemaining(a, '22')).reason).toBe('primary');
  });

  it("holds a content-creating request the budget has no room for, answering as GitHub would, and GitHub never sees it", async () => {
    fake = await startFakeGitHub();
    fake.addOrg({ login: 'acme', members: [{ login: 'mona' }, { login: 'hubot' }, { login: 'octocat' }] });
    fake.addInstallation({ id: 21, account: 'acme' });
    const token = fake.createInstallationToken(21);
    const { a, b } = await instances();
    const limits = { perMinute: 2, perHour: 500, intervalMs: 0 };
    const holds: string[] = [];
    const fetchA = createSharedRateLimit({ db: a, limits, log: silent, onHold: (o) => holds.push(o) }).fetchFor('21');
    const fetchB = createSharedRateLimit({ db: b, limits, log: silent }).fetchFor('21');
    const add = (send: typeof fetch, login: string) =>
      send(`${fake!.apiUrl}/orgs/acme/copilot/billing/selected_users`, {
        method: 'POST',
        headers: { authorization: `token ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ selected_usernames: [login] }),
      });

    expect((await add(fetchA, 'mona')).status).toBe(201);
    expect((await add(fetchB, 'hubot')).status).toBe(201);
    const held = await add(fetchA, 'octocat');
    expect(held.status).toBe(403);
    expect(held.headers.get('x-ceos-shared-rate-limit')).toBe('secondary');
    expect(Number(held.headers.get('retry-after'))).toBeGreaterThan(50);
    expect(((await held.json()) as { message: string }).message).toMatch(/secondary rate limit/);
    expect(fake.requestsTo('copilot/add-copilot-seats-for-users')).toHaveLength(2);
    expect(holds).toEqual(['deferred']);
    // The held request's reservation was given back: only the two sent count.
    expect(await a.selectFrom('github_write_slots').select('id').execute()).toHaveLength(2);
    // Reads are not content-creating and go through.
    const read = await fetchB(`${fake.apiUrl}/orgs/acme/members`, { headers: { authorization: `token ${token}` } });
    expect(read.status).toBe(200);
  });

  it('a rate limit one instance is told of holds the other instances: a short secondary block is waited out, a spent primary limit answered at once', async () => {
    fake = await startFakeGitHub();
    fake.addOrg({ login: 'acme', members: [{ login: 'mona' }] });
    fake.addInstallation({ id: 21, account: 'acme' });
    const token = fake.createInstallationToken(21);
    const { a, b } = await instances();
    const limits = { perMinute: 80, perHour: 500, intervalMs: 0 };
    const fetchA = createSharedRateLimit({ db: a, limits, log: silent }).fetchFor('21');
    const holds: string[] = [];
    const fetchB = createSharedRateLimit({ db: b, limits, log: silent, blockCacheMs: 0, onHold: (o) => holds.push(o) }).fetchFor('21');
    const members = (send: typeof fetch) => send(`${fake!.apiUrl}/orgs/acme/members`, { headers: { authorization: `token ${token}` } });

    fake.failNext({ ...SECONDARY_RATE_LIMIT, headers: { 'retry-after': '2' }, method: 'GET', pathPattern: '/orgs/{org}/members' });
    const limited = await members(fetchA);
    expect(limited.status).toBe(403);
    const toldAt = Date.now();
    expect((await members(fetchB)).status).toBe(200);
    // B's request reached GitHub only once the two seconds were over.
    const [, served] = fake.requestsTo('orgs/list-members');
    expect(served!.at.getTime()).toBeGreaterThanOrEqual(toldAt + 1500);

    const reset = Math.floor(Date.now() / 1000) + 600;
    fake.failNext({ status: 403, headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(reset) }, body: { message: 'API rate limit exceeded' }, method: 'GET', pathPattern: '/orgs/{org}/members' });
    expect((await members(fetchA)).status).toBe(403);
    const held = await members(fetchB);
    expect(held.status).toBe(403);
    expect(held.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(Math.abs(Number(held.headers.get('x-ratelimit-reset')) - reset)).toBeLessThanOrEqual(2);
    expect(fake.requestsTo('orgs/list-members')).toHaveLength(3);
    expect(holds).toEqual(['waited', 'deferred']);
  });

  it('without its database, reads still reach GitHub and writes fail rather than go out unbudgeted', async () => {
    fake = await startFakeGitHub();
    fake.addOrg({ login: 'acme', members: [{ login: 'mona' }] });
    fake.addInstallation({ id: 21, account: 'acme' });
    const token = fake.createInstallationToken(21);
    // Nothing listens on port 1 of the loopback: every query fails to connect.
    const away = new Kysely<Database>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: 'postgres://127.0.0.1:1/none', connectionTimeoutMillis: 1000 }) }) });
    try {
      const send = createSharedRateLimit({ db: away, limits: { perMinute: 80, perHour: 500, intervalMs: 0 }, log: silent }).fetchFor('21');
      const headers = { authorization: `token ${token}`, 'content-type': 'application/json' };
      expect((await send(`${fake.apiUrl}/orgs/acme/members`, { headers })).status).toBe(200);
      await expect(
        send(`${fake.apiUrl}/orgs/acme/copilot/billing/selected_users`, { method: 'POST', headers, body: JSON.stringify({ selected_usernames: ['mona'] }) }),
      ).rejects.toThrow();
      expect(fake.requestsTo('copilot/add-copilot-seats-for-users')).toHaveLength(0);
    } finally {
      await away.destroy();
    }
  });

  it("is wired into the installation Octokit of CEOS's Probot: each seat write reserves a slot, the token request does not", async () => {
    fake = await startFakeGitHub();
    fake.addOrg({ login: 'acme', members: [{ login: 'mona' }] });
    fake.addInstallation({ id: 21, account: 'acme' });
    const { a } = await instances();
    const config = loadConfig(testEnv({ APP_ID: '4242', GHE_HOST: fake.host, GHE_PROTOCOL: 'http', CEOS_GITHUB_BUDGET_STORE: 'database' }));
    expect(config.githubBudget).toEqual({ store: 'database', writesPerMinute: 80, writesPerHour: 500, writeIntervalMs: 1000 });
    const sharedRateLimit = createSharedRateLimit({ db: a, limits: { perMinute: 80, perHour: 500, intervalMs: 0 }, log: silent });
    const probot = await createProbot(config, () => {}, createMetrics(), silent, { sharedRateLimit });
    const octokit = await probot.auth(21);

    await octokit.request('POST /orgs/{org}/copilot/billing/selected_users', { org: 'acme', selected_usernames: ['mona'] });
    await octokit.request('GET /orgs/{org}/members', { org: 'acme' });
    expect(await a.selectFrom('github_write_slots').select('installation_id').execute()).toEqual([{ installation_id: '21' }]);
    expect(fake.count('apps/create-installation-access-token')).toBe(1);
  });
});

describe('the budget store in the configuration', () => {
  it('is the database on PostgreSQL and the process on the embedded database, unless told', () => {
    expect(loadConfig(testEnv({ DATABASE_URL: 'postgres://db/ceos' })).githubBudget.store).toBe('database');
    expect(loadConfig(testEnv({ DATABASE_URL: '' })).githubBudget.store).toBe('process');
    expect(loadConfig(testEnv({ DATABASE_URL: 'postgres://db/ceos', CEOS_GITHUB_BUDGET_STORE: 'process' })).githubBudget.store).toBe('process');
    expect(() => loadConfig(testEnv({ CEOS_GITHUB_BUDGET_STORE: 'redis' }))).toThrow(/CEOS_GITHUB_BUDGET_STORE: must be database or process/);
  });
});
