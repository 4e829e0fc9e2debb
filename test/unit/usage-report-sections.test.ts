import { describe, expect, it } from 'vitest';
import type { Plan } from '../../src/domain/plan-types.js';
import { renderCommandReply } from '../../src/domain/reports/render-command-reply.js';
import { renderComplianceCheck } from '../../src/domain/reports/render-compliance-check.js';
import { usageSections } from '../../src/domain/reports/usage-sections.js';
import { addDays } from '../../src/domain/usage/usage-days.js';
import { type UsageReportInput, buildUsageReport } from '../../src/domain/usage/usage-report.js';

const plan: Plan = {
  formatVersion: 1,
  org: 'acme',
  computedAt: '2026-12-02T12:00:00.000Z',
  mode: 'enforce',
  status: 'ok',
  blocked: null,
  toAdd: [],
  toCancel: [],
  leftAlone: [],
  notAdded: [],
  seats: { before: { total: 50, perUser: 50, viaTeam: 0, pendingCancellation: 0 }, after: { total: 50, perUser: 50, viaTeam: 0, pendingCancellation: 0 } },
  cost: { beforeUsd: 950, afterUsd: 950 },
  cap: { status: 'none', max: null, seatsAfter: 50, overBy: 0 },
  budget: { status: 'none', monthlyLimitUsd: null, costBeforeUsd: 950, costAfterUsd: 950, overByUsd: 0 },
  violations: [],
  warnings: [],
  overridesToRecord: [],
  membership: { complete: true, asOf: '2026-12-02T12:00:00.000Z' },
} as unknown as Plan;

const input: UsageReportInput = {
  org: 'Acme',
  now: new Date('2026-12-02T12:00:00.000Z'),
  policy: { fixedPriceUsd: null, inactiveAfterDays: 60, inactiveAfterSource: 'policy', monthlyLimitUsd: 900 },
  collection: { status: 'ok', httpStatus: null, message: null, since: '2026-11-01T00:00:00.000Z' },
  heldByPlan: { business: 50 },
  inactiveByPlan: { business: 42 },
  pendingCancellation: 0,
  cancellable: { byPlan: { business: 42 }, viaTeam: 0, exempt: 0, pending: 0 },
  teams: [{ slug: 'x', heldByPlan: { business: 10 }, inactiveByPlan: { business: 7 } }],
  seatHistory: Array.from({ length: 20 }, (_, i) => ({ day: addDays('2026-11-13', i), value: 50 })),
  usage: { from: '2026-11-04', to: '2026-12-01', days: [{ day: '2026-11-30', status: 'data', counts: { activeUsers: 8, interactions: 80, codeGenerations: 40, codeAcceptances: 10, locSuggested: 0, locAdded: 0 } }] },
  overrideDailyUsers: [],
  overrideHolders: 0,
};

describe('cost and usage section of the compliance report', () => {
  it('shows seats, cost, waste, budget, usage, forecast, recommendations and teams', () => {
    const markdown = usageSections(buildUsageReport(input))
      .map((s) => (s.kind === 'text' ? s.markdown : `${s.head}\n${s.rows.join('\n')}${s.tail}`))
      .join('\n\n');
    expect(markdown).toContain('### Cost and usage');
    expect(markdown).toContain('- **Seats**: 50 held, 8 active, 42 inactive (unused for more than 60 days): utilization 16 %.');
    expect(markdown).toContain('- **Monthly cost**: 950 USD (50 × 19 USD = 950 USD; list prices: 19 USD Business, 39 USD Enterprise). Seat cost only: a GitHub App cannot read AI-credit usage.');
    expect(markdown).toContain('- **Wasted spend**: 798 USD a month on 42 inactive seats (42 × 19 USD = 798 USD).');
    expect(markdown).toContain('- **Budget**: 900 USD a month; the seats cost more ❌.');
    expect(markdown).toContain('- **Usage 2026-11-04 to 2026-12-01**: 8 active users a day on average (peak 8); 1 day with data, 0 days GitHub had no report for (not counted as zero), 27 days not collected.');
    expect(markdown).toContain('- **Forecast**: 50 seats (950 USD a month) in 30 days, 50 seats (950 USD a month) in 90 days; least squares on 20 days of seats, backtest error 0 seats (MAE) over the last 5 days.');
    expect(markdown).toContain('1. cancel 42 seats inactive for more than 60 days: saves 798 USD a month: 42 × 19 USD = 798 USD a month');
    expect(markdown).toContain('2. team x uses 30 % of its seats: 3 of 10 seats active');
    expect(markdown).toContain('| `x` | 10 | 3 | 30 % | 190 USD | 133 USD |');
  });

  it('says when usage metrics are unavailable, with GitHub’s message, and when it cannot forecast yet', () => {
    const report = buildUsageReport({
      ...input,
      collection: { status: 'unavailable', httpStatus: 403, message: 'Copilot Metrics API access is disabled for this organization.', since: null },
      seatHistory: [],
    });
    const text = usageSections(report).map((s) => (s.kind === 'text' ? s.markdown : s.head)).join('\n');
    expect(text).toContain('⚠️ **Usage metrics unavailable** (HTTP 403): GitHub said “Copilot Metrics API access is disabled for this organization.”');
    expect(text).toContain('- **Forecast**: cannot forecast yet: 0 days of seat history, 14 needed.');
  });

  it('is the same in the ceos/compliance check and the /copilot report reply, and absent without a report', () => {
    const usage = buildUsageReport(input);
    const check = renderComplianceCheck({ plan, planId: 'p-1', usage });
    const reply = renderCommandReply({ verb: 'report', plan, planId: 'p-1', usage });
    const section = usageSections(usage)[0]!;
    expect(section.kind === 'text' && section.markdown).toBeTruthy();
    const first = (section as { markdown: string }).markdown;
    expect(check.summary).toContain(first);
    expect(reply).toContain(first);
    // The policy sections come first, the plan footer last.
    expect(check.summary.indexOf('follows its Copilot policy')).toBeLessThan(check.summary.indexOf('### Cost and usage'));
    expect(renderComplianceCheck({ plan, planId: 'p-1' }).summary).not.toContain('Cost and usage');
    expect(renderCommandReply({ verb: 'report', plan, planId: 'p-1' })).not.toContain('Cost and usage');
  });
});
