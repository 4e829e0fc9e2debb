import { afterEach, describe, expect, it, vi } from 'vitest';
import { upsertInstallation } from '../../src/db/installations.js';
import { replaceSeats } from '../../src/db/mirror.js';
import type { CopilotSeat } from '../../src/domain/plan-types.js';
import { addDays, utcDay } from '../../src/domain/usage/collection-days.js';
import { USAGE_API_VERSION } from '../../src/github/fetch-usage-report.js';
import { COLLECT_USAGE_ALL_QUEUE, COLLECT_USAGE_QUEUE } from '../../src/jobs/collect-usage-queue.js';
import { type FakeGitHub, startFakeGitHub } from '../fake-github/index.js';
import { orgDayRecord, userDayRecord, userTeamRecord } from '../fake-github/usage-fixtures.js';
import { createKey } from '../helpers/api.js';
import { type TestCeos, startTestCeos } from '../helpers/ceos.js';
import { runCli } from '../helpers/cli.js';
import { backend, cliDatabase } from '../helpers/database.js';
import { installationEvent } from '../helpers/payloads.js';
import { sendWebhook } from '../helpers/webhooks.js';

let fake: FakeGitHub | undefined;
let ceos: TestCeos | undefined;
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await ceos?.stop();
  await fake?.close();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  ceos = undefined;
  fake = undefined;
});

const TODAY = utcDay(new Date());
const D1 = addDays(TODAY, -3);
const D2 = addDays(TODAY, -2);
const D3 = addDays(TODAY, -1);

/** The fake GitHub with Acme installed, and a CEOS instance against it that knows the installation. */
async function setUp(options: { permissions?: Record<string, string>; install?: boolean } = {}) {
  fake = await startFakeGitHub();
  fake.addOrg({ login: 'Acme', members: [{ login: 'alice', role: 'admin' }, { login: 'bob' }, { login: 'carol' }] });
  fake.addInstallation({ id: 77, account: 'Acme', ...(options.permissions ? { permissions: options.permissions } : {}) });
  ceos = await startTestCeos({ GHE_HOST: fake.host, GHE_PROTOCOL: 'http', APP_ID: '4242' });
  if (options.install !== false) {
    await upsertInstallation(
      ceos.database.db,
      { id: 77, accountLogin: 'Acme', accountId: 9001, accountType: 'Organization', repositorySelection: 'all', permissions: {}, events: [] },
      'active',
    );
  }
  const operator = await createKey(ceos.database.db, 'operator');
  return { fake, ceos, operator };
}

/** Seeds one day of the three reports: alice, bob, carol; alice in eng and web, bob in eng. */
function seedDay(github: FakeGitHub, day: string, options: { files?: number; scale?: number } = {}) {
  const k = options.scale ?? 1;
  github.setUsageReport({
    org: 'Acme',
    report: 'users-1-day',
    day,
    files: options.files ?? 1,
    records: [
      userDayRecord({ id: 1, login: 'alice', day, interactions: 5 * k, generations: 10 * k, acceptances: 4 * k, locSuggested: 40 * k, locAdded: 30 * k, agent: true }),
      userDayRecord({ id: 2, login: 'bob', day, interactions: 2 * k, generations: 6 * k, acceptances: 3 * k, locSuggested: 25 * k, locAdded: 10 * k, ide: 'jetbrains' }),
      userDayRecord({ id: 3, login: 'carol', day, interactions: 1, generations: 1, acceptances: 0, locSuggested: 2, locAdded: 0, chat: false }),
    ],
  });
  github.setUsageReport({
    org: 'Acme',
    report: 'user-teams-1-day',
    day,
    records: [
      userTeamRecord({ id: 1, login: 'alice', day, teamId: 100, slug: 'eng' }),
      userTeamRecord({ id: 1, login: 'alice', day, teamId: 101, slug: 'web' }),
      userTeamRecord({ id: 2, login: 'bob', day, teamId: 100, slug: 'eng' }),
    ],
  });
  github.setUsageReport({
    org: 'Acme',
    report: 'organization-1-day',
    day,
    records: [orgDayRecord(day, { dau: 3, wau: 3, mau: 4, interactions: 8, generations: 17, acceptances: 7, locSuggested: 67, locAdded: 40 })],
  });
}

