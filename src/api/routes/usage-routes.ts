import { z } from 'zod';
import { readStoredPolicy } from '../../db/policies.js';
import { listUsageOrgs, readCollectionStatus, readTeamTree } from '../../db/usage-queries.js';
import type { SeatForecast } from '../../domain/usage/forecast.js';
import type { Recommendation } from '../../domain/usage/recommendations.js';
import type { PlanCost } from '../../domain/usage/seat-cost.js';
import { addDays, dayOf, daysBetween, isDay } from '../../domain/usage/usage-days.js';
import { type CollectionStatus, type SeatSummary, type UsageReport, totalSeats, usageReportCsv } from '../../domain/usage/usage-report.js';
import { GRANULARITIES, type SeriesPoint, type UsageSummary } from '../../domain/usage/usage-series.js';
import type { TeamUtilization, Utilization } from '../../domain/usage/utilization.js';
import { loadOrgSeatSummaries, loadOrgUsageReport, loadUsageSeries, reportWindow } from '../../reporting/org-usage-report.js';
import { ApiError, notFound } from '../api-error.js';
import { defineRoute } from '../api-route.js';
import { orgParams } from '../schemas.js';
import { tenantScoped } from './tenant-scope.js';

/** The longest range a series may cover: a year of reports, one leap day included. */
export const MAX_SERIES_DAYS = 366;

const day = z.string().refine(isDay, 'must be a day as YYYY-MM-DD').describe('A day, YYYY-MM-DD (UTC)');

const rangeQuery = {
  from: day.optional().describe('First day (included); by default 27 days before `to`'),
  to: day.optional().describe('Last day (included); by default yesterday (UTC)'),
  granularity: z.enum(GRANULARITIES).default('day').describe('One point per day, ISO week (Monday first) or calendar month'),
};

/** The range asked, or the 28 days before today; 400 when it is backwards or longer than a year. */
function seriesRange(query: { from?: string | undefined; to?: string | undefined }, now: Date): { from: string; to: string } {
  const to = query.to ?? (query.from !== undefined ? addDays(query.from, 27) : reportWindow(now).to);
  const from = query.from ?? addDays(to, -27);
  if (from > to) throw new ApiError(400, 'invalid_request', `querystring.from: ${from} comes after to (${to})`);
  if (daysBetween(from, to) + 1 > MAX_SERIES_DAYS) throw new ApiError(400, 'invalid_request', `querystring: from ${from} to ${to} spans ${daysBetween(from, to) + 1} days; at most ${MAX_SERIES_DAYS}`);
  return { from, to };
}

// Answer shapes: snake_case, as the rest of the API.

const collectionSchema = z
  .object({
    status: z.enum(['ok', 'unavailable', 'not_collected']).describe('`unavailable`: the metrics policy is off or the permission is missing; `message` is GitHub\'s'),
    http_status: z.number().int().nullable(),
    message: z.string().nullable().describe("GitHub's message, as it was"),
    since: z.string().nullable(),
  })
  .describe('Whether usage metrics can be collected');

function collectionItem(c: CollectionStatus) {
  return { status: c.status, http_status: c.httpStatus, message: c.message, since: c.since };
}

const utilizationFields = {
  held: z.number().int(),
  active: z.number().int().describe('Held seats used within the inactivity threshold'),
  inactive: z.number().int().describe('Held seats unused for more than the threshold (DECISIONS 2)'),
  utilization: z.number().nullable().describe('active ÷ held, to 4 decimals; null without seats'),
  utilization_percent: z.number().int().nullable(),
};

function utilizationItem(u: Utilization) {
  return { held: u.held, active: u.active, inactive: u.inactive, utilization: u.ratio, utilization_percent: u.percent };
}

const planCostSchema = z.object({ plan: z.string(), seats: z.number().int(), price_usd: z.number(), monthly_usd: z.number() });
const planCost = (p: PlanCost) => ({ plan: p.plan, seats: p.seats, price_usd: p.priceUsd, monthly_usd: p.monthlyUsd });

const seatsSchema = z.object({
  ...utilizationFields,
  pending_cancellation: z.number().int(),
  inactive_after_days: z.number().int().describe("The policy's inactivity.revoke_after_days, else 30"),
});
const costSchema = z.object({
  monthly_usd: z.number(),
  price_source: z.enum(['policy', 'list_price']).describe('`policy`: budget.seat_price_usd; `list_price`: 19 USD Business, 39 USD Enterprise'),
  by_plan: z.array(planCostSchema),
  arithmetic: z.string(),
});
const wasteSchema = z.object({ inactive_seats: z.number().int(), monthly_usd: z.number(), by_plan: z.array(planCostSchema), arithmetic: z.string() });

