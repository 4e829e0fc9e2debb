import type { Plan, PlanEntry } from '../plan-types.js';
import type { ApplyOutcome } from './apply-outcome.js';
import type { CheckConclusion } from './check-run-types.js';
import type { SummarySection } from './fit-summary.js';
import { formatCount, plural } from './format-values.js';
import { escapeMarkdown, formatLogin, shorten } from './markdown-escape.js';
import { describeChanges, describeSeatChanges, planChangeSections, planStatusLine } from './plan-sections.js';
import { heldSection, safeguardNotice } from './safeguard-sections.js';
import { tableSection } from './table-section.js';

/** The headline of a reconcile: its conclusion, a title and an opening paragraph. */
export interface ApplyHeadline {
  /** Conclusion for the `ceos/reconcile` check run. */
  conclusion: CheckConclusion;
  /** One-line title. */
  title: string;
  /** Opening markdown. */
  intro: string;
}

/** Sentence for report mode, word for word wherever CEOS declines to change seats. */
export const REPORT_MODE_NOTE = 'Nothing was changed because the policy is in report mode.';

/**
 * Says what a reconcile did: nothing (report mode, no policy, blocked, not applied),
 * everything, or part of it with failures.
 */
export function applyHeadline(plan: Plan, outcome: ApplyOutcome | null, planId: string | null = null): ApplyHeadline {
  if (plan.status === 'blocked') {
    return { conclusion: 'failure', title: 'CEOS cannot change seats', intro: planStatusLine(plan) ?? '' };
  }
  if (plan.status === 'no_policy') {
    return { conclusion: 'neutral', title: 'No policy: nothing changed', intro: planStatusLine(plan) ?? '' };
  }
  if (plan.mode === 'report') {
    return {
      conclusion: 'neutral',
      title: `Report mode: nothing changed (the plan ${describeChanges(plan)})`,
      intro: `ℹ️ ${REPORT_MODE_NOTE} In enforce mode, this plan ${describeChanges(plan)}.`,
    };
  }
  if (outcome === null) {
    return {
      conclusion: 'neutral',
      title: `Not applied yet: the plan ${describeChanges(plan)}`,
      intro: `The plan ${describeChanges(plan)}; it has not been applied yet.`,
    };
  }
  const done = describeSeatChanges(outcome.added.length, outcome.cancelled.length);
  if (outcome.failed.length > 0) {
    return {
      conclusion: 'failure',
      title: `${plural(outcome.failed.length, 'change')} failed; ${done}`,
      intro: `❌ CEOS ${done}, but ${plural(outcome.failed.length, 'change')} failed. The next reconcile tries them again.`,
    };
  }
  const held = plan.safeguard?.status === 'held' || plan.safeguard?.status === 'confirmed' ? plan.safeguard.held.length : 0;
  if (held > 0) {
    // Not a failure of the run, but not done either: an owner has to look at the held cancellations.
    return {
      conclusion: 'neutral',
      title: `${plural(held, 'cancellation')} held for confirmation; ${done}`,
      intro: `CEOS ${done}.\n\n${safeguardNotice(plan, planId, 'holds') ?? ''}`,
    };
  }
  const confirmedNote = plan.safeguard?.status === 'confirmed' ? `\n\n${safeguardNotice(plan, planId, 'holds') ?? ''}` : '';
  if (outcome.added.length === 0 && outcome.cancelled.length === 0) {
    return { conclusion: 'success', title: 'Seats already follow the policy', intro: `✅ Seats already follow the policy: nothing to change.${confirmedNote}` };
  }
  return { conclusion: 'success', title: `Seats reconciled: ${done}`, intro: `✅ CEOS ${done}.${confirmedNote}` };
}

/** Tables of what a reconcile changed and what failed; in report mode, what the plan would change. */
export function applySections(plan: Plan, outcome: ApplyOutcome | null): SummarySection[] {
  if (outcome === null) return plan.status === 'ok' ? planChangeSections(plan) : [];
  const added = byLogin(plan.toAdd);
  const cancelled = byLogin(plan.toCancel);
  const reasonOf = (index: Map<string, PlanEntry>, login: string): string =>
    escapeMarkdown(shorten(index.get(login.toLowerCase())?.reason.text ?? '', 200));

  const sections: SummarySection[] = [];
  if (outcome.failed.length > 0) {
    sections.push(
      tableSection({
        heading: `### Failed (${formatCount(outcome.failed.length)})`,
        columns: ['User', 'Change', 'Error'],
        rows: outcome.failed.map((f) => [
          formatLogin(f.login),
          f.action === 'add' ? 'add seat' : 'cancel seat',
          escapeMarkdown(shorten(f.message, 300)),
        ]),
        foldLabel: `Show ${plural(outcome.failed.length, 'failure')}`,
        empty: '',
      }),
    );
  }
  sections.push(
    tableSection({
      heading: `### Seats added (${formatCount(outcome.added.length)})`,
      columns: ['User', 'Reason'],
      rows: outcome.added.map((login) => [formatLogin(login), reasonOf(added, login)]),
      foldLabel: `Show ${plural(outcome.added.length, 'seat')} added`,
      empty: 'No seats added.',
    }),
    tableSection({
      heading: `### Seats cancelled (${formatCount(outcome.cancelled.length)})`,
      columns: ['User', 'Reason'],
      rows: outcome.cancelled.map((login) => [formatLogin(login), reasonOf(cancelled, login)]),
      foldLabel: `Show ${plural(outcome.cancelled.length, 'seat')} cancelled`,
      empty: 'No seats cancelled.',
    }),
  );
  const held = heldSection(plan, 'holds');
  if (held !== null) sections.push(held);
  return sections;
}

function byLogin(entries: readonly PlanEntry[]): Map<string, PlanEntry> {
  return new Map(entries.map((entry) => [entry.login.toLowerCase(), entry]));
}
