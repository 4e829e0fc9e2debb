import { describe, expect, it } from 'vitest';
import { backtest, fillDays, forecastSeats, holdoutDays, holtLinear, leastSquares, predict } from '../../src/domain/usage/forecast.js';
import { recommend, usesDaily } from '../../src/domain/usage/recommendations.js';
import { idleDays, inactiveCutoff, isInactive } from '../../src/domain/usage/seat-activity.js';
import { costArithmetic, costOfSeats } from '../../src/domain/usage/seat-cost.js';
import { subtrees, withChildTeams } from '../../src/domain/usage/team-tree.js';
import { addDays, eachDay, isDay, monthStart, weekStart } from '../../src/domain/usage/usage-days.js';
import { buildUsageReport, usageReportCsv, type UsageReportInput } from '../../src/domain/usage/usage-report.js';
import { summarizeUsage, usageSeries, type UsageDay } from '../../src/domain/usage/usage-series.js';
import { rankTeams, utilization } from '../../src/domain/usage/utilization.js';

const counts = (activeUsers: number, interactions = 0, codeGenerations = 0, codeAcceptances = 0) => ({ activeUsers, interactions, codeGenerations, codeAcceptances, locSuggested: 0, locAdded: 0 });

describe('seat cost', () => {
  it.each([
    // byPlan, policy price, monthly USD, arithmetic
    [{ business: 40, enterprise: 2 }, null, 838, '40 × 19 USD + 2 × 39 USD = 838 USD'],
    [{ business: 40, enterprise: 2 }, 25, 1050, '40 × 25 USD + 2 × 25 USD = 1,050 USD'],
    [{ business: 42 }, null, 798, '42 × 19 USD = 798 USD'],
    [{ enterprise: 3 }, 21.5, 64.5, '3 × 21.50 USD = 64.50 USD'],
    // Seats of unknown plan are priced at the plan most seats are on.
    [{ business: 1, enterprise: 3, unknown: 2 }, null, 214, '1 × 19 USD + 3 × 39 USD + 2 × 39 USD = 214 USD'],
    [{ business: 3, enterprise: 3, unknown: 1 }, null, 193, '3 × 19 USD + 3 × 39 USD + 1 × 19 USD = 193 USD'],
    [{}, null, 0, '0 USD'],
  ] as const)('%j at %s USD a seat costs %s USD a month', (byPlan, price, usd, arithmetic) => {
    const cost = costOfSeats(byPlan, price);
    expect(cost.monthlyUsd).toBe(usd);
    expect(costArithmetic(cost)).toBe(arithmetic);
    expect(cost.priceSource).toBe(price === null ? 'list_price' : 'policy');
  });

  it('prices a part of the seats (the inactive ones) by the whole organization’s plan mix', () => {
    // 2 unknown inactive seats in an Enterprise-heavy organization: 2 × 39.
    expect(costOfSeats({ unknown: 2 }, null, { enterprise: 10, business: 1, unknown: 2 }).monthlyUsd).toBe(78);
    expect(costOfSeats({ unknown: 2 }, null).monthlyUsd).toBe(38);
  });
});

describe('inactivity (DECISIONS 2)', () => {
  const now = new Date('2026-12-02T12:00:00.000Z');
  it.each([
    // last activity, created, idle days, inactive after 30
    ['2026-11-01T12:00:00.000Z', '2026-01-01T00:00:00.000Z', 31, true],
    ['2026-11-01T12:00:01.000Z', '2026-01-01T00:00:00.000Z', 30, false],
    ['2026-12-02T11:00:00.000Z', '2026-01-01T00:00:00.000Z', 0, false],
    // Never used: counted from the assignment.
    [null, '2026-10-01T12:00:00.000Z', 62, true],
    [null, '2026-11-20T12:00:00.000Z', 12, false],
  ] as const)('last used %s, assigned %s: %s days idle, inactive %s', (lastActivityAt, createdAt, days, inactive) => {
    expect(idleDays({ lastActivityAt, createdAt }, now)).toBe(days);
    expect(isInactive({ lastActivityAt, createdAt }, now, 30)).toBe(inactive);
  });

  it('puts the query cutoff where the day count turns inactive', () => {
    const cutoff = inactiveCutoff(now, 30);
    expect(cutoff.toISOString()).toBe('2026-11-01T12:00:00.000Z');
    expect(isInactive({ lastActivityAt: cutoff.toISOString(), createdAt: cutoff.toISOString() }, now, 30)).toBe(true);
    expect(isInactive({ lastActivityAt: new Date(cutoff.getTime() + 1).toISOString(), createdAt: cutoff.toISOString() }, now, 30)).toBe(false);
  });
});