function seatSummaryItem(s: SeatSummary) {
  return {
    seats: { ...utilizationItem(s.seats), pending_cancellation: s.seats.pendingCancellation, inactive_after_days: s.seats.inactiveAfterDays },
    cost: { monthly_usd: s.cost.monthlyUsd, price_source: s.cost.priceSource, by_plan: s.cost.byPlan.map(planCost), arithmetic: s.cost.arithmetic },
    waste: { inactive_seats: s.waste.inactiveSeats, monthly_usd: s.waste.monthlyUsd, by_plan: s.waste.byPlan.map(planCost), arithmetic: s.waste.arithmetic },
  };
}

const activeUsersSchema = z.object({ average: z.number(), peak: z.number().int() }).nullable().describe('Daily active users over the days with data; null without data');
const usageCountFields = {
  interactions: z.number().int().nullable(),
  code_generations: z.number().int().nullable(),
  code_acceptances: z.number().int().nullable(),
  loc_suggested: z.number().int().nullable(),
  loc_added: z.number().int().nullable(),
  acceptance_rate: z.number().nullable().describe('code_acceptances ÷ code_generations'),
};
const dayCountFields = {
  days: z.number().int(),
  days_with_data: z.number().int(),
  days_no_data: z.number().int().describe('Days GitHub had no report for: not zero usage'),
  days_not_collected: z.number().int(),
};

const pointSchema = z.object({
  period: z.string().describe('First day of the period'),
  from: z.string(),
  to: z.string(),
  ...dayCountFields,
  active_users: activeUsersSchema,
  ...usageCountFields,
  seats: z
    .object({ day: z.string(), held: z.number().int(), active_30d: z.number().int(), utilization: z.number().nullable(), monthly_cost_usd: z.number() })
    .nullable()
    .describe("The period's last seat snapshot; null when none (always for a team)"),
});

function pointItem(p: SeriesPoint) {
  return {
    period: p.period,
    from: p.from,
    to: p.to,
    days: p.days,
    days_with_data: p.daysWithData,
    days_no_data: p.daysNoData,
    days_not_collected: p.daysNotCollected,
    active_users: p.activeUsers,
    interactions: p.interactions,
    code_generations: p.codeGenerations,
    code_acceptances: p.codeAcceptances,
    loc_suggested: p.locSuggested,
    loc_added: p.locAdded,
    acceptance_rate: p.acceptanceRate,
    seats: p.seats === null ? null : { day: p.seats.day, held: p.seats.held, active_30d: p.seats.active30d, utilization: p.seats.utilization, monthly_cost_usd: p.seats.monthlyCostUsd },
  };
}

const usageSummarySchema = z.object({ from: z.string(), to: z.string(), ...dayCountFields, active_users: activeUsersSchema, ...usageCountFields });

function usageSummaryItem(u: UsageSummary) {
  return {
    from: u.from,
    to: u.to,
    days: u.days,
    days_with_data: u.daysWithData,
    days_no_data: u.daysNoData,
    days_not_collected: u.daysNotCollected,
    active_users: u.activeUsers,
    interactions: u.interactions,
    code_generations: u.codeGenerations,
    code_acceptances: u.codeAcceptances,
    loc_suggested: u.locSuggested,
    loc_added: u.locAdded,
    acceptance_rate: u.acceptanceRate,
  };
}

const teamSchema = z.object({ team: z.string(), ...utilizationFields, monthly_cost_usd: z.number(), wasted_usd: z.number() });
const teamItem = (t: TeamUtilization) => ({ team: t.slug, ...utilizationItem(t), monthly_cost_usd: t.monthlyCostUsd, wasted_usd: t.wastedUsd });