async function refresh(instance: TestCeos, auth: Record<string, string>, body: unknown) {
  const res = await instance.server.inject({ method: 'POST', url: '/api/v1/orgs/acme/usage/refresh', headers: { ...auth, 'content-type': 'application/json' }, payload: JSON.stringify(body) });
  expect(res.statusCode, res.body).toBe(202);
  return res.json() as { job_id: string; from: string; to: string; days: number };
}

async function waitForJob(instance: TestCeos, id: string, states: string[]) {
  return vi.waitFor(
    async () => {
      const job = await instance.boss.getJobById(COLLECT_USAGE_QUEUE, id);
      expect(states, `job is ${job?.state}`).toContain(job?.state);
      return job!;
    },
    { timeout: 30_000, interval: 50 },
  );
}

function userRows(instance: TestCeos) {
  return instance.database.db
    .selectFrom('usage_user_days')
    .select(['user_id', 'day', 'login', 'interactions', 'code_generations', 'code_acceptances', 'loc_suggested', 'loc_added', 'used_chat', 'used_agent', 'ide'])
    .orderBy('day')
    .orderBy('user_id')
    .execute();
}

function teamRows(instance: TestCeos) {
  return instance.database.db
    .selectFrom('usage_team_days')
    .select(['team_slug', 'day', 'team_id', 'active_users', 'interactions', 'code_generations', 'code_acceptances', 'loc_suggested', 'loc_added'])
    .orderBy('day')
    .orderBy('team_slug')
    .execute();
}

function reportDays(instance: TestCeos) {
  return instance.database.db.selectFrom('usage_report_days').select(['report', 'day', 'status', 'links', 'records']).orderBy('day').orderBy('report').execute();
}