describe('utilization', () => {
  it.each([
    // held, inactive, active, ratio, percent
    [10, 7, 3, 0.3, 30],
    [3, 1, 2, 0.6667, 67],
    [8, 0, 8, 1, 100],
    [0, 0, 0, null, null],
  ] as const)('%s held, %s inactive: %s active, ratio %s (%s %)', (held, inactive, active, ratio, percent) => {
    expect(utilization(held, inactive)).toEqual({ held, inactive, active, ratio, percent });
  });

  it('ranks teams lowest utilization first, with their cost and waste; teams without seats are left out', () => {
    const ranked = rankTeams(
      [
        { slug: 'web', heldByPlan: { business: 4 }, inactiveByPlan: { business: 1 } },
        { slug: 'data', heldByPlan: { business: 8, enterprise: 2 }, inactiveByPlan: { business: 5, enterprise: 2 } },
        { slug: 'empty', heldByPlan: {}, inactiveByPlan: {} },
        { slug: 'ops', heldByPlan: { business: 8 }, inactiveByPlan: { business: 2 } },
      ],
      null,
      { business: 20, enterprise: 2 },
    );
    expect(ranked.map((t) => [t.slug, t.percent, t.monthlyCostUsd, t.wastedUsd])).toEqual([
      // 3 of 10: 8 × 19 + 2 × 39 = 230; waste 5 × 19 + 2 × 39 = 173.
      ['data', 30, 230, 173],
      // 0.75 both: more seats first.
      ['ops', 75, 152, 38],
      ['web', 75, 76, 19],
    ]);
  });

  it('folds child teams into their parents, at any depth, case-insensitively', () => {
    const tree = [
      { slug: 'eng', parentSlug: null },
      { slug: 'eng-web', parentSlug: 'Eng' },
      { slug: 'eng-web-ui', parentSlug: 'eng-web' },
      { slug: 'ops', parentSlug: null },
    ];
    expect(withChildTeams(tree, ['ENG']).sort()).toEqual(['eng', 'eng-web', 'eng-web-ui']);
    expect(withChildTeams(tree, ['nope'])).toEqual([]);
    expect(Object.fromEntries([...subtrees(tree)].map(([k, v]) => [k, [...v].sort()]))).toEqual({
      eng: ['eng', 'eng-web', 'eng-web-ui'],
      'eng-web': ['eng-web', 'eng-web-ui'],
      'eng-web-ui': ['eng-web-ui'],
      ops: ['ops'],
    });
  });
});

describe('days, weeks and months', () => {
  it.each([
    // day, Monday of its ISO week, first of its month
    ['2026-12-02', '2026-11-30', '2026-12-01'],
    ['2026-12-06', '2026-11-30', '2026-12-01'],
    ['2026-12-07', '2026-12-07', '2026-12-01'],
    ['2026-03-01', '2026-02-23', '2026-03-01'],
    ['2027-01-01', '2026-12-28', '2027-01-01'],
  ])('%s is in the week of %s and the month of %s', (day, week, month) => {
    expect(weekStart(day)).toBe(week);
    expect(monthStart(day)).toBe(month);
  });

  it('counts and checks days', () => {
    expect(addDays('2026-02-28', 1)).toBe('2026-03-01');
    expect(eachDay('2026-12-30', '2027-01-02')).toEqual(['2026-12-30', '2026-12-31', '2027-01-01', '2027-01-02']);
    expect(isDay('2026-02-29')).toBe(false);
    expect(isDay('2028-02-29')).toBe(true);
    expect(isDay('2026-1-01')).toBe(false);
  });
});