const backtestSchema = z.object({ method: z.enum(['least_squares', 'holt']), mae: z.number().describe('Mean absolute error, seats'), mape: z.number().nullable().describe('Mean absolute percentage error') });
const forecastSchema = z
  .object({
    status: z.enum(['ok', 'insufficient_history']),
    method: z.enum(['least_squares', 'holt']).nullable(),
    history_days: z.number().int(),
    needed_days: z.number().int().nullable(),
    message: z.string().nullable(),
    holdout_days: z.number().int().nullable(),
    backtest: backtestSchema.nullable(),
    backtests: z.array(backtestSchema),
    price_per_seat_usd: z.number().nullable(),
    points: z.array(z.object({ days: z.number().int(), day: z.string(), seats: z.number(), monthly_cost_usd: z.number() })),
  })
  .describe('Seats and cost 30 and 90 days after the last snapshot; "cannot forecast yet" under 14 days of history');

function forecastItem(f: SeatForecast) {
  if (f.status === 'insufficient_history') {
    return { status: f.status, method: null, history_days: f.historyDays, needed_days: f.neededDays, message: f.message, holdout_days: null, backtest: null, backtests: [], price_per_seat_usd: null, points: [] };
  }
  return {
    status: f.status,
    method: f.method,
    history_days: f.historyDays,
    needed_days: null,
    message: `${f.method === 'holt' ? "Holt's linear method" : 'least squares'} on ${f.historyDays} days of seats (${f.from} to ${f.to}); backtest MAE ${f.backtest.mae} seats over the last ${f.holdoutDays} days`,
    holdout_days: f.holdoutDays,
    backtest: f.backtest,
    backtests: f.backtests,
    price_per_seat_usd: f.pricePerSeatUsd,
    points: f.points.map((p) => ({ days: p.days, day: p.day, seats: p.seats, monthly_cost_usd: p.monthlyCostUsd })),
  };
}

const recommendationSchema = z.object({
  code: z.enum(['cancel_inactive', 'low_team_utilization', 'override_daily_users', 'over_budget', 'forecast_over_budget']),
  text: z.string(),
  arithmetic: z.string(),
  count: z.number().int(),
  team: z.string().nullable(),
  savings_usd_per_month: z.number().nullable(),
});
const recommendationItem = (r: Recommendation) => ({ code: r.code, text: r.text, arithmetic: r.arithmetic, count: r.count, team: r.team, savings_usd_per_month: r.savingsUsdPerMonth });

const insightsSchema = z.object({
  org: z.string(),
  generated_at: z.string(),
  collection: collectionSchema,
  seats: seatsSchema,
  cost: costSchema,
  waste: wasteSchema,
  budget: z.object({ monthly_limit_usd: z.number().nullable(), status: z.enum(['none', 'within', 'over']) }),
  forecast: forecastSchema,
  recommendations: z.array(recommendationSchema),
});
const reportSchema = insightsSchema.extend({ usage: usageSummarySchema.describe('The 28 days before today'), teams: z.array(teamSchema).describe('Lowest utilization first') });

function insightsItem(r: UsageReport) {
  return {
    org: r.org,
    generated_at: r.generatedAt,
    collection: collectionItem(r.collection),
    ...seatSummaryItem(r),
    budget: { monthly_limit_usd: r.budget.monthlyLimitUsd, status: r.budget.status },
    forecast: forecastItem(r.forecast),
    recommendations: r.recommendations.map(recommendationItem),
  };
}

const orgSummarySchema = z.object({
  org: z.string(),
  collection: collectionSchema,
  seats: seatsSchema,
  cost: costSchema,
  waste: wasteSchema,
  points: z.array(pointSchema),
});

