import type { SeatSnapshot } from '../db/usage-queries.js';
import { costOfSeats } from '../domain/usage/seat-cost.js';
import type { UsageDay } from '../domain/usage/usage-series.js';

/** The charts' daily series, from the seat snapshots, oldest day first. */
export interface SeatSeries {
  days: string[];
  /** Seats held. */
  total: number[];
  /** Seats used in the last 30 and 7 days. */
  active30: number[];
  active7: number[];
  /** active30 ÷ total as a percentage to 1 decimal; null on a day with no seats. */
  utilizationPercent: (number | null)[];
  /** What that day's seats cost a month, USD (seats × price by plan). */
  monthlyCostUsd: number[];
}

/** Builds the series: utilization is the 30-day active share; cost is priced like the summary. */
export function seatSeries(snapshots: readonly SeatSnapshot[], fixedPriceUsd: number | null): SeatSeries {
  const sorted = [...snapshots].sort((a, b) => (a.day < b.day ? -1 : a.day > b.day ? 1 : 0));
  return {
    days: sorted.map((s) => s.day),
    total: sorted.map((s) => s.total),
    active30: sorted.map((s) => s.active30d),
    active7: sorted.map((s) => s.active7d),
    utilizationPercent: sorted.map((s) => (s.total === 0 ? null : Math.round((s.active30d / s.total) * 1000) / 10)),
    monthlyCostUsd: sorted.map((s) => costOfSeats(s.byPlan, fixedPriceUsd).monthlyUsd),
  };
}

/** The usage chart's daily series, from GitHub's organization report: a day without data is a gap, never a zero. */
export interface UsageChartSeries {
  days: string[];
  /** Daily active users; null on a day GitHub had no data for. */
  activeUsers: (number | null)[];
  /** Code suggestions accepted; null on a day without data. */
  codeAcceptances: (number | null)[];
  /** Days without data in the range. */
  noDataDays: number;
}

/** Builds the usage series, oldest day first. */
export function usageChartSeries(days: readonly UsageDay[]): UsageChartSeries {
  const sorted = [...days].sort((a, b) => (a.day < b.day ? -1 : a.day > b.day ? 1 : 0));
  return {
    days: sorted.map((d) => d.day),
    activeUsers: sorted.map((d) => d.counts?.activeUsers ?? null),
    codeAcceptances: sorted.map((d) => d.counts?.codeAcceptances ?? null),
    noDataDays: sorted.filter((d) => d.status === 'no_data').length,
  };
}
