import type { BudgetVerdict, CapVerdict, Plan, PlanEntry, PlanWarning } from '../plan-types.js';
import type { SummarySection } from './fit-summary.js';
import { formatCount, formatUsd, plural } from './format-values.js';
import { escapeMarkdown, formatLogin, shorten } from './markdown-escape.js';
import { heldSection, type SafeguardTense } from './safeguard-sections.js';
import { tableSection } from './table-section.js';

/** Longest reason shown in a table cell; the stored plan keeps the whole sentence. */
const MAX_REASON_CHARS = 200;

/** Whether the plan leaves the organization above its seat cap or its monthly budget. */
export function breaksLimits(plan: Plan): boolean {
  return plan.cap.status === 'over' || plan.budget.status === 'over';
}

/** `adds 3 seats and cancels 1 seat`, for titles and opening sentences. */
export function describeChanges(plan: Plan): string {
  return describeSeatChanges(plan.toAdd.length, plan.toCancel.length, ['adds', 'cancels', 'changes no seats']);
}

/** `added 3 seats and cancelled 1 seat`, or the given words in another tense. */
export function describeSeatChanges(
  added: number,
  cancelled: number,
  words: readonly [add: string, cancel: string, none: string] = ['added', 'cancelled', 'changed no seats'],
): string {
  const parts = [
    added > 0 ? `${words[0]} ${plural(added, 'seat')}` : null,
    cancelled > 0 ? `${words[1]} ${plural(cancelled, 'seat')}` : null,
  ].filter((part) => part !== null);
  return parts.length === 0 ? words[2] : parts.join(' and ');
}

/** Seats and monthly cost before and after the plan, and the cap and budget verdicts. */
export function planTotalsSection(plan: Plan): SummarySection {
  const { before, after } = plan.seats;
  const lines = [
    '| | Before | After |',
    '|---|---:|---:|',
    `| Seats | ${formatCount(before.total)} | ${formatCount(after.total)} |`,
    `| Assigned per user | ${formatCount(before.perUser)} | ${formatCount(after.perUser)} |`,
    `| Assigned through a team | ${formatCount(before.viaTeam)} | ${formatCount(after.viaTeam)} |`,
    `| Pending cancellation | ${formatCount(before.pendingCancellation)} | ${formatCount(after.pendingCancellation)} |`,
    `| Monthly cost | ${formatUsd(plan.cost.beforeUsd)} | ${formatUsd(plan.cost.afterUsd)} |`,
    '',
    `- ${capVerdictLine(plan.cap)}`,
    `- ${budgetVerdictLine(plan.budget)}`,
  ];
  return { kind: 'text', markdown: lines.join('\n') };
}

/** One sentence on the seat cap after the plan. */
export function capVerdictLine(cap: CapVerdict): string {
  const notAdded =
    cap.notAddedCount > 0 ? ` ${plural(cap.notAddedCount, 'person', 'people')} who should hold a seat ${cap.notAddedCount === 1 ? 'is' : 'are'} not added.` : '';
  switch (cap.status) {
    case 'none':
      return `**Seat cap**: none set (${plural(cap.seatsAfter, 'seat')} after the plan).`;
    case 'within':
      return `**Seat cap**: ${formatCount(cap.seatsAfter)} of ${formatCount(cap.max ?? 0)} seats after the plan, within the cap.${notAdded}`;
    case 'reached':
      return `**Seat cap**: ${formatCount(cap.seatsAfter)} of ${formatCount(cap.max ?? 0)} seats after the plan: the cap is reached.${notAdded}`;
    case 'over':
      return `❌ **Seat cap**: ${plural(cap.seatsAfter, 'seat')} after the plan, ${formatCount(cap.seatsAfter - (cap.max ?? 0))} over the cap of ${formatCount(cap.max ?? 0)}.${notAdded}`;
  }
}

/** One sentence on the monthly budget after the plan. */
export function budgetVerdictLine(budget: BudgetVerdict): string {
  switch (budget.status) {
    case 'none':
      return `**Budget**: no monthly limit set (${formatUsd(budget.costAfterUsd)} a month after the plan).`;
    case 'within':
      return `**Budget**: ${formatUsd(budget.costAfterUsd)} of ${formatUsd(budget.monthlyLimitUsd ?? 0)} a month after the plan, within the budget.`;
    case 'over':
      return `❌ **Budget**: ${formatUsd(budget.costAfterUsd)} a month after the plan, ${formatUsd(budget.overByUsd)} over the monthly budget of ${formatUsd(budget.monthlyLimitUsd ?? 0)}.`;
  }
}

/** Why the plan changes nothing, when it cannot (no policy, or seat management not per user); else null. */
export function planStatusLine(plan: Plan): string | null {
  if (plan.status === 'no_policy') return '**No policy**: the organization has no policy file, so CEOS changes no seats.';
  if (plan.status === 'blocked') {
    return `⚠️ **CEOS cannot change seats in this organization**: ${escapeMarkdown(plan.blocked?.reason ?? 'seat management is not set to selected users')}`;
  }
  return null;
}

/** Tables of the people the plan adds, cancels (or holds for confirmation), leaves alone and does not add. */
export function planChangeSections(plan: Plan, tense: SafeguardTense = 'would_hold'): SummarySection[] {
  const sections = [
    entryTable('Seats to add', 'seats to add', plan.toAdd, 'No seats to add.'),
    entryTable('Seats to cancel', 'seats to cancel', plan.toCancel, 'No seats to cancel.'),
  ];
  const held = heldSection(plan, tense);
  if (held !== null) sections.push(held);
  if (plan.leftAlone.length > 0) {
    sections.push(entryTable('Left as they are', 'seats left as they are', plan.leftAlone, ''));
  }
  if (plan.notAdded.length > 0) {
    sections.push(entryTable('Not added', 'people not added', plan.notAdded, ''));
  }
  return sections;
}

/** Likely mistakes in the policy, such as teams that do not exist; null when there are none. */
export function planWarningsSection(warnings: readonly PlanWarning[]): SummarySection | null {
  if (warnings.length === 0) return null;
  const lines = warnings.map((w) => `- ⚠️ ${escapeMarkdown(w.text)}`);
  return { kind: 'text', markdown: `### Warnings\n\n${lines.join('\n')}` };
}

function entryTable(title: string, what: string, entries: readonly PlanEntry[], empty: string): SummarySection {
  return tableSection({
    heading: `### ${title} (${formatCount(entries.length)})`,
    columns: ['User', 'Reason'],
    rows: entries.map((entry) => [formatLogin(entry.login), escapeMarkdown(shorten(entry.reason.text, MAX_REASON_CHARS))]),
    foldLabel: `Show ${formatCount(entries.length)} ${what}`,
    empty,
  });
}