/** Usage analytics: series, insights and the report per organization, and every organization at once. */
export const usageRoutes = [
  tenantScoped(defineRoute({
    method: 'GET',
    url: '/orgs/:org/usage',
    permission: 'read',
    org: true,
    tag: 'usage',
    summary: 'Usage and seats over time',
    description:
      'One point per day, week or month from `from` to `to` (at most 366 days; by default the 28 days before today). Days GitHub had no report for are counted in `days_no_data` and left out of the numbers, never read as zero. ' +
      "`team`: that team's usage as GitHub's user-teams report gives it (no seats). See docs/analytics.md.",
    params: orgParams,
    querystring: z.strictObject({ ...rangeQuery, team: z.string().min(1).max(100).optional().describe('A team slug') }),
    response: z.object({ org: z.string(), team: z.string().nullable(), from: z.string(), to: z.string(), granularity: z.enum(GRANULARITIES), collection: collectionSchema, points: z.array(pointSchema) }),
    async handler({ query, installation, deps, now }) {
      const range = seriesRange(query, now);
      let team: string | undefined;
      if (query.team !== undefined) {
        const wanted = query.team.toLowerCase();
        team = (await readTeamTree(deps.db, installation.org)).find((t) => t.slug.toLowerCase() === wanted)?.slug;
        if (team === undefined) throw notFound(`team ${query.team} in ${installation.account_login}`);
      }
      const policy = (await readStoredPolicy(deps.db, installation.org))?.policy ?? null;
      const [collection, points] = await Promise.all([
        readCollectionStatus(deps.db, installation.org),
        loadUsageSeries(deps.db, installation.org, { ...range, granularity: query.granularity, ...(team !== undefined ? { team } : {}) }, policy),
      ]);
      return { org: installation.account_login, team: team ?? null, ...range, granularity: query.granularity, collection: collectionItem(collection), points: points.map(pointItem) };
    },
  })),
  tenantScoped(defineRoute({
    method: 'GET',
    url: '/orgs/:org/insights',
    permission: 'read',
    org: true,
    tag: 'usage',
    summary: 'Cost, waste, utilization, forecast and recommendations',
    description: 'Monthly seat cost (AI-credit usage cannot be read by a GitHub App, so seat cost only), wasted spend on inactive seats, utilization, a 30- and 90-day forecast with its method and backtest error, and recommendations with their arithmetic.',
    params: orgParams,
    querystring: z.strictObject({}),
    response: insightsSchema,
    async handler({ installation, deps, now }) {
      return insightsItem(await loadOrgUsageReport(deps.db, installation.org, installation.account_login, now));
    },
  })),
  tenantScoped(defineRoute({
    method: 'GET',
    url: '/orgs/:org/report',
    permission: 'read',
    org: true,
    tag: 'usage',
    summary: 'The usage and cost report (JSON, or CSV with Accept: text/csv)',
    description: 'The insights with the last 28 days of usage and every team ranked by utilization: what `/copilot report` and the `ceos/compliance` check show. `Accept: text/csv` answers one number a row: `section,item,metric,value,unit,note`.',
    params: orgParams,
    querystring: z.strictObject({}),
    response: reportSchema,
    async handler({ installation, deps, request, reply, now }) {
      const report = await loadOrgUsageReport(deps.db, installation.org, installation.account_login, now);
      if (/text\/csv/.test(request.headers.accept ?? '')) {
        return reply
          .code(200)
          .type('text/csv; charset=utf-8')
          .header('content-disposition', `attachment; filename="${installation.org}-copilot-report-${dayOf(now)}.csv"`)
          .send(usageReportCsv(report));
      }
      return { ...insightsItem(report), usage: usageSummaryItem(report.usage), teams: report.teams.map(teamItem) };
    },
  })),
  defineRoute({
    method: 'GET',
    url: '/usage',
    permission: 'read',
    org: false,
    tag: 'usage',
    summary: 'Usage, seats and cost across every organization the key may see',
    description: 'Per organization: collection status, seats, cost, waste and the series asked (as `GET /orgs/{org}/usage`); and the totals. An org-limited key sees only its organizations.',
    querystring: z.strictObject(rangeQuery),
    response: z.object({
      from: z.string(),
      to: z.string(),
      granularity: z.enum(GRANULARITIES),
      totals: z.object({ ...utilizationFields, pending_cancellation: z.number().int(), monthly_cost_usd: z.number(), wasted_usd: z.number() }),
      orgs: z.array(orgSummarySchema),
    }),
    async handler({ query, principal, deps, now }) {
      const range = seriesRange(query, now);
      const orgs = await listUsageOrgs(deps.db, principal.orgs);
      const [summaries, series] = await Promise.all([
        loadOrgSeatSummaries(deps.db, orgs, now),
        Promise.all(orgs.map((o) => loadUsageSeries(deps.db, o.org, { ...range, granularity: query.granularity }))),
      ]);
      const totals = totalSeats(summaries);
      return {
        ...range,
        granularity: query.granularity,
        totals: { ...utilizationItem(totals.seats), pending_cancellation: totals.seats.pendingCancellation, monthly_cost_usd: totals.monthlyCostUsd, wasted_usd: totals.wastedUsd },
        orgs: summaries.map((s, i) => ({ org: s.login, collection: collectionItem(s.collection), ...seatSummaryItem(s), points: series[i]!.map(pointItem) })),
      };
    },
  }),
];
