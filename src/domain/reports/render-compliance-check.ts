import type { Plan } from '../plan-types.js';
import type { CheckRunReport } from './check-run-types.js';
import { fitSummary, type SummarySection } from './fit-summary.js';
import { plural } from './format-values.js';
import { codeSpan } from './markdown-escape.js';
import { planFooter } from './plan-footer.js';
import { planStatusLine, planTotalsSection } from './plan-sections.js';
import { heldSection, safeguardNotice } from './safeguard-sections.js';
import { type InvalidPolicy, invalidPolicySections } from './invalid-policy-sections.js';
import { policyErrorAnnotation } from './render-policy-check.js';
import type { UsageReport } from '../usage/usage-report.js';
import { usageSections } from './usage-sections.js';
import { violationSections } from './violation-sections.js';

/** The plan whose remaining violations the `ceos/compliance` check reports. */
export interface ComplianceCheckInput {
  /** The latest plan for the organization. */
  plan: Plan;
  /** Id of the stored plan. */
  planId?: string | null;
  /** Address of the whole report. */
  fullReportUrl?: string | null;
  /** The policy file when it is there but does not validate; null or absent when valid or absent. */
  invalidPolicy?: InvalidPolicy | null;
  /** The organization's cost and usage report, shown after the violations; left out when absent. */
  usage?: UsageReport | null;
}

/** Renders the `ceos/compliance` check run: the ways the organization still breaks its policy. */
export function renderComplianceCheck(input: ComplianceCheckInput): CheckRunReport {
  const invalid = input.invalidPolicy ?? null;
  if (invalid !== null && invalid.errors.length > 0) return renderInvalidCompliance(input, invalid);
  const count = input.plan.violations.length;
  const held = input.plan.safeguard?.status === 'held' || input.plan.safeguard?.status === 'confirmed' ? input.plan.safeguard.held.length : 0;
  const heldTitle = held === 0 ? '' : `; ${plural(held, 'cancellation')} held for confirmation`;
  return {
    // Seats held outside the policy until an owner confirms are not compliance yet.
    conclusion: count === 0 && held === 0 ? 'success' : 'failure',
    title: `${count === 0 ? 'No violations' : plural(count, 'violation')}${heldTitle}`,
    summary: fitSummary(complianceSections(input.plan, input.planId ?? null, null, input.usage ?? null), {
      fullReport: { planId: input.planId ?? null, url: input.fullReportUrl ?? null },
    }).markdown,
    annotations: [],
  };
}

/** The compliance report as sections, shared by the check run and the `/copilot report` reply. */
export function complianceSections(plan: Plan, planId: string | null, invalidPolicy: InvalidPolicy | null = null, usage: UsageReport | null = null): SummarySection[] {
  const usagePart = usage === null ? [] : usageSections(usage);
  if (invalidPolicy !== null && invalidPolicy.errors.length > 0) {
    // The plan was made as if there were no policy; saying "no policy" would be wrong.
    return [...invalidPolicySections(invalidPolicy), ...usagePart, { kind: 'text', markdown: planFooter(plan, planId) }];
  }
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
  const safeguard = safeguardNotice(plan, planId, 'holds');
  if (safeguard !== null) intro.push(safeguard);
  const held = heldSection(plan, 'holds');
  return [
    { kind: 'text', markdown: intro.join('\n\n') },
    ...(held === null ? [] : [held]),
    ...violationSections(plan.violations),
    planTotalsSection(plan),
    ...usagePart,
    { kind: 'text', markdown: planFooter(plan, planId) },
  ];
}

/**
 * An invalid policy file fails the check: nothing is enforced until it is fixed. Its problems
 * are listed with their lines and marked on the file at the reported commit.
 */
function renderInvalidCompliance(input: ComplianceCheckInput, invalid: InvalidPolicy): CheckRunReport {
  return {
    conclusion: 'failure',
    title: `Policy invalid: ${plural(invalid.errors.length, 'problem')}; nothing is enforced`,
    summary: fitSummary(complianceSections(input.plan, input.planId ?? null, invalid, input.usage ?? null), {
      fullReport: { planId: input.planId ?? null, url: input.fullReportUrl ?? null },
    }).markdown,
    annotations: invalid.errors.map((error) => policyErrorAnnotation(error, invalid.path)),
  };
}
