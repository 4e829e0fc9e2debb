import { roundUsd } from '../planner/seat-cost.js';
import { type SeatsByPlan, costOfSeats } from './seat-cost.js';
import { eachDay, monthStart, weekStart } from './usage-days.js';

/** How days are grouped: one point per day, per ISO week (Monday to Sunday) or per calendar month. */
export type Granularity = 'day' | 'week' | 'month';

/** Granularities, for validation. */
export const GRANULARITIES = ['day', 'week', 'month'] as const satisfies readonly Granularity[];

/**
 * What is known of a day: `data` (GitHub had a report), `no_data` (GitHub had none: not zero
 * usage, DECISIONS 14) or `not_collected` (CEOS never asked).
 */
export type DayStatus = 'data' | 'no_data' | 'not_collected';

/** Usage numbers of one day, summed over the users of an organization or a team. */
export interface UsageCounts {
  /** People active that day (the report's daily active users, or the team's active users). */
  activeUsers: number;
  interactions: number;
  codeGenerations: number;
  codeAcceptances: number;
  locSuggested: number;
  locAdded: number;
}

/** One collected day: its status and, on a `data` day, its numbers. */
export interface UsageDay {
  day: string;
  status: 'data' | 'no_data';
  /** The day's numbers; null on a `no_data` day. */
  counts: UsageCounts | null;
}

/** The seats of a day, from the daily seat snapshot. */
export interface SeatDay {
  day: string;
  /** Seats held. */
  total: number;
  /** Seats used in the 30 days before the snapshot. */
  active30d: number;
  /** Seats by plan, for their cost. */
  byPlan: SeatsByPlan;
}

/** Seats at the end of a period: the last snapshot in it. */
export interface SeriesSeats {
  /** The day of the snapshot. */
  day: string;
  held: number;
  active30d: number;
  /** active30d ÷ held, to 4 decimals; null when no seat is held. */
  utilization: number | null;
  monthlyCostUsd: number;
}

/** One point of a series: a day, a week or a month, with the summary's numbers over its days. */
export interface SeriesPoint extends UsageSummary {
  /** First day of the period (the day, the week's Monday, the month's first day), even when the range starts later. */
  period: string;
  /** Seats at the end of the period; null when no snapshot falls in it. */
  seats: SeriesSeats | null;
}

/** What a series is computed from. */
export interface SeriesInput {
  /** First and last day, both included. */
  from: string;
  to: string;
  granularity: Granularity;
  /** Collected days (any order); days of the range that are absent are `not_collected`. */
  usage: readonly UsageDay[];
  /** Seat snapshots (any order); may be empty, as for a team. */
  seats: readonly SeatDay[];
  /** The policy's `budget.seat_price_usd`, if set. */
  fixedPriceUsd?: number | null;
}

/** The period a day belongs to. */
export function periodOf(day: string, granularity: Granularity): string {
  return granularity === 'day' ? day : granularity === 'week' ? weekStart(day) : monthStart(day);
}

const COUNT_KEYS = ['interactions', 'codeGenerations', 'codeAcceptances', 'locSuggested', 'locAdded'] as const;

/**
 * Usage and seats over a range, one point per period. A day without data is counted as such and
 * kept out of the numbers, so "GitHub had no report" never reads as "nobody used Copilot".
 */