describe('usage series', () => {
  const usage: UsageDay[] = [
    { day: '2026-11-28', status: 'data', counts: counts(10, 100, 50, 20) },
    { day: '2026-11-29', status: 'no_data', counts: null },
    { day: '2026-11-30', status: 'data', counts: counts(20, 200, 100, 30) },
    // A real zero: the report had data and nobody used Copilot.
    { day: '2026-12-01', status: 'data', counts: counts(0) },
    // 2026-12-02 was never collected.
  ];
  const seats = [{ day: '2026-11-29', total: 10, active30d: 5, byPlan: { business: 10 } }];

  it('groups by ISO week, keeping days without data out of the numbers', () => {
    const points = usageSeries({ from: '2026-11-28', to: '2026-12-02', granularity: 'week', usage, seats });
    expect(points).toEqual([
      {
        period: '2026-11-23',
        from: '2026-11-28',
        to: '2026-11-29',
        days: 2,
        daysWithData: 1,
        daysNoData: 1,
        daysNotCollected: 0,
        activeUsers: { average: 10, peak: 10 },
        interactions: 100,
        codeGenerations: 50,
        codeAcceptances: 20,
        locSuggested: 0,
        locAdded: 0,
        acceptanceRate: 0.4,
        seats: { day: '2026-11-29', held: 10, active30d: 5, utilization: 0.5, monthlyCostUsd: 190 },
      },
      {
        period: '2026-11-30',
        from: '2026-11-30',
        to: '2026-12-02',
        days: 3,
        daysWithData: 2,
        daysNoData: 0,
        daysNotCollected: 1,
        activeUsers: { average: 10, peak: 20 },
        interactions: 200,
        codeGenerations: 100,
        codeAcceptances: 30,
        locSuggested: 0,
        locAdded: 0,
        acceptanceRate: 0.3,
        seats: null,
      },
    ]);
  });

  it('keeps a day without data distinct from a day of zero usage', () => {
    const points = usageSeries({ from: '2026-11-29', to: '2026-12-01', granularity: 'day', usage, seats: [] });
    expect(points.map((p) => [p.period, p.daysWithData, p.daysNoData, p.interactions, p.activeUsers])).toEqual([
      ['2026-11-29', 0, 1, null, null],
      ['2026-11-30', 1, 0, 200, { average: 20, peak: 20 }],
      ['2026-12-01', 1, 0, 0, { average: 0, peak: 0 }],
    ]);
  });

  it('groups by calendar month, the first period starting before the range', () => {
    const points = usageSeries({ from: '2026-10-30', to: '2026-11-02', granularity: 'month', usage: [{ day: '2026-10-31', status: 'data', counts: counts(3, 7) }], seats: [] });
    expect(points.map((p) => [p.period, p.from, p.to, p.days, p.daysWithData, p.daysNotCollected, p.interactions])).toEqual([
      ['2026-10-01', '2026-10-30', '2026-10-31', 2, 1, 1, 7],
      ['2026-11-01', '2026-11-01', '2026-11-02', 2, 0, 2, null],
    ]);
  });

  it('prices the seats of a period at the policy price when it has one', () => {
    const [point] = usageSeries({ from: '2026-11-29', to: '2026-11-29', granularity: 'day', usage: [], seats, fixedPriceUsd: 30 });
    expect(point!.seats!.monthlyCostUsd).toBe(300);
  });

  it('summarizes a window: averages over days with data only', () => {
    const summary = summarizeUsage('2026-11-28', '2026-12-02', usage);
    expect(summary).toMatchObject({ days: 5, daysWithData: 3, daysNoData: 1, daysNotCollected: 1, activeUsers: { average: 10, peak: 20 }, interactions: 300, acceptanceRate: 0.3333 });
    expect(summarizeUsage('2026-11-29', '2026-11-29', usage)).toMatchObject({ daysWithData: 0, activeUsers: null, interactions: null, acceptanceRate: null });
  });
});

