import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { usageRoutes } from '../../src/api/routes/usage-routes.js';
import { createOverrides } from '../../src/db/overrides.js';
import type { Database } from '../../src/db/schema.js';
import { addDays, dayOf } from '../../src/domain/usage/usage-days.js';
import { createKey, seedOrg } from '../helpers/api.js';
import { type TestCeos, startTestCeos } from '../helpers/ceos.js';
import { backend } from '../helpers/database.js';

// Both organizations come from seedOrg: seats alice (used 2 days ago), bob (60 days idle) and dave
// (used yesterday, not granted by the policy); team eng (alice, bob) with child team eng-web
// (carol, no seat); policy: grant eng, inactive after 30 days, list prices (all Business).

let ceos: TestCeos;
const today = dayOf(new Date());
const yesterday = addDays(today, -1);

const counts = (dau: number, interactions: number, generations = 0, acceptances = 0) => ({
  daily_active_users: dau,
  interactions,
  code_generations: generations,
  code_acceptances: acceptances,
});

async function seedUsage(db: Kysely<Database>) {
  const reportDays = [
    // A fixed fortnight for the series: data, a day GitHub had no report for, then data again.
    ['acme', 'organization', '2025-11-03', 'data'],
    ['acme', 'organization', '2025-11-04', 'no_data'],
    ['acme', 'organization', '2025-11-10', 'data'],
    ['acme', 'organization', '2025-11-11', 'data'],
    ['acme', 'user_teams', '2025-11-03', 'data'],
    ['acme', 'user_teams', '2025-11-10', 'data'],
    // The report window (the 28 days before today): dave active on both days with data.
    ['acme', 'organization', addDays(yesterday, -2), 'data'],
    ['acme', 'organization', addDays(yesterday, -1), 'no_data'],
    ['acme', 'organization', yesterday, 'data'],
  ] as const;
  await db
    .insertInto('usage_report_days')
    .values(reportDays.map(([org, report, day, status]) => ({ org, report, day, status })))
    .execute();
  await db
    .insertInto('usage_org_days')
    .values([
      { org: 'acme', day: '2025-11-03', ...counts(10, 100, 50, 20) },
      { org: 'acme', day: '2025-11-10', ...counts(4, 40, 20, 5) },
      // Data, and nobody used Copilot: a real zero.
      { org: 'acme', day: '2025-11-11', ...counts(0, 0) },
      { org: 'acme', day: addDays(yesterday, -2), ...counts(2, 10, 8, 4) },
      { org: 'acme', day: yesterday, ...counts(1, 5, 2, 1) },
    ])
    .execute();
  await db.insertInto('usage_team_days').values({ org: 'acme', team_slug: 'eng', day: '2025-11-03', active_users: 2, interactions: 30 }).execute();
  await db
    .insertInto('usage_user_days')
    .values([addDays(yesterday, -2), yesterday].map((day) => ({ org: 'acme', user_id: 4, day, login: 'dave', interactions: 3 })))
    .execute();
  const snapshot = (org: string, day: string, total: number, active30d: number) => ({
    org,
    day,
    total,
    active_1d: 0,
    active_7d: 0,
    active_30d: active30d,
    never_used: 0,
    pending_cancellation: 0,
    by_editor: JSON.stringify({ vscode: total }),
    by_plan: JSON.stringify({ business: total }),
  });
  // Acme: 20 days of 3 seats up to today (enough to forecast), and one each week of the fixed fortnight.
  await db
    .insertInto('seat_snapshots')
    .values([snapshot('acme', '2025-11-09', 3, 2), snapshot('acme', '2025-11-16', 3, 2), ...Array.from({ length: 20 }, (_, i) => snapshot('acme', addDays(today, -i), 3, 2))])
    .execute();
  // Globex: metrics switched off by its owners.
  await db
    .insertInto('usage_collection')
    .values({ org: 'globex', status: 'unavailable', http_status: 403, message: 'Copilot Metrics API access is disabled for this organization.' })
    .execute();
  // Dave holds his seat only by an override.
  await createOverrides(db, [{ org: 'acme', login: 'dave', userId: 4, kind: 'grant', actor: 'dave', reason: 'pilot', expiresAt: null }]);
}

let admin: { auth: Record<string, string> };
let viewer: { auth: Record<string, string> };
let acmeOnly: { auth: Record<string, string> };

beforeAll(async () => {
  ceos = await startTestCeos({ CEOS_WORKERS: 'false' }, { listen: false });
  const { db } = ceos.database;
  await seedOrg(db, 'Acme', 1);
  await seedOrg(db, 'Globex', 2);
  await seedUsage(db);
  admin = await createKey(db, 'admin');
  viewer = await createKey(db, 'viewer');
  acmeOnly = await createKey(db, 'viewer', { orgs: ['acme'] });
});
afterAll(() => ceos?.stop());

function responseSchema(url: string) {
  const route = usageRoutes.find((r) => r.url === url);
  if (!route?.response) throw new Error(`no response schema for ${url}`);
  return route.response;
}

