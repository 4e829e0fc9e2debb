import type { Plan } from '../plan-types.js';
import type { ApplyOutcome } from './apply-outcome.js';
import { applyHeadline, applySections } from './apply-sections.js';
import type { CheckRunReport } from './check-run-types.js';
import { fitSummary, type SummarySection } from './fit-summary.js';
import { planFooter } from './plan-footer.js';
import { planTotalsSection, planWarningsSection } from './plan-sections.js';

/** What a reconcile triggered by a push to the policy did. */
export interface ReconcileCheckInput {
  /** The plan computed for the pushed policy. */
  plan: Plan;
  /** Id of the stored plan. */
  planId: string;
  /** What applying it changed, or null when it was not applied (report mode, no policy, blocked). */
  outcome: ApplyOutcome | null;
  /** Address of the whole plan. */
  fullReportUrl?: string | null;
}

/** Renders the `ceos/reconcile` check run on the commit of a push. */
export function renderReconcileCheck(input: ReconcileCheckInput): CheckRunReport {
  const { plan, planId, outcome } = input;
  const headline = applyHeadline(plan, outcome, planId);
  const sections: SummarySection[] = [{ kind: 'text', markdown: headline.intro }, planTotalsSection(plan)];
  const warnings = planWarningsSection(plan.warnings);
  if (warnings !== null) sections.push(warnings);
  sections.push(...applySections(plan, outcome), { kind: 'text', markdown: planFooter(plan, planId) });
  return {
    conclusion: headline.conclusion,
    title: headline.title,
    summary: fitSummary(sections, { fullReport: { planId, url: input.fullReportUrl ?? null } }).markdown,
    annotations: [],
  };
}