describe('forecast', () => {
  it('fits least squares by hand: y = 1.9 + 1.9x through (0,2) (1,4) (2,5) (3,8)', () => {
    const line = leastSquares([0, 1, 2, 3], [2, 4, 5, 8]);
    expect(line.slope).toBeCloseTo(1.9, 10);
    expect(line.intercept).toBeCloseTo(1.9, 10);
    // Two days after the last: x = 5.
    expect(predict('least_squares', [2, 4, 5, 8], [2])[0]).toBeCloseTo(11.4, 10);
  });

  it("runs Holt's linear method by hand (α 0.5, β 0.3) on 10, 12, 13, 15", () => {
    // l0 10, b0 2; l1 12, b1 2; l2 13.5, b2 1.85; l3 15.175, b3 1.7975.
    const state = holtLinear([10, 12, 13, 15]);
    expect(state.level).toBeCloseTo(15.175, 10);
    expect(state.trend).toBeCloseTo(1.7975, 10);
    expect(predict('holt', [10, 12, 13, 15], [2])[0]).toBeCloseTo(18.77, 10);
  });

  it('fills a missing day on the line between its neighbours', () => {
    expect(fillDays([{ day: '2026-11-04', value: 16 }, { day: '2026-11-01', value: 10 }])).toEqual([10, 12, 14, 16]);
  });

  it.each([
    [14, 3],
    [16, 4],
    [90, 22],
    [365, 30],
  ])('holds out %s days of %s for the backtest', (n, h) => {
    expect(holdoutDays(n)).toBe(h);
  });

  it('backtests on the held-out tail: MAE and MAPE by hand', () => {
    // Trained on eleven 10s, both methods predict 10; actual 10, 14, 14: errors 0, 4, 4.
    const ys = [...Array<number>(12).fill(10), 14, 14];
    expect(backtest('least_squares', ys, 3)).toEqual({ method: 'least_squares', mae: 2.67, mape: 19.05 });
    expect(backtest('holt', ys, 3)).toEqual({ method: 'holt', mae: 2.67, mape: 19.05 });
  });

  it('forecasts 30 and 90 days ahead with the better method and says which, with its error', () => {
    const history = [...Array<number>(12).fill(10), 14, 14].map((value, i) => ({ day: addDays('2026-11-01', i), value }));
    const forecast = forecastSeats(history, 19);
    // A tie goes to least squares: slope 48 / 227.5, intercept 9.2; x = 43 and 103.
    expect(forecast).toEqual({
      status: 'ok',
      method: 'least_squares',
      historyDays: 14,
      from: '2026-11-01',
      to: '2026-11-14',
      holdoutDays: 3,
      backtest: { method: 'least_squares', mae: 2.67, mape: 19.05 },
      backtests: [
        { method: 'least_squares', mae: 2.67, mape: 19.05 },
        { method: 'holt', mae: 2.67, mape: 19.05 },
      ],
      pricePerSeatUsd: 19,
      points: [
        { days: 30, day: '2026-12-14', seats: 18.3, monthlyCostUsd: 347.7 },
        { days: 90, day: '2027-02-12', seats: 30.9, monthlyCostUsd: 587.1 },
      ],
    });
  });

  it("picks Holt's method when it backtests better", () => {
    // Flat, then a steady climb: the straight line through all of it lags, Holt follows the climb.
    const ys = [...Array<number>(10).fill(50), 52, 54, 56, 58, 60, 62, 64, 66];
    const forecast = forecastSeats(ys.map((value, i) => ({ day: addDays('2026-10-01', i), value })), 19);
    expect(forecast.status).toBe('ok');
    if (forecast.status !== 'ok') return;
    const [ls, holt] = forecast.backtests;
    expect(holt!.mae).toBeLessThan(ls!.mae);
    expect(forecast.method).toBe('holt');
  });

  it('cannot forecast from fewer than 14 days', () => {
    const history = Array.from({ length: 13 }, (_, i) => ({ day: addDays('2026-11-01', i), value: 10 + i }));
    expect(forecastSeats(history, 19)).toEqual({ status: 'insufficient_history', historyDays: 13, neededDays: 14, message: 'cannot forecast yet: 13 days of seat history, 14 needed' });
    expect(forecastSeats([], 19)).toMatchObject({ status: 'insufficient_history', historyDays: 0 });
  });

  it('never forecasts fewer than 0 seats', () => {
    const history = Array.from({ length: 14 }, (_, i) => ({ day: addDays('2026-11-01', i), value: 28 - 2 * i }));
    const forecast = forecastSeats(history, 19);
    expect(forecast.status === 'ok' && forecast.points.map((p) => p.seats)).toEqual([0, 0]);
  });
});