describe(`usage collection from GitHub's reports (${backend})`, () => {
  it('follows every link of a report, joins users with user-teams into team numbers, and stores the org row', async () => {
    const { fake: github, ceos: instance, operator } = await setUp();
    seedDay(github, D3, { files: 3 });
    const queued = await refresh(instance, operator.auth, { from: D3, to: D3 });
    expect(queued).toMatchObject({ from: D3, to: D3, days: 1, status: 'queued' });
    const job = await waitForJob(instance, queued.job_id, ['completed']);
    expect(job.output).toMatchObject({ status: 'collected', daysWithData: 1, daysWithoutData: 0, userRows: 3 });

    expect(await userRows(instance)).toEqual([
      { user_id: '1', day: D3, login: 'alice', interactions: 5, code_generations: 10, code_acceptances: 4, loc_suggested: 40, loc_added: 30, used_chat: true, used_agent: true, ide: 'vscode' },
      { user_id: '2', day: D3, login: 'bob', interactions: 2, code_generations: 6, code_acceptances: 3, loc_suggested: 25, loc_added: 10, used_chat: true, used_agent: false, ide: 'jetbrains' },
      { user_id: '3', day: D3, login: 'carol', interactions: 1, code_generations: 1, code_acceptances: 0, loc_suggested: 2, loc_added: 0, used_chat: false, used_agent: false, ide: 'vscode' },
    ]);
    // eng = alice + bob, web = alice; carol is in no team and counts in none.
    expect(await teamRows(instance)).toEqual([
      { team_slug: 'eng', day: D3, team_id: '100', active_users: 2, interactions: 7, code_generations: 16, code_acceptances: 7, loc_suggested: 65, loc_added: 40 },
      { team_slug: 'web', day: D3, team_id: '101', active_users: 1, interactions: 5, code_generations: 10, code_acceptances: 4, loc_suggested: 40, loc_added: 30 },
    ]);
    const org = await instance.database.db.selectFrom('usage_org_days').selectAll().execute();
    expect(org).toHaveLength(1);
    expect(org[0]).toMatchObject({ day: D3, daily_active_users: 3, weekly_active_users: 3, monthly_active_users: 4, interactions: 8, code_generations: 17, loc_added: 40 });
    expect(await reportDays(instance)).toEqual([
      { report: 'organization', day: D3, status: 'data', links: 1, records: 1 },
      { report: 'user_teams', day: D3, status: 'data', links: 1, records: 3 },
      { report: 'users', day: D3, status: 'data', links: 3, records: 3 },
    ]);

    // Report calls carry the API version; downloads carry no token (the link is signed).
    const reportCalls = github.requests.filter((r) => r.operationId?.startsWith('copilot/copilot-organization-'));
    expect(reportCalls).toHaveLength(3);
    for (const call of reportCalls) expect(call.headers['x-github-api-version']).toBe(USAGE_API_VERSION);
    const downloads = github.requestsTo('download');
    expect(downloads).toHaveLength(5);
    for (const d of downloads) expect(d.headers.authorization).toBeUndefined();
    expect(github.violations).toEqual([]);

    const audit = await instance.database.db.selectFrom('audit_log').select(['action', 'target', 'actor']).where('action', '=', 'usage.refresh_requested').execute();
    expect(audit).toEqual([{ action: 'usage.refresh_requested', target: queued.job_id, actor: expect.stringMatching(/^api-key:/) }]);
    const status = await instance.server.inject({ method: 'GET', url: '/api/v1/orgs/acme/usage/collection', headers: operator.auth });
    expect(status.json()).toMatchObject({ status: 'ok', message: null, last_data_day: D3, days_with_data: 1, days_without_data: 0 });
    // The daily run is a pg-boss schedule (once per cluster).
    expect((await instance.boss.getSchedules()).map((s) => [s.name, s.cron])).toContainEqual([COLLECT_USAGE_ALL_QUEUE, '23 6 * * *']);
  });

  it('fetches a fresh report when a download link has expired, and retries that file', async () => {
    const { fake: github, ceos: instance, operator } = await setUp();
    seedDay(github, D3, { files: 2 });
    github.expireUsageLinks('Acme', 'users-1-day', D3, 1);
    const queued = await refresh(instance, operator.auth, { from: D3, to: D3 });
    await waitForJob(instance, queued.job_id, ['completed']);
    expect(github.requestsTo('copilot/copilot-organization-users-one-day-usage-metrics')).toHaveLength(2);
    // The first file's expired link got 403; it and the second file came from the fresh report.
    expect(github.requestsTo('download').map((d) => d.status)).toEqual([200, 200, 403, 200, 200]);
    expect((await userRows(instance)).map((r) => r.login)).toEqual(['alice', 'bob', 'carol']);
    expect(github.violations).toEqual([]);
  });

  it('records a day without links and a day GitHub answers 204 as no data, never as zero usage', async () => {
    const { fake: github, ceos: instance, operator } = await setUp();
    seedDay(github, D1);
    for (const report of ['users-1-day', 'user-teams-1-day', 'organization-1-day'] as const) github.setUsageReport({ org: 'Acme', report, day: D2, records: null });
    // D3: nothing seeded, so every report call answers 204.
    const queued = await refresh(instance, operator.auth, { from: D1, to: D3 });
    const job = await waitForJob(instance, queued.job_id, ['completed']);
    expect(job.output).toMatchObject({ daysWithData: 1, daysWithoutData: 2 });
    const days = await reportDays(instance);
    expect(days.filter((d) => d.day !== D1)).toEqual([
      { report: 'organization', day: D2, status: 'no_data', links: 0, records: 0 },
      { report: 'user_teams', day: D2, status: 'no_data', links: 0, records: 0 },
      { report: 'users', day: D2, status: 'no_data', links: 0, records: 0 },
      { report: 'organization', day: D3, status: 'no_data', links: 0, records: 0 },
      { report: 'user_teams', day: D3, status: 'no_data', links: 0, records: 0 },
      { report: 'users', day: D3, status: 'no_data', links: 0, records: 0 },
    ]);
    // No zero rows stand in for the days without data.
    expect(new Set((await userRows(instance)).map((r) => r.day))).toEqual(new Set([D1]));
    expect((await instance.database.db.selectFrom('usage_org_days').select('day').execute()).map((r) => r.day)).toEqual([D1]);
    expect(new Set((await teamRows(instance)).map((r) => r.day))).toEqual(new Set([D1]));
    expect(github.violations).toEqual([]);
  });

  it('records metrics turned off (422) or the permission missing (403) with GitHub\'s message, and does not retry', async () => {
    const { fake: github, ceos: instance, operator } = await setUp();
    seedDay(github, D3);
    github.denyUsageReports('Acme', { status: 422, message: 'Copilot Usage Metrics API access is disabled for this organization.' });
    const first = await refresh(instance, operator.auth, { from: D3, to: D3 });
    const job = await waitForJob(instance, first.job_id, ['completed']);
    expect(job.retryCount).toBe(0);
    expect(job.output).toMatchObject({ status: 'unavailable', message: 'Copilot Usage Metrics API access is disabled for this organization.' });
    const row = await instance.database.db.selectFrom('usage_collection').selectAll().executeTakeFirstOrThrow();
    expect(row).toMatchObject({ org: 'acme', status: 'unavailable', http_status: 422, message: 'Copilot Usage Metrics API access is disabled for this organization.' });
    const shown = await instance.server.inject({ method: 'GET', url: '/api/v1/orgs/acme/usage/collection', headers: operator.auth });
    expect(shown.json()).toMatchObject({ status: 'unavailable', http_status: 422, message: 'Copilot Usage Metrics API access is disabled for this organization.' });
    expect(await userRows(instance)).toEqual([]);
    // One report call, then the run stopped: it does not ask for every day again and again.
    expect(github.count('copilot/copilot-organization-user-teams-one-day-report')).toBe(1);

    // Turned back on: the next run collects and the status is ok again.
    github.denyUsageReports('Acme', null);
    const second = await refresh(instance, operator.auth, { from: D3, to: D3 });
    await waitForJob(instance, second.job_id, ['completed']);
    expect(await instance.database.db.selectFrom('usage_collection').select(['status', 'message']).executeTakeFirstOrThrow()).toEqual({ status: 'ok', message: null });
  });

  it('records the permission missing: an installation without organization_copilot_metrics gets 403 from GitHub', async () => {
    const { fake: github, ceos: instance, operator } = await setUp({ permissions: { organization_copilot_seat_management: 'write', members: 'read', metadata: 'read' } });
    seedDay(github, D3);
    const queued = await refresh(instance, operator.auth, { from: D3, to: D3 });
    const job = await waitForJob(instance, queued.job_id, ['completed']);
    expect(job.retryCount).toBe(0);
    expect(await instance.database.db.selectFrom('usage_collection').select(['status', 'http_status', 'message']).executeTakeFirstOrThrow()).toEqual({
      status: 'unavailable',
      http_status: 403,
      message: 'Resource not accessible by integration',
    });
  });

  it('collecting a day again replaces it: the same rows, and new numbers when GitHub changed them', async () => {
    const { fake: github, ceos: instance, operator } = await setUp();
    seedDay(github, D3, { files: 2 });
    await waitForJob(instance, (await refresh(instance, operator.auth, { from: D3, to: D3 })).job_id, ['completed']);
    const first = { users: await userRows(instance), teams: await teamRows(instance), days: await reportDays(instance) };
    await waitForJob(instance, (await refresh(instance, operator.auth, { from: D3, to: D3 })).job_id, ['completed']);
    expect({ users: await userRows(instance), teams: await teamRows(instance), days: await reportDays(instance) }).toEqual(first);

    seedDay(github, D3, { scale: 2 });
    await waitForJob(instance, (await refresh(instance, operator.auth, { from: D3, to: D3 })).job_id, ['completed']);
    const users = await userRows(instance);
    expect(users).toHaveLength(3);
    expect(users.find((u) => u.login === 'alice')?.interactions).toBe(10);
    expect((await teamRows(instance)).find((t) => t.team_slug === 'eng')?.interactions).toBe(14);
  });

  it('fails the day on a malformed line and keeps what was stored before, whole', async () => {
    const { fake: github, ceos: instance, operator } = await setUp();
    seedDay(github, D3);
    await waitForJob(instance, (await refresh(instance, operator.auth, { from: D3, to: D3 })).job_id, ['completed']);
    const before = await userRows(instance);
    github.setUsageReport({
      org: 'Acme',
      report: 'users-1-day',
      day: D3,
      records: [userDayRecord({ id: 1, login: 'alice', day: D3, interactions: 99 }), { user_id: 2, user_login: 'bob', day: D3, user_initiated_interaction_count: 'many' }],
    });
    const failing = await refresh(instance, operator.auth, { from: D3, to: D3 });
    const job = await waitForJob(instance, failing.job_id, ['retry', 'failed']);
    expect(String((job.output as { message?: string } | null)?.message ?? job.output)).toMatch(/users report, line 2: user_initiated_interaction_count/);
    expect(await userRows(instance)).toEqual(before);
  });

  it('backfills the last 28 days when the app is installed', async () => {
    const { fake: github, ceos: instance } = await setUp({ install: false });
    seedDay(github, D3);
    const sent = await sendWebhook(instance.url, { event: 'installation', payload: installationEvent('created', { login: 'Acme', installationId: 77 }) });
    expect(sent.status).toBe(202);
    await vi.waitFor(
      async () => {
        const days = await instance.database.db.selectFrom('usage_report_days').select(['day', 'status']).where('report', '=', 'users').orderBy('day').execute();
        expect(days).toHaveLength(28);
      },
      // The backfill starts a few seconds after the webhook; a delayed job is found by pg-boss's
      // notify-mode poll, every 30 seconds.
      { timeout: 80_000, interval: 100 },
    );
    const days = await instance.database.db.selectFrom('usage_report_days').select(['day', 'status']).where('report', '=', 'users').orderBy('day').execute();
    expect(days[0]!.day).toBe(addDays(TODAY, -28));
    expect(days.at(-1)).toEqual({ day: D3, status: 'data' });
    expect(days.filter((d) => d.status === 'data')).toHaveLength(1);
    const [job] = await instance.boss.findJobs(COLLECT_USAGE_QUEUE, { data: { trigger: 'install' } });
    expect(job?.data).toMatchObject({ org: 'acme', installationId: 77, trigger: 'install', from: addDays(TODAY, -28), to: D3 });
    // A redelivery of the same webhook queues no second backfill.
    await sendWebhook(instance.url, { event: 'installation', id: sent.id, payload: installationEvent('created', { login: 'Acme', installationId: 77 }) });
    expect(await instance.boss.findJobs(COLLECT_USAGE_QUEUE, { data: { trigger: 'install' } })).toHaveLength(1);
   }, 90_000);

  it("takes the day's seat snapshot from the mirror, once per day however often it runs", async () => {
    const { fake: github, ceos: instance, operator } = await setUp();
    seedDay(github, D3);
    const now = Date.now();
    const ago = (days: number) => new Date(now - days * 86_400_000).toISOString();
    const seat = (login: string, id: number, extra: Partial<CopilotSeat>): CopilotSeat => ({
      assigneeLogin: login,
      assigneeId: id,
      assigningTeamSlug: null,
      createdAt: ago(100),
      lastActivityAt: null,
      lastActivityEditor: null,
      lastAuthenticatedAt: null,
      pendingCancellationDate: null,
      planType: 'business',
      ...extra,
    });
    await replaceSeats(
      instance.database.db,
      'acme',
      [
        seat('alice', 1, { lastActivityAt: ago(1 / 24), lastActivityEditor: 'vscode/1.98.0/copilot/1.300.0' }),
        seat('bob', 2, { lastActivityAt: ago(3), lastActivityEditor: 'JetBrains-IU/243.1/copilot-intellij/1.5' }),
        seat('carol', 3, { lastActivityAt: ago(20), lastActivityEditor: 'vscode/1.97.0/copilot-chat/0.20', planType: 'enterprise' }),
        seat('dave', 4, {}),
        seat('erin', 5, { lastActivityAt: ago(50), pendingCancellationDate: addDays(TODAY, 10) }),
      ],
      new Date(now),
    );
    for (let run = 0; run < 2; run++) await waitForJob(instance, (await refresh(instance, operator.auth, { from: D3, to: D3 })).job_id, ['completed']);
    const snapshots = await instance.database.db.selectFrom('seat_snapshots').selectAll().execute();
    expect(snapshots).toHaveLength(1);
    expect(snapshots[0]).toMatchObject({
      org: 'acme',
      day: TODAY,
      total: 5,
      active_1d: 1,
      active_7d: 2,
      active_30d: 3,
      never_used: 1,
      pending_cancellation: 1,
      by_editor: { vscode: 2, 'JetBrains-IU': 1, none: 2 },
      by_plan: { business: 4, enterprise: 1 },
    });
  });

  it('refuses days GitHub cannot have, and a key without the operate permission', async () => {
    const { ceos: instance, operator } = await setUp();
    const future = await instance.server.inject({ method: 'POST', url: '/api/v1/orgs/acme/usage/refresh', headers: { ...operator.auth, 'content-type': 'application/json' }, payload: JSON.stringify({ from: TODAY, to: TODAY }) });
    expect(future.statusCode).toBe(422);
    expect(future.json().error.message).toMatch(/not a finished day/);
    const early = await instance.server.inject({ method: 'POST', url: '/api/v1/orgs/acme/usage/refresh', headers: { ...operator.auth, 'content-type': 'application/json' }, payload: JSON.stringify({ from: '2025-01-01', to: '2025-01-31' }) });
    expect(early.statusCode).toBe(422);
    const badDay = await instance.server.inject({ method: 'POST', url: '/api/v1/orgs/acme/usage/refresh', headers: { ...operator.auth, 'content-type': 'application/json' }, payload: JSON.stringify({ from: 'yesterday' }) });
    expect(badDay.statusCode).toBe(400);
    const viewer = await createKey(instance.database.db, 'viewer');
    const refused = await instance.server.inject({ method: 'POST', url: '/api/v1/orgs/acme/usage/refresh', headers: { ...viewer.auth, 'content-type': 'application/json' }, payload: '{}' });
    expect(refused.statusCode).toBe(403);
    // Without from/to, the first run asks for 28 days up to yesterday (DECISIONS 14).
    const defaults = await instance.server.inject({ method: 'POST', url: '/api/v1/orgs/acme/usage/refresh', headers: { ...operator.auth, 'content-type': 'application/json' }, payload: '{}' });
    expect(defaults.json()).toMatchObject({ from: addDays(TODAY, -28), to: D3, days: 28 });
  });
});

