import { usdText } from '../usage/seat-cost.js';
import type { UsageReport } from '../usage/usage-report.js';
import type { SummarySection } from './fit-summary.js';
import { formatCount, plural } from './format-values.js';
import { escapeMarkdown, formatTeam } from './markdown-escape.js';
import { tableSection } from './table-section.js';

/** Teams shown in the report; the API's report has them all. */
const MAX_TEAM_ROWS = 50;

function percent(value: number | null): string {
  return value === null ? '–' : `${value} %`;
}

/**
 * The cost and usage part of the compliance report (`/copilot report`, `ceos/compliance`): seats,
 * cost, waste, usage and whether it could be collected, the forecast, recommendations with their
 * arithmetic, and teams by utilization. docs/analytics.md explains every number.
 */
export function usageSections(report: UsageReport): SummarySection[] {
  const { seats, cost, waste, usage, forecast } = report;
  const lines = [
    '### Cost and usage',
    '',
    `- **Seats**: ${formatCount(seats.held)} held, ${formatCount(seats.active)} active, ${formatCount(seats.inactive)} inactive (unused for more than ${seats.inactiveAfterDays} days): utilization ${percent(seats.percent)}.`,
    `- **Monthly cost**: ${usdText(cost.monthlyUsd)} (${escapeMarkdown(cost.arithmetic)}; ${cost.priceSource === 'policy' ? "the policy's seat price" : 'list prices: 19 USD Business, 39 USD Enterprise'}). Seat cost only: a GitHub App cannot read AI-credit usage.`,
    `- **Wasted spend**: ${usdText(waste.monthlyUsd)} a month on ${plural(waste.inactiveSeats, 'inactive seat')}${waste.inactiveSeats > 0 ? ` (${escapeMarkdown(waste.arithmetic)})` : ''}.`,
  ];
  if (report.budget.monthlyLimitUsd !== null) {
    lines.push(`- **Budget**: ${usdText(report.budget.monthlyLimitUsd)} a month; ${report.budget.status === 'over' ? 'the seats cost more ❌' : 'within it ✅'}.`);
  }
  if (report.collection.status === 'unavailable') {
    const status = report.collection.httpStatus === null ? '' : ` (HTTP ${report.collection.httpStatus})`;
    lines.push(
      `- ⚠️ **Usage metrics unavailable**${status}: GitHub said “${escapeMarkdown(report.collection.message ?? 'no message')}”. An organization owner must allow Copilot metrics (and the app its \`organization_copilot_metrics\` permission); seats and cost above come from the seat list and stay right.`,
    );
  } else if (report.collection.status === 'not_collected') {
    lines.push('- **Usage**: not collected yet for this organization.');
  }
  if (report.collection.status !== 'not_collected' || usage.daysWithData > 0) {
    const active = usage.activeUsers === null ? 'no day with data' : `${usage.activeUsers.average} active users a day on average (peak ${formatCount(usage.activeUsers.peak)})`;
    lines.push(
      `- **Usage ${usage.from} to ${usage.to}**: ${active}; ${plural(usage.daysWithData, 'day')} with data, ${plural(usage.daysNoData, 'day')} GitHub had no report for (not counted as zero), ${plural(usage.daysNotCollected, 'day')} not collected.`,
    );
  }
  if (forecast.status === 'ok') {
    const method = forecast.method === 'holt' ? "Holt's linear method" : 'least squares';
    const ahead = forecast.points.map((p) => `${p.seats} seats (${usdText(p.monthlyCostUsd)} a month) in ${p.days} days`).join(', ');
    lines.push(`- **Forecast**: ${ahead}; ${method} on ${forecast.historyDays} days of seats, backtest error ${forecast.backtest.mae} seats (MAE) over the last ${forecast.holdoutDays} days.`);
  } else {
    lines.push(`- **Forecast**: ${forecast.message}.`);
  }
  const sections: SummarySection[] = [{ kind: 'text', markdown: lines.join('\n') }];
  if (report.recommendations.length > 0) {
    sections.push({
      kind: 'text',
      markdown: ['#### Recommendations', '', ...report.recommendations.map((r, i) => `${i + 1}. ${escapeMarkdown(r.text)}: ${escapeMarkdown(r.arithmetic)}`)].join('\n'),
    });
  }
  if (report.teams.length > 0) {
    const shown = report.teams.slice(0, MAX_TEAM_ROWS);
    sections.push(
      tableSection({
        heading: `#### Teams by utilization (${report.teams.length > shown.length ? `lowest ${shown.length} of ${formatCount(report.teams.length)}` : formatCount(report.teams.length)})`,
        columns: ['Team', 'Seats', 'Active', 'Utilization', 'Monthly cost', 'Wasted'],
        rows: shown.map((t) => [formatTeam(t.slug), formatCount(t.held), formatCount(t.active), percent(t.percent), usdText(t.monthlyCostUsd), usdText(t.wastedUsd)]),
        foldLabel: `Show ${plural(shown.length, 'team')}`,
        empty: 'No team holds a seat.',
      }),
    );
  }
  return sections;
}