describe('recommendations', () => {
  const noForecast = forecastSeats([], 19);
  const base = {
    inactiveAfterDays: 60,
    cancellable: { cost: costOfSeats({ business: 42 }, null), viaTeam: 0, exempt: 0, pending: 0 },
    teams: rankTeams([{ slug: 'x', heldByPlan: { business: 10 }, inactiveByPlan: { business: 7 } }], null, { business: 10 }),
    overrideDailyUsers: Array.from({ length: 12 }, (_, i) => `user${i + 1}`),
    overrideHolders: 15,
    dailyUseDaysWithData: 28,
    monthlyCostUsd: 950,
    monthlyLimitUsd: null,
    forecast: noForecast,
  };

  it('says what to do, with the arithmetic', () => {
    const recs = recommend(base);
    expect(recs.map((r) => r.text)).toEqual([
      'cancel 42 seats inactive for more than 60 days: saves 798 USD a month',
      'team x uses 30 % of its seats',
      '12 people use Copilot daily without a seat from policy (granted by override): add them to seats.grant',
    ]);
    expect(recs[0]).toMatchObject({ code: 'cancel_inactive', count: 42, savingsUsdPerMonth: 798, arithmetic: '42 × 19 USD = 798 USD a month' });
    expect(recs[1]).toMatchObject({ code: 'low_team_utilization', team: 'x', arithmetic: '3 of 10 seats active (used in the last 60 days) = 30 %; its 7 seats inactive cost 133 USD a month', savingsUsdPerMonth: 133 });
    expect(recs[2]!.arithmetic).toMatch(/^12 of 15 seat holders granted only by an override were active on at least 75 % of the 28 days with data/);
  });

  it('names what it leaves out, and the budget', () => {
    const recs = recommend({
      ...base,
      cancellable: { cost: costOfSeats({ business: 2 }, null), viaTeam: 1, exempt: 3, pending: 4 },
      teams: [],
      overrideDailyUsers: [],
      monthlyCostUsd: 1234,
      monthlyLimitUsd: 1200,
    });
    expect(recs.map((r) => r.code)).toEqual(['cancel_inactive', 'over_budget']);
    expect(recs[0]!.arithmetic).toBe('2 × 19 USD = 38 USD a month; of them, 1 seat comes through a team: remove those people from the team; 3 seats more are exempt from inactivity and not counted; 4 seats more are already pending cancellation');
    expect(recs[1]).toMatchObject({ text: 'the seats cost 1,234 USD a month, 34 USD over the budget of 1,200 USD', arithmetic: '1,234 USD − 1,200 USD = 34 USD' });
  });

  it('leaves small teams and well-used teams alone', () => {
    const teams = rankTeams(
      [
        { slug: 'small', heldByPlan: { business: 4 }, inactiveByPlan: { business: 4 } },
        { slug: 'busy', heldByPlan: { business: 10 }, inactiveByPlan: { business: 5 } },
      ],
      null,
      { business: 14 },
    );
    expect(recommend({ ...base, teams }).filter((r) => r.code === 'low_team_utilization')).toEqual([]);
  });

  it.each([
    [21, 28, true],
    [20, 28, false],
    [3, 4, true],
    [0, 0, false],
  ])('active %s of %s days with data: daily %s', (active, days, daily) => {
    expect(usesDaily(active, days)).toBe(daily);
  });
});

