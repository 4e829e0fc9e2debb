import { roundUsd } from '../planner/seat-cost.js';
import type { SeatForecast } from './forecast.js';
import { type SeatCost, costArithmetic, usdText } from './seat-cost.js';
import type { TeamUtilization } from './utilization.js';

/** Teams under this share of active seats are named. */
export const LOW_TEAM_UTILIZATION_PERCENT = 50;
/** Teams with fewer seats are too small to judge. */
export const MIN_TEAM_SEATS = 5;
/** At most this many teams are named. */
export const MAX_TEAM_RECOMMENDATIONS = 5;
/** Someone "uses Copilot daily" when active on at least this share of the days with data in the window. */
export const DAILY_USE_SHARE = 0.75;
/** The window daily use is judged over. */
export const DAILY_USE_WINDOW_DAYS = 28;

/** What a recommendation is about. */
export type RecommendationCode = 'cancel_inactive' | 'low_team_utilization' | 'override_daily_users' | 'over_budget' | 'forecast_over_budget';

/** One recommendation: a sentence, the arithmetic behind it, and what it saves. */
export interface Recommendation {
  code: RecommendationCode;
  /** The recommendation in a sentence. */
  text: string;
  /** How its numbers were computed. */
  arithmetic: string;
  /** Seats or people it is about. */
  count: number;
  /** The team it is about, for team recommendations. */
  team: string | null;
  /** What following it saves a month, when it saves anything. */
  savingsUsdPerMonth: number | null;
}

/** Inactive seats that could be cancelled, and those left out. */
export interface CancellableSeats {
  /** Inactive seats neither exempt nor already pending cancellation, priced. */
  cost: SeatCost;
  /** Of those, seats assigned through a team (cancelled by leaving the team, not per user). */
  viaTeam: number;
  /** Inactive seats the policy exempts from inactivity. */
  exempt: number;
  /** Inactive seats already pending cancellation. */
  pending: number;
}

/** Everything recommendations are made from. */
export interface RecommendationInput {
  /** Days idle after which a seat is inactive. */
  inactiveAfterDays: number;
  cancellable: CancellableSeats;
  /** Teams ranked by utilization. */
  teams: readonly TeamUtilization[];
  /** Logins of people holding a seat only through a grant override who use Copilot daily. */
  overrideDailyUsers: readonly string[];
  /** Seat holders granted only by an override. */
  overrideHolders: number;
  /** Days with data in the daily-use window. */
  dailyUseDaysWithData: number;
  monthlyCostUsd: number;
  /** The policy's `budget.monthly_limit_usd`, if set. */
  monthlyLimitUsd: number | null;
  forecast: SeatForecast;
}

/** Whether someone active on `activeDays` of the window's `daysWithData` uses Copilot daily. */
export function usesDaily(activeDays: number, daysWithData: number): boolean {
  return daysWithData > 0 && activeDays >= Math.ceil(daysWithData * DAILY_USE_SHARE);
}

function seats(n: number): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? 'seat' : 'seats'}`;
}

/** Recommendations, most saving first: inactive seats, low-utilization teams, override holders, budget. */
export function recommend(input: RecommendationInput): Recommendation[] {
  const out: Recommendation[] = [];
  const { cancellable } = input;
  if (cancellable.cost.seats > 0) {
    const notes = [
      cancellable.viaTeam > 0 ? `of them, ${seats(cancellable.viaTeam)} ${cancellable.viaTeam === 1 ? 'comes' : 'come'} through a team: remove those people from the team` : null,
      cancellable.exempt > 0 ? `${seats(cancellable.exempt)} more ${cancellable.exempt === 1 ? 'is' : 'are'} exempt from inactivity and not counted` : null,
      cancellable.pending > 0 ? `${seats(cancellable.pending)} more ${cancellable.pending === 1 ? 'is' : 'are'} already pending cancellation` : null,
    ].filter((n): n is string => n !== null);
    out.push({
      code: 'cancel_inactive',
      text: `cancel ${seats(cancellable.cost.seats)} inactive for more than ${input.inactiveAfterDays} days: saves ${usdText(cancellable.cost.monthlyUsd)} a month`,
      arithmetic: `${costArithmetic(cancellable.cost)} a month${notes.length > 0 ? `; ${notes.join('; ')}` : ''}`,
      count: cancellable.cost.seats,
      team: null,
      savingsUsdPerMonth: cancellable.cost.monthlyUsd,
    });
  }
  const lowTeams = input.teams.filter((t) => t.held >= MIN_TEAM_SEATS && t.percent !== null && t.percent < LOW_TEAM_UTILIZATION_PERCENT).slice(0, MAX_TEAM_RECOMMENDATIONS);
  for (const t of lowTeams) {
    out.push({
      code: 'low_team_utilization',
      text: `team ${t.slug} uses ${t.percent} % of its seats`,
      arithmetic: `${t.active.toLocaleString('en-US')} of ${seats(t.held)} active (used in the last ${input.inactiveAfterDays} days) = ${t.percent} %; its ${seats(t.inactive)} inactive cost ${usdText(t.wastedUsd)} a month`,
      count: t.held,
      team: t.slug,
      savingsUsdPerMonth: t.wastedUsd > 0 ? t.wastedUsd : null,
    });
  }
  const daily = input.overrideDailyUsers.length;
  if (daily > 0) {
    out.push({
      code: 'override_daily_users',
      text: `${daily.toLocaleString('en-US')} ${daily === 1 ? 'person uses' : 'people use'} Copilot daily without a seat from policy (granted by override): add them to seats.grant`,
      arithmetic: `${daily.toLocaleString('en-US')} of ${input.overrideHolders.toLocaleString('en-US')} seat holders granted only by an override were active on at least ${DAILY_USE_SHARE * 100} % of the ${input.dailyUseDaysWithData} days with data in the last ${DAILY_USE_WINDOW_DAYS} days: ${input.overrideDailyUsers.slice(0, 20).join(', ')}${daily > 20 ? ', …' : ''}`,
      count: daily,
      team: null,
      savingsUsdPerMonth: null,
    });
  }
  const limit = input.monthlyLimitUsd;
  if (limit !== null && input.monthlyCostUsd > limit) {
    const over = roundUsd(input.monthlyCostUsd - limit);
    out.push({
      code: 'over_budget',
      text: `the seats cost ${usdText(input.monthlyCostUsd)} a month, ${usdText(over)} over the budget of ${usdText(limit)}`,
      arithmetic: `${usdText(input.monthlyCostUsd)} − ${usdText(limit)} = ${usdText(over)}`,
      count: 0,
      team: null,
      savingsUsdPerMonth: null,
    });
  }
  if (limit !== null && input.forecast.status === 'ok') {
    const last = input.forecast.points[input.forecast.points.length - 1];
    if (last !== undefined && last.monthlyCostUsd > limit && input.monthlyCostUsd <= limit) {
      out.push({
        code: 'forecast_over_budget',
        text: `at the current trend the seats will cost ${usdText(last.monthlyCostUsd)} a month in ${last.days} days, over the budget of ${usdText(limit)}`,
        arithmetic: `${last.seats} seats forecast for ${last.day} (${input.forecast.method === 'holt' ? "Holt's linear method" : 'least squares'}, backtest MAE ${input.forecast.backtest.mae} seats) × ${usdText(input.forecast.pricePerSeatUsd)} = ${usdText(last.monthlyCostUsd)}`,
        count: 0,
        team: null,
        savingsUsdPerMonth: null,
      });
    }
  }
  return out;
}
