import { roundUsd } from '../planner/seat-cost.js';
import { type DayValue, type SeatForecast, forecastSeats } from './forecast.js';
import { type CancellableSeats, type Recommendation, recommend } from './recommendations.js';
import { type PriceSource, type SeatsByPlan, type PlanCost, costArithmetic, costOfSeats, seatPriceUsd, fallbackPlan } from './seat-cost.js';
import { type UsageDay, type UsageSummary, summarizeUsage } from './usage-series.js';
import { type TeamSeats, type TeamUtilization, type Utilization, rankTeams, utilization } from './utilization.js';

/** Whether usage metrics can be collected, as the collector last found. */
export interface CollectionStatus {
  /** `ok`; `unavailable` (metrics policy off or permission missing: GitHub's message says which); `not_collected` when never tried. */
  status: 'ok' | 'unavailable' | 'not_collected';
  /** GitHub's HTTP status when unavailable. */
  httpStatus: number | null;
  /** GitHub's message, as it was. */
  message: string | null;
  /** Since when the status holds (ISO 8601). */
  since: string | null;
}

/** The policy settings the report depends on. */
export interface ReportPolicy {
  /** `budget.seat_price_usd`, or null for the list price of each seat's plan. */
  fixedPriceUsd: number | null;
  /** `inactivity.revoke_after_days`, else 30. */
  inactiveAfterDays: number;
  /** Whether the threshold is the policy's or the default. */
  inactiveAfterSource: 'policy' | 'default';
  /** `budget.monthly_limit_usd`, or null. */
  monthlyLimitUsd: number | null;
}

/** What an organization's usage report is made from: plain numbers read from the database. */
export interface UsageReportInput {
  /** The organization's login, as GitHub spells it. */
  org: string;
  now: Date;
  policy: ReportPolicy;
  collection: CollectionStatus;
  /** Seats held now, and the inactive ones, by plan. */
  heldByPlan: SeatsByPlan;
  inactiveByPlan: SeatsByPlan;
  pendingCancellation: number;
  /** Inactive seats that could be cancelled, by plan, and those left out. */
  cancellable: { byPlan: SeatsByPlan; viaTeam: number; exempt: number; pending: number };
  teams: readonly TeamSeats[];
  /** Seats held per day (seat snapshots), oldest first or in any order. */
  seatHistory: readonly DayValue[];
  /** The usage window: its first and last day and its collected days. */
  usage: { from: string; to: string; days: readonly UsageDay[] };
  /** Logins of override-only seat holders who use Copilot daily, and how many override-only holders there are. */
  overrideDailyUsers: readonly string[];
  overrideHolders: number;
}

/** An organization's cost, waste, utilization, usage, forecast and recommendations. */
export interface UsageReport {
  org: string;
  generatedAt: string;
  collection: CollectionStatus;
  seats: Utilization & { pendingCancellation: number; inactiveAfterDays: number; inactiveAfterSource: 'policy' | 'default' };
  cost: { monthlyUsd: number; priceSource: PriceSource; byPlan: PlanCost[]; arithmetic: string };
  waste: { inactiveSeats: number; monthlyUsd: number; byPlan: PlanCost[]; arithmetic: string };
  budget: { monthlyLimitUsd: number | null; status: 'none' | 'within' | 'over' };
  usage: UsageSummary;
  teams: TeamUtilization[];
  forecast: SeatForecast;
  recommendations: Recommendation[];
}