async function get(url: string, auth: Record<string, string> = viewer.auth, headers: Record<string, string> = {}) {
  return ceos.server.inject({ method: 'GET', url: `/api/v1${url}`, headers: { ...auth, ...headers } });
}

describe(`usage insight API (${backend})`, () => {
  it('answers a weekly series: no-data days counted apart, never as zero', async () => {
    const res = await get('/orgs/acme/usage?from=2025-11-03&to=2025-11-16&granularity=week');
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    // The answer is what its schema documents, no field more or less.
    expect(responseSchema('/orgs/:org/usage').parse(body)).toEqual(body);
    expect(body).toMatchObject({ org: 'Acme', team: null, from: '2025-11-03', to: '2025-11-16', granularity: 'week', collection: { status: 'not_collected' } });
    expect(body.points).toEqual([
      {
        period: '2025-11-03',
        from: '2025-11-03',
        to: '2025-11-09',
        days: 7,
        days_with_data: 1,
        days_no_data: 1,
        days_not_collected: 5,
        active_users: { average: 10, peak: 10 },
        interactions: 100,
        code_generations: 50,
        code_acceptances: 20,
        loc_suggested: 0,
        loc_added: 0,
        acceptance_rate: 0.4,
        // 3 seats, 2 used in 30 days, 3 × 19 USD.
        seats: { day: '2025-11-09', held: 3, active_30d: 2, utilization: 0.6667, monthly_cost_usd: 57 },
      },
      {
        period: '2025-11-10',
        from: '2025-11-10',
        to: '2025-11-16',
        days: 7,
        days_with_data: 2,
        days_no_data: 0,
        days_not_collected: 5,
        // (4 + 0) / 2.
        active_users: { average: 2, peak: 4 },
        interactions: 40,
        code_generations: 20,
        code_acceptances: 5,
        loc_suggested: 0,
        loc_added: 0,
        acceptance_rate: 0.25,
        seats: { day: '2025-11-16', held: 3, active_30d: 2, utilization: 0.6667, monthly_cost_usd: 57 },
      },
    ]);
  });

  it('groups by month, and by team from the user-teams report', async () => {
    const monthly = (await get('/orgs/acme/usage?from=2025-10-31&to=2025-11-16&granularity=month')).json();
    expect(monthly.points.map((p: Record<string, unknown>) => [p.period, p.days, p.days_with_data, p.days_no_data, p.interactions, p.active_users])).toEqual([
      ['2025-10-01', 1, 0, 0, null, null],
      // (10 + 4 + 0) / 3 = 4.67, to one decimal.
      ['2025-11-01', 16, 3, 1, 140, { average: 4.7, peak: 10 }],
    ]);
    const team = await get('/orgs/acme/usage?from=2025-11-03&to=2025-11-11&team=ENG');
    expect(team.statusCode, team.body).toBe(200);
    const points = team.json().points as Record<string, unknown>[];
    expect(team.json().team).toBe('eng');
    expect(points.filter((p) => p.days_with_data === 1).map((p) => [p.period, p.interactions, p.active_users, p.seats])).toEqual([
      ['2025-11-03', 30, { average: 2, peak: 2 }, null],
      // The report had data that day and the team had no row: nobody in it was active.
      ['2025-11-10', 0, { average: 0, peak: 0 }, null],
    ]);
    expect(points.filter((p) => p.days_not_collected === 1)).toHaveLength(7);
  });

  it('answers insights computed from the seeded rows', async () => {
    const res = await get('/orgs/acme/insights');
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    // The answer is what its schema documents, no field more or less.
    expect(responseSchema('/orgs/:org/insights').parse(body)).toEqual(body);
    expect(body.seats).toEqual({ held: 3, active: 2, inactive: 1, utilization: 0.6667, utilization_percent: 67, pending_cancellation: 0, inactive_after_days: 30 });
    expect(body.cost).toEqual({ monthly_usd: 57, price_source: 'list_price', by_plan: [{ plan: 'business', seats: 3, price_usd: 19, monthly_usd: 57 }], arithmetic: '3 × 19 USD = 57 USD' });
    expect(body.waste).toMatchObject({ inactive_seats: 1, monthly_usd: 19, arithmetic: '1 × 19 USD = 19 USD' });
    // 3 seats every day: both methods backtest exactly, least squares wins the tie.
    expect(body.forecast).toMatchObject({ status: 'ok', method: 'least_squares', backtest: { mae: 0, mape: 0 }, points: [{ days: 30, seats: 3, monthly_cost_usd: 57 }, { days: 90, seats: 3, monthly_cost_usd: 57 }] });
    expect(body.recommendations.map((r: { text: string }) => r.text)).toEqual([
      'cancel 1 seat inactive for more than 30 days: saves 19 USD a month',
      '1 person uses Copilot daily without a seat from policy (granted by override): add them to seats.grant',
    ]);
    expect(body.recommendations[1].arithmetic).toContain('active on at least 75 % of the 2 days with data in the last 28 days: dave');
  });

  it('says when metrics are unavailable, with GitHub’s message, and when it cannot forecast yet', async () => {
    const usage = (await get('/orgs/globex/usage')).json();
    expect(usage.collection).toMatchObject({ status: 'unavailable', http_status: 403, message: 'Copilot Metrics API access is disabled for this organization.' });
    const insights = (await get('/orgs/globex/insights')).json();
    expect(insights.collection.status).toBe('unavailable');
    expect(insights.forecast).toMatchObject({ status: 'insufficient_history', history_days: 0, message: 'cannot forecast yet: 0 days of seat history, 14 needed' });
  });

  it('answers the report as JSON, and as CSV through Accept', async () => {
    const json = await get('/orgs/acme/report');
    expect(json.statusCode, json.body).toBe(200);
    const body = json.json();
    // The answer is what its schema documents, no field more or less.
    expect(responseSchema('/orgs/:org/report').parse(body)).toEqual(body);
    expect(body.teams).toEqual([{ team: 'eng', held: 2, active: 1, inactive: 1, utilization: 0.5, utilization_percent: 50, monthly_cost_usd: 38, wasted_usd: 19 }]);
    // The window: 28 days, of which 2 with data and 1 without; averages over the 2.
    expect(body.usage).toMatchObject({ days: 28, days_with_data: 2, days_no_data: 1, days_not_collected: 25, active_users: { average: 1.5, peak: 2 }, interactions: 15, acceptance_rate: 0.5 });

    const csv = await get('/orgs/acme/report', viewer.auth, { accept: 'text/csv' });
    expect(csv.statusCode).toBe(200);
    expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(csv.headers['content-disposition']).toMatch(/^attachment; filename="acme-copilot-report-\d{4}-\d{2}-\d{2}\.csv"$/);
    const lines = csv.body.trimEnd().split('\r\n');
    expect(lines[0]).toBe('section,item,metric,value,unit,note');
    expect(lines).toContain('cost,Acme,monthly_cost,57,USD,3 × 19 USD = 57 USD');
    expect(lines).toContain('waste,Acme,monthly_wasted,19,USD,1 × 19 USD = 19 USD');
    expect(lines).toContain('team,eng,utilization,0.5,ratio,active ÷ held');
    expect(lines).toContain('usage,Acme,days_no_data,1,days,GitHub had no report: not zero usage');
    expect(lines.find((l) => l.startsWith('recommendation,Acme,cancel_inactive,19,USD,'))).toBeDefined();
  });

  it('answers /usage across the organizations a key may see', async () => {
    const all = await get('/usage?from=2025-11-03&to=2025-11-16&granularity=week', admin.auth);
    expect(all.statusCode, all.body).toBe(200);
    const body = all.json();
    // The answer is what its schema documents, no field more or less.
    expect(responseSchema('/usage').parse(body)).toEqual(body);
    expect(body.orgs.map((o: { org: string }) => o.org)).toEqual(['Acme', 'Globex']);
    // 3 seats each, one of them idle: 6 held, 2 inactive, 6 × 19 USD, 2 × 19 USD wasted.
    expect(body.totals).toEqual({ held: 6, active: 4, inactive: 2, utilization: 0.6667, utilization_percent: 67, pending_cancellation: 0, monthly_cost_usd: 114, wasted_usd: 38 });
    expect(body.orgs[1].collection.status).toBe('unavailable');
    expect(body.orgs[0].points[0].interactions).toBe(100);

    const limited = (await get('/usage', acmeOnly.auth)).json();
    expect(limited.orgs.map((o: { org: string }) => o.org)).toEqual(['Acme']);
    expect(limited.totals).toMatchObject({ held: 3, monthly_cost_usd: 57 });
    const foreign = await get('/orgs/globex/insights', acmeOnly.auth);
    expect(foreign.statusCode).toBe(404);
  });

  it.each([
    ['/orgs/acme/usage?from=2026-13-01', 'querystring.from'],
    ['/orgs/acme/usage?from=2025-11-01&to=2025-10-01', 'comes after'],
    ['/orgs/acme/usage?from=2024-01-01&to=2025-11-01', 'at most 366'],
    ['/orgs/acme/usage?granularity=year', 'querystring.granularity'],
    ['/orgs/acme/usage?colour=blue', 'querystring.colour'],
    ['/orgs/acme/insights?days=3', 'querystring.days'],
    ['/orgs/acme/report?format=csv', 'querystring.format'],
    ['/usage?to=yesterday', 'querystring.to'],
  ])('GET %s: 400 naming the problem', async (url, problem) => {
    const res = await get(url);
    expect(res.statusCode, res.body).toBe(400);
    expect(res.json().error.code).toBe('invalid_request');
    expect(res.json().error.message).toContain(problem);
  });

  it('answers 404 for a team that does not exist', async () => {
    const res = await get('/orgs/acme/usage?team=nope');
    expect(res.statusCode).toBe(404);
    expect(res.json().error.message).toBe('No team nope in Acme.');
  });
});