describe(`ceos usage (${backend})`, () => {
  it('queues a refresh for a running instance and shows the collection status', async () => {
    const { env, open } = cliDatabase((cleanup) => cleanups.push(cleanup));
    const database = await open();
    await upsertInstallation(
      database.db,
      { id: 77, accountLogin: 'Acme', accountId: 9001, accountType: 'Organization', repositorySelection: 'all', permissions: {}, events: [] },
      'active',
    );
    await database.db.insertInto('usage_collection').values({ org: 'acme', status: 'unavailable', http_status: 422, message: 'Copilot Usage Metrics API access is disabled for this organization.' }).execute();
    await database.close();

    const queued = await runCli(['usage', 'refresh', 'Acme', '--from', D1, '--to', D3], env);
    expect(queued.stderr).toBe('');
    expect(queued.code).toBe(0);
    expect(queued.stdout).toContain(`usage collection of Acme queued`);
    expect(queued.stdout).toContain(`${D1} to ${D3}, 3 days`);
    const status = await runCli(['usage', 'status', 'acme'], env);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain('UNAVAILABLE');
    expect(status.stdout).toContain('GitHub answered 422: Copilot Usage Metrics API access is disabled for this organization.');
    const bad = await runCli(['usage', 'refresh', 'Acme', '--from', 'someday'], env);
    expect(bad.code).toBe(2);
    const future = await runCli(['usage', 'refresh', 'Acme', '--to', TODAY], env);
    expect(future.code).toBe(1);
    expect(future.stderr).toMatch(/not a finished day/);

    const check = await open();
    cleanups.push(() => check.close());
    const { rows } = await check.db.executeQuery<{ data: Record<string, unknown> }>({
      sql: `select data from "${check.schema}_jobs".job where name = '${COLLECT_USAGE_QUEUE}'`,
      parameters: [],
      query: { kind: 'RawNode' } as never,
      queryId: { queryId: 'test' },
    });
    expect(rows.map((r) => r.data)).toEqual([{ org: 'acme', installationId: 77, trigger: 'cli', actor: 'cli', from: D1, to: D3 }]);
    const audit = await check.db.selectFrom('audit_log').select(['action', 'actor']).where('action', '=', 'usage.refresh_requested').execute();
    expect(audit).toEqual([{ action: 'usage.refresh_requested', actor: 'cli' }]);
  });
});