/** Builds the report: every number is computed here from the inputs, the same for the API, the dashboard and the reports. */
export function buildUsageReport(input: UsageReportInput): UsageReport {
  const { policy } = input;
  const held = costOfSeats(input.heldByPlan, policy.fixedPriceUsd);
  const seatSummary = summarizeSeats(input.heldByPlan, input.inactiveByPlan, input.pendingCancellation, policy);
  const teams = rankTeams(input.teams, policy.fixedPriceUsd, input.heldByPlan);
  const cancellable: CancellableSeats = {
    cost: costOfSeats(input.cancellable.byPlan, policy.fixedPriceUsd, input.heldByPlan),
    viaTeam: input.cancellable.viaTeam,
    exempt: input.cancellable.exempt,
    pending: input.cancellable.pending,
  };
  // The cost forecast prices seats at today's average price (today's plan mix).
  const pricePerSeat = held.seats > 0 ? held.monthlyUsd / held.seats : seatPriceUsd('business', policy.fixedPriceUsd, fallbackPlan(input.heldByPlan));
  const forecast = forecastSeats(input.seatHistory, roundUsd(pricePerSeat));
  const summary = summarizeUsage(input.usage.from, input.usage.to, input.usage.days);
  const limit = policy.monthlyLimitUsd;
  return {
    org: input.org,
    generatedAt: input.now.toISOString(),
    collection: input.collection,
    seats: { ...seatSummary.seats, inactiveAfterSource: policy.inactiveAfterSource },
    cost: seatSummary.cost,
    waste: seatSummary.waste,
    budget: { monthlyLimitUsd: limit, status: limit === null ? 'none' : held.monthlyUsd > limit ? 'over' : 'within' },
    usage: summary,
    teams,
    forecast,
    recommendations: recommend({
      inactiveAfterDays: policy.inactiveAfterDays,
      cancellable,
      teams,
      overrideDailyUsers: input.overrideDailyUsers,
      overrideHolders: input.overrideHolders,
      dailyUseDaysWithData: summary.daysWithData,
      monthlyCostUsd: held.monthlyUsd,
      monthlyLimitUsd: limit,
      forecast,
    }),
  };
}

/** Columns of the report as CSV: one number a row. */
export const USAGE_REPORT_CSV_COLUMNS = ['section', 'item', 'metric', 'value', 'unit', 'note'] as const;

type CsvRow = [section: string, item: string, metric: string, value: string | number | null, unit: string, note: string];