export function usageSeries(input: SeriesInput): SeriesPoint[] {
  if (input.from > input.to) return [];
  const usage = new Map(input.usage.map((u) => [u.day, u]));
  const seats = new Map(input.seats.map((s) => [s.day, s]));
  const points: SeriesPoint[] = [];
  let current: { point: SeriesPoint; actives: number[] } | null = null;
  const close = () => {
    if (current === null) return;
    const { point, actives } = current;
    if (actives.length > 0) {
      point.activeUsers = { average: Math.round((actives.reduce((a, b) => a + b, 0) / actives.length) * 10) / 10, peak: Math.max(...actives) };
      point.acceptanceRate = point.codeGenerations ? Math.round((point.codeAcceptances! / point.codeGenerations) * 10_000) / 10_000 : null;
    }
    points.push(point);
  };
  for (const day of eachDay(input.from, input.to)) {
    const period = periodOf(day, input.granularity);
    if (current === null || current.point.period !== period) {
      close();
      current = {
        point: {
          period,
          from: day,
          to: day,
          days: 0,
          daysWithData: 0,
          daysNoData: 0,
          daysNotCollected: 0,
          activeUsers: null,
          interactions: null,
          codeGenerations: null,
          codeAcceptances: null,
          locSuggested: null,
          locAdded: null,
          acceptanceRate: null,
          seats: null,
        },
        actives: [],
      };
    }
    const { point, actives } = current;
    point.to = day;
    point.days++;
    const u = usage.get(day);
    if (u === undefined) point.daysNotCollected++;
    else if (u.status === 'no_data' || u.counts === null) point.daysNoData++;
    else {
      point.daysWithData++;
      actives.push(u.counts.activeUsers);
      for (const key of COUNT_KEYS) point[key] = (point[key] ?? 0) + u.counts[key];
    }
    const s = seats.get(day);
    if (s !== undefined) {
      point.seats = {
        day,
        held: s.total,
        active30d: s.active30d,
        utilization: s.total === 0 ? null : Math.round((s.active30d / s.total) * 10_000) / 10_000,
        monthlyCostUsd: roundUsd(costOfSeats(s.byPlan, input.fixedPriceUsd).monthlyUsd),
      };
    }
  }
  close();
  return points;
}

/** Usage over a whole range, summed: the same rules as a series point, over one period. */
export interface UsageSummary {
  /** First and last day within the range asked. */
  from: string;
  to: string;
  /** Days within the range. */
  days: number;
  daysWithData: number;
  /** Days GitHub had no report for: neither zero nor counted in the numbers. */
  daysNoData: number;
  daysNotCollected: number;
  /** Active users per day with data: average (1 decimal) and highest; null without a day of data. */
  activeUsers: { average: number; peak: number } | null;
  /** Sums over the days with data; null without a day of data (never 0 for "unknown"). */
  interactions: number | null;
  codeGenerations: number | null;
  codeAcceptances: number | null;
  locSuggested: number | null;
  locAdded: number | null;
  /** codeAcceptances ÷ codeGenerations, to 4 decimals; null without data or generations. */
  acceptanceRate: number | null;
}

/** Sums usage over a range as one period. */
export function summarizeUsage(from: string, to: string, usage: readonly UsageDay[]): UsageSummary {
  const points = usageSeries({ from, to, granularity: 'day', usage, seats: [] });
  const data = points.filter((p) => p.daysWithData > 0);
  const total = (key: (typeof COUNT_KEYS)[number]) => (data.length === 0 ? null : data.reduce((sum, p) => sum + (p[key] ?? 0), 0));
  const actives = data.map((p) => p.activeUsers!.peak);
  const codeGenerations = total('codeGenerations');
  const codeAcceptances = total('codeAcceptances');
  return {
    from,
    to,
    days: points.length,
    daysWithData: data.length,
    daysNoData: points.reduce((n, p) => n + p.daysNoData, 0),
    daysNotCollected: points.reduce((n, p) => n + p.daysNotCollected, 0),
    activeUsers: actives.length === 0 ? null : { average: Math.round((actives.reduce((a, b) => a + b, 0) / actives.length) * 10) / 10, peak: Math.max(...actives) },
    interactions: total('interactions'),
    codeGenerations,
    codeAcceptances,
    locSuggested: total('locSuggested'),
    locAdded: total('locAdded'),
    acceptanceRate: codeGenerations ? Math.round((codeAcceptances! / codeGenerations) * 10_000) / 10_000 : null,
  };
}
