import { describe, expect, it } from 'vitest';
import type { SeatSnapshot } from '../../src/db/usage-queries.js';
import { seatSeries, usageChartSeries } from '../../src/dashboard/seat-series.js';

function snapshot(day: string, total: number, active30d: number, byPlan: Record<string, number>): SeatSnapshot {
  return { day, total, active30d, active7d: 0, active1d: 0, neverUsed: 0, pendingCancellation: 0, byEditor: {}, byPlan, takenAt: `${day}T06:00:00.000Z` };
}

describe('seatSeries', () => {
  it('orders days, and computes utilization (to 1 decimal) and cost by plan, by hand', () => {
    const series = seatSeries(
      [snapshot('2026-11-02', 3, 1, { business: 2, enterprise: 1 }), snapshot('2026-11-01', 0, 0, {}), snapshot('2026-11-03', 40, 30, { business: 40 })],
      null,
    );
    expect(series.days).toEqual(['2026-11-01', '2026-11-02', '2026-11-03']);
    // 1 ÷ 3 = 33.3 %; 30 ÷ 40 = 75 %; no seats: no utilization.
    expect(series.utilizationPercent).toEqual([null, 33.3, 75]);
    // 2 × 19 + 1 × 39 = 77; 40 × 19 = 760.
    expect(series.monthlyCostUsd).toEqual([0, 77, 760]);
    expect(series.total).toEqual([0, 3, 40]);
  });

  it('prices every seat at the policy\'s price when it sets one', () => {
    expect(seatSeries([snapshot('2026-11-01', 3, 3, { business: 2, enterprise: 1 })], 25).monthlyCostUsd).toEqual([75]);
  });
});

describe('usageChartSeries', () => {
  it('keeps a day without data as a gap, never a zero', () => {
    const counts = (activeUsers: number) => ({ activeUsers, interactions: 0, codeGenerations: 0, codeAcceptances: 2, locSuggested: 0, locAdded: 0 });
    const series = usageChartSeries([
      { day: '2026-11-02', status: 'no_data', counts: null },
      { day: '2026-11-01', status: 'data', counts: counts(5) },
      { day: '2026-11-03', status: 'data', counts: counts(0) },
    ]);
    expect(series).toEqual({ days: ['2026-11-01', '2026-11-02', '2026-11-03'], activeUsers: [5, null, 0], codeAcceptances: [2, null, 2], noDataDays: 1 });
  });
});