describe('usage report', () => {
  const input: UsageReportInput = {
    org: 'Acme',
    now: new Date('2026-12-02T12:00:00.000Z'),
    policy: { fixedPriceUsd: null, inactiveAfterDays: 30, inactiveAfterSource: 'default', monthlyLimitUsd: null },
    collection: { status: 'unavailable', httpStatus: 403, message: 'Copilot metrics are disabled for this organization', since: '2026-12-01T00:00:00.000Z' },
    heldByPlan: { business: 8, enterprise: 2 },
    inactiveByPlan: { business: 3 },
    pendingCancellation: 1,
    cancellable: { byPlan: { business: 2 }, viaTeam: 0, exempt: 0, pending: 1 },
    teams: [{ slug: 'eng', heldByPlan: { business: 5 }, inactiveByPlan: { business: 3 } }],
    seatHistory: [{ day: '2026-12-01', value: 10 }],
    usage: { from: '2026-11-30', to: '2026-12-01', days: [{ day: '2026-11-30', status: 'no_data', counts: null }] },
    overrideDailyUsers: [],
    overrideHolders: 0,
  };

  it('computes every number from its inputs', () => {
    const report = buildUsageReport(input);
    expect(report.seats).toEqual({ held: 10, active: 7, inactive: 3, ratio: 0.7, percent: 70, pendingCancellation: 1, inactiveAfterDays: 30, inactiveAfterSource: 'default' });
    expect(report.cost).toMatchObject({ monthlyUsd: 230, priceSource: 'list_price', arithmetic: '8 × 19 USD + 2 × 39 USD = 230 USD' });
    expect(report.waste).toMatchObject({ inactiveSeats: 3, monthlyUsd: 57, arithmetic: '3 × 19 USD = 57 USD' });
    expect(report.teams.map((t) => [t.slug, t.percent])).toEqual([['eng', 40]]);
    expect(report.usage).toMatchObject({ days: 2, daysWithData: 0, daysNoData: 1, daysNotCollected: 1, activeUsers: null });
    expect(report.forecast).toMatchObject({ status: 'insufficient_history', historyDays: 1 });
    expect(report.collection.status).toBe('unavailable');
    expect(report.recommendations.map((r) => r.code)).toEqual(['cancel_inactive', 'low_team_utilization']);
  });

  it('writes CSV: a header, then one number a row, quoted where needed', () => {
    const csv = usageReportCsv(buildUsageReport(input));
    const lines = csv.trimEnd().split('\r\n');
    expect(lines[0]).toBe('section,item,metric,value,unit,note');
    expect(lines).toContain('collection,Acme,status,unavailable,,Copilot metrics are disabled for this organization');
    expect(lines).toContain('cost,Acme,monthly_cost,230,USD,8 × 19 USD + 2 × 39 USD = 230 USD');
    expect(lines).toContain('seats,Acme,utilization,0.7,ratio,active ÷ held');
    expect(lines).toContain('team,eng,utilization,0.4,ratio,active ÷ held');
    expect(lines).toContain('forecast,Acme,status,insufficient_history,,"cannot forecast yet: 1 day of seat history, 14 needed"');
    for (const line of lines) expect(line.match(/(?:^|,)("(?:[^"]|"")*"|[^,]*)/g)!.length).toBe(6);
  });
});
