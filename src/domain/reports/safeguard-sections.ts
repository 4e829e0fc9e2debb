import type { Plan, PlanEntry, SafeguardVerdict } from '../plan-types.js';
import type { SummarySection } from './fit-summary.js';
import { formatCount, plural } from './format-values.js';
import { codeSpan, escapeMarkdown, formatLogin, shorten } from './markdown-escape.js';
import { tableSection } from './table-section.js';

/** A stored plan whose cancellations wait for an owner's confirmation, as status replies show it. */
export interface HeldPlanSummary {
  /** Plan id, for `/copilot confirm <id>`. */
  id: string;
  /** When it was made (ISO 8601). */
  createdAt: string;
  /** The cancellations it holds. */
  held: PlanEntry[];
  /** The safeguard's limit then. */
  limit: number;
}

/** The status lines and table of the newest held plan; empty when there is none. */
export function heldPlanSections(heldPlan: HeldPlanSummary | null): SummarySection[] {
  if (heldPlan === null) return [];
  return [
    {
      kind: 'text',
      markdown: `⏸️ **Awaiting confirmation**: plan ${codeSpan(heldPlan.id)} of ${heldPlan.createdAt} holds ${plural(heldPlan.held.length, 'cancellation')}, more than the safeguard's limit of ${formatCount(heldPlan.limit)}. Nothing is cancelled until an organization owner replies ${confirmCommand(heldPlan.id)}; CEOS then plans again and cancels only the held seats that are still due.`,
    },
    tableSection({
      heading: `### Held cancellations (${formatCount(heldPlan.held.length)})`,
      columns: ['User', 'Reason'],
      rows: heldPlan.held.map((entry) => [formatLogin(entry.login), escapeMarkdown(shorten(entry.reason.text, 200))]),
      foldLabel: `Show ${plural(heldPlan.held.length, 'held cancellation')}`,
      empty: '',
    }),
  ];
}

/** How the plan's held cancellations read: a dry run would hold them; a stored plan holds them. */
export type SafeguardTense = 'would_hold' | 'holds';

function limitText(verdict: SafeguardVerdict): string {
  const setting = typeof verdict.setting === 'number' ? `${formatCount(verdict.setting)} seats` : `${verdict.setting} of ${plural(verdict.seatsHeld, 'seat')} held`;
  return `the safeguard allows ${formatCount(verdict.limit)} (\`safeguards.max_cancellations\`: ${escapeMarkdown(setting)}, never fewer than 10)`;
}

/** `/copilot confirm <id>`, or the bare command when the plan has no id yet. */
function confirmCommand(planId: string | null): string {
  return codeSpan(planId === null ? '/copilot confirm' : `/copilot confirm ${planId}`);
}

/**
 * One paragraph on the mass-cancellation safeguard when it holds cancellations or carries out a
 * confirmation; null otherwise.
 */
export function safeguardNotice(plan: Plan, planId: string | null, tense: SafeguardTense): string | null {
  const verdict = plan.safeguard;
  if (verdict === undefined) return null;
  const held = verdict.held.length;
  if (verdict.status === 'confirmed') {
    const by = verdict.confirmedBy === null ? 'an organization owner' : formatLogin(verdict.confirmedBy);
    const again =
      held === 0
        ? ''
        : ` ${plural(held, 'cancellation')} that plan did not hold ${held === 1 ? 'is' : 'are'} held again: an organization owner confirms ${held === 1 ? 'it' : 'them'} with ${confirmCommand(planId)}.`;
    return `☑️ **Confirmed by ${by}**: this plan carries out the confirmation of plan ${codeSpan(verdict.confirmedPlanId ?? '?')}, cancelling only the seats it held that are still due.${again}`;
  }
  if (verdict.status !== 'held' || held === 0) return null;
  const subject = tense === 'holds' ? 'This plan cancels' : 'Applying this plan would cancel';
  const consequence =
    tense === 'holds'
      ? `so **every cancellation is held**: its adds are applied, and no seat is cancelled until an organization owner replies ${confirmCommand(planId)}.`
      : 'so **every cancellation would be held** for an organization owner\'s confirmation (`/copilot confirm`); its adds would be applied.';
  return `⏸️ **Held for confirmation**: ${subject} ${plural(verdict.cancellations, 'seat')}, more than ${limitText(verdict)}, ${consequence}`;
}

/** The table of cancellations held for confirmation; null when none are. */
export function heldSection(plan: Plan, tense: SafeguardTense): SummarySection | null {
  const held = plan.safeguard?.held ?? [];
  if (held.length === 0) return null;
  return tableSection({
    heading: `### Cancellations ${tense === 'holds' ? 'held' : 'that would be held'} for confirmation (${formatCount(held.length)})`,
    columns: ['User', 'Reason'],
    rows: held.map((entry) => [formatLogin(entry.login), escapeMarkdown(shorten(entry.reason.text, 200))]),
    foldLabel: `Show ${plural(held.length, 'held cancellation')}`,
    empty: '',
  });
}
