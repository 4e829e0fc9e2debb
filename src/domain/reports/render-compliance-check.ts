import type { Plan } from '../plan-types.js';
import type { CheckRunReport } from './check-run-types.js';
import { fitSummary, type SummarySection } from './fit-summary.js';
import { plural } from './format-values.js';
import { codeSpan } from './markdown-escape.js';
import { planFooter } from './plan-footer.js';
import { planStatusLine, planTotalsSection } from './plan-sections.js';
import { violationSections } from './violation-sections.js';

/** The plan whose remaining violations the `ceos/compliance` check reports. */
export interface ComplianceCheckInput {
  /** The latest plan for the organization. */
  plan: Plan;
  /** Id of the stored plan. */
  planId?: string | null;
  /** Address of the whole report. */
  fullReportUrl?: string | null;
}

/** Renders the `ceos/compliance` check run: the ways the organization still breaks its policy. */
export function renderComplianceCheck(input: ComplianceCheckInput): CheckRunReport {
  const count = input.plan.violations.length;
  return {
    conclusion: count === 0 ? 'success' : 'failure',
    title: count === 0 ? 'No violations' : plural(count, 'violation'),
    summary: fitSummary(complianceSections(input.plan, input.planId ?? null), {
      fullReport: { planId: input.planId ?? null, url: input.fullReportUrl ?? null },
    }).markdown,
    annotations: [],
  };
}

/** The compliance report as sections, shared by the check run and the `/copilot report` reply. */
export function complianceSections(plan: Plan, planId: string | null): SummarySection[] {
  const count = plan.violations.length;
  const intro = [
    count === 0
      ? `✅ The organization ${codeSpan(plan.org)} follows its Copilot policy.`
      : `❌ The organization ${codeSpan(plan.org)} breaks its Copilot policy in ${plural(count, 'way')}.`,
  ];
  if (count > 0 && plan.mode === 'report') {
    intro.push('ℹ️ The policy is in report mode: CEOS changes no seats, so these stay until the policy is enforced or someone fixes them.');
  }
  const status = planStatusLine(plan);
  if (status !== null) intro.push(status);
  return [
    { kind: 'text', markdown: intro.join('\n\n') },
    ...violationSections(plan.violations),
    planTotalsSection(plan),
    { kind: 'text', markdown: planFooter(plan, planId) },
  ];
}