function csvCell(value: string | number | null): string {
  const text = value === null ? '' : String(value);
  // A leading = + - @ is prefixed so that a spreadsheet never runs a cell as a formula.
  const safe = /^[=+\-@\t\r]/.test(text) && typeof value !== 'number' ? `'${text}` : text;
  return /[",\n\r]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

/** The report as CSV (RFC 4180, a header line then one number a row), for spreadsheets and compliance files. */
export function usageReportCsv(report: UsageReport): string {
  const org = report.org;
  const rows: CsvRow[] = [
    ['collection', org, 'status', report.collection.status, '', report.collection.message ?? ''],
    ['seats', org, 'held', report.seats.held, 'seats', ''],
    ['seats', org, 'active', report.seats.active, 'seats', `used in the last ${report.seats.inactiveAfterDays} days`],
    ['seats', org, 'inactive', report.seats.inactive, 'seats', `unused for more than ${report.seats.inactiveAfterDays} days`],
    ['seats', org, 'pending_cancellation', report.seats.pendingCancellation, 'seats', ''],
    ['seats', org, 'utilization', report.seats.ratio, 'ratio', 'active ÷ held'],
    ['cost', org, 'monthly_cost', report.cost.monthlyUsd, 'USD', report.cost.arithmetic],
    ...report.cost.byPlan.map((p): CsvRow => ['cost', p.plan, 'monthly_cost', p.monthlyUsd, 'USD', `${p.seats} × ${p.priceUsd} USD (${report.cost.priceSource})`]),
    ['waste', org, 'monthly_wasted', report.waste.monthlyUsd, 'USD', report.waste.arithmetic],
    ['budget', org, 'monthly_limit', report.budget.monthlyLimitUsd, 'USD', report.budget.status],
    ['usage', org, 'days_with_data', report.usage.daysWithData, 'days', `${report.usage.from} to ${report.usage.to}`],
    ['usage', org, 'days_no_data', report.usage.daysNoData, 'days', 'GitHub had no report: not zero usage'],
    ['usage', org, 'days_not_collected', report.usage.daysNotCollected, 'days', ''],
    ['usage', org, 'average_daily_active_users', report.usage.activeUsers?.average ?? null, 'users', 'over the days with data'],
    ['usage', org, 'peak_daily_active_users', report.usage.activeUsers?.peak ?? null, 'users', ''],
    ['usage', org, 'acceptance_rate', report.usage.acceptanceRate, 'ratio', 'code acceptances ÷ code generations'],
    ...report.teams.flatMap((t): CsvRow[] => [
      ['team', t.slug, 'held', t.held, 'seats', ''],
      ['team', t.slug, 'active', t.active, 'seats', ''],
      ['team', t.slug, 'utilization', t.ratio, 'ratio', 'active ÷ held'],
      ['team', t.slug, 'monthly_cost', t.monthlyCostUsd, 'USD', ''],
      ['team', t.slug, 'monthly_wasted', t.wastedUsd, 'USD', ''],
    ]),
    ...(report.forecast.status === 'ok'
      ? report.forecast.points.flatMap((p): CsvRow[] => {
          const f = report.forecast as Extract<SeatForecast, { status: 'ok' }>;
          const note = `${f.method}; backtest MAE ${f.backtest.mae} seats over ${f.holdoutDays} held-out days`;
          return [
            ['forecast', p.day, `seats_in_${p.days}_days`, p.seats, 'seats', note],
            ['forecast', p.day, `monthly_cost_in_${p.days}_days`, p.monthlyCostUsd, 'USD', `${p.seats} × ${f.pricePerSeatUsd} USD`],
          ];
        })
      : [['forecast', org, 'status', report.forecast.status, '', report.forecast.message] as CsvRow]),
    ...report.recommendations.map((r): CsvRow => ['recommendation', r.team ?? org, r.code, r.savingsUsdPerMonth, r.savingsUsdPerMonth === null ? '' : 'USD', `${r.text} (${r.arithmetic})`]),
  ];
  return [USAGE_REPORT_CSV_COLUMNS.join(','), ...rows.map((row) => row.map(csvCell).join(','))].join('\r\n') + '\r\n';
}

/** An organization's seats, cost and waste now: what lists across organizations show. */
export interface SeatSummary {
  seats: Utilization & { pendingCancellation: number; inactiveAfterDays: number };
  cost: { monthlyUsd: number; priceSource: PriceSource; byPlan: PlanCost[]; arithmetic: string };
  waste: { inactiveSeats: number; monthlyUsd: number; byPlan: PlanCost[]; arithmetic: string };
}

/** Seats, cost and waste from seat counts: the same arithmetic as the report's. */
export function summarizeSeats(heldByPlan: SeatsByPlan, inactiveByPlan: SeatsByPlan, pendingCancellation: number, policy: Pick<ReportPolicy, 'fixedPriceUsd' | 'inactiveAfterDays'>): SeatSummary {
  const held = costOfSeats(heldByPlan, policy.fixedPriceUsd);
  const waste = costOfSeats(inactiveByPlan, policy.fixedPriceUsd, heldByPlan);
  return {
    seats: { ...utilization(held.seats, waste.seats), pendingCancellation, inactiveAfterDays: policy.inactiveAfterDays },
    cost: { monthlyUsd: held.monthlyUsd, priceSource: held.priceSource, byPlan: held.byPlan, arithmetic: costArithmetic(held) },
    waste: { inactiveSeats: waste.seats, monthlyUsd: waste.monthlyUsd, byPlan: waste.byPlan, arithmetic: costArithmetic(waste) },
  };
}

/** Several organizations together: seats and utilization over all their seats, costs summed (each at its own policy's price). */
export interface SeatTotals {
  seats: Utilization & { pendingCancellation: number };
  monthlyCostUsd: number;
  wastedUsd: number;
}

/** Adds organizations' summaries. */
export function totalSeats(summaries: readonly SeatSummary[]): SeatTotals {
  const sum = (f: (s: SeatSummary) => number) => summaries.reduce((a, s) => a + f(s), 0);
  const cents = (f: (s: SeatSummary) => number) => summaries.reduce((a, s) => a + Math.round(f(s) * 100), 0) / 100;
  return {
    seats: { ...utilization(sum((s) => s.seats.held), sum((s) => s.seats.inactive)), pendingCancellation: sum((s) => s.seats.pendingCancellation) },
    monthlyCostUsd: cents((s) => s.cost.monthlyUsd),
    wastedUsd: cents((s) => s.waste.monthlyUsd),
  };
}
