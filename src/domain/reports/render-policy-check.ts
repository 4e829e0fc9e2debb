import type { Plan } from '../plan-types.js';
import { safeguardNotice } from './safeguard-sections.js';
import type { PolicyError } from '../policy/parse-policy.js';
import { POLICY_PATH } from '../policy/policy-schema.js';
import type { CheckAnnotation, CheckRunReport } from './check-run-types.js';
import { fitSummary, type SummarySection } from './fit-summary.js';
import { formatCount, plural } from './format-values.js';
import { codeSpan, escapeMarkdown, shorten } from './markdown-escape.js';
import {
  breaksLimits,
  describeChanges,
  planChangeSections,
  planStatusLine,
  planTotalsSection,
  planWarningsSection,
} from './plan-sections.js';
import { planFooter } from './plan-footer.js';
import { tableSection } from './table-section.js';
import { violationSections } from './violation-sections.js';

/** What the `ceos/policy` check found in a pull request to the organization's `.github` repository. */
export type PolicyCheckInput =
  | {
      /** The pull request's policy file does not parse or validate. */
      state: 'invalid';
      /** Every problem found, located in the file. */
      errors: readonly PolicyError[];
      /** Path of the policy file, for annotations; `.github/copilot-policy.yml` unless told. */
      policyPath?: string;
    }
  | {
      /** The pull request does not change the policy file. */
      state: 'unchanged';
      /** Path of the policy file; `.github/copilot-policy.yml` unless told. */
      policyPath?: string;
    }
  | {
      /** The policy is valid; `plan` is what it would do once merged. */
      state: 'valid';
      /** The dry-run plan computed with the pull request's policy. */
      plan: Plan;
      /** Id of the stored plan, where the whole plan can be read. */
      planId?: string | null;
      /** Address of the whole plan. */
      fullReportUrl?: string | null;
    };

// GitHub caps an annotation message at 64 KB; a policy error is a sentence, so this only guards.
const MAX_ANNOTATION_MESSAGE_CHARS = 4_000;
const MAX_ANNOTATION_TITLE_CHARS = 255;

/** Renders the `ceos/policy` check run for a pull request that touches the policy. */
export function renderPolicyCheck(input: PolicyCheckInput): CheckRunReport {
  switch (input.state) {
    case 'invalid':
      return renderInvalid(input.errors, input.policyPath ?? POLICY_PATH);
    case 'unchanged':
      return {
        conclusion: 'neutral',
        title: 'Policy unchanged',
        summary: `This pull request does not change ${codeSpan(input.policyPath ?? POLICY_PATH)}: there is no new plan to check.`,
        annotations: [],
      };
    case 'valid':
      return renderValid(input.plan, input.planId ?? null, input.fullReportUrl ?? null);
  }
}

/** Turns a policy error into an annotation on the policy file. */
export function policyErrorAnnotation(error: PolicyError, policyPath: string): CheckAnnotation {
  const startLine = Math.max(1, error.line);
  const endLine = Math.max(startLine, error.endLine ?? startLine);
  const annotation: CheckAnnotation = {
    path: policyPath,
    start_line: startLine,
    end_line: endLine,
    annotation_level: 'failure',
    message: shorten(error.message, MAX_ANNOTATION_MESSAGE_CHARS),
    title: shorten(error.path === '' ? 'Invalid policy' : `Invalid policy: ${error.path}`, MAX_ANNOTATION_TITLE_CHARS),
  };
  // The Checks API refuses columns on an annotation that spans several lines.
  if (endLine === startLine) {
    const startColumn = Math.max(1, error.column);
    annotation.start_column = startColumn;
    // PolicyError's end column is just after the problem; the API's is the last column of it.
    annotation.end_column = Math.max(startColumn, (error.endColumn ?? startColumn + 1) - 1);
  }
  return annotation;
}

/** The table of a policy file's problems, one row per error, for check-run summaries. */
export function policyProblemsTable(errors: readonly PolicyError[]): SummarySection {
  return tableSection({
    heading: '### Problems',
    columns: ['Line', 'Key', 'Problem'],
    rows: errors.map((e) => [String(e.line), e.path === '' ? '' : codeSpan(e.path), escapeMarkdown(shorten(e.message, 500))]),
    foldLabel: `Show ${plural(errors.length, 'problem')}`,
    empty: '',
  });
}

function renderInvalid(errors: readonly PolicyError[], policyPath: string): CheckRunReport {
  const intro: SummarySection = {
    kind: 'text',
    markdown: `❌ ${codeSpan(policyPath)} is not a valid policy: ${plural(errors.length, 'problem')} to fix before merging. Each one is also marked on the file in **Files changed**.`,
  };
  const table = policyProblemsTable(errors);
  return {
    conclusion: 'failure',
    title: `Policy invalid: ${plural(errors.length, 'problem')}`,
    summary: fitSummary([intro, table]).markdown,
    annotations: errors.map((error) => policyErrorAnnotation(error, policyPath)),
  };
}

function renderValid(plan: Plan, planId: string | null, fullReportUrl: string | null): CheckRunReport {
  const failing = breaksLimits(plan);
  const intro = [
    plan.mode === 'enforce'
      ? `✅ The policy is valid. Once merged, CEOS applies this plan to ${codeSpan(plan.org)}: it ${describeChanges(plan)}.`
      : `✅ The policy is valid. It is in **report mode**: once merged, CEOS changes no seats. This is the plan enforce mode would apply: it ${describeChanges(plan)}.`,
  ];
  const status = planStatusLine(plan);
  if (status !== null) intro.push(status);
  if (failing) intro.push('❌ **This policy leaves the organization over its limits**: raise `seats.max` or `budget.monthly_limit_usd`, or grant fewer seats.');
  const safeguard = safeguardNotice(plan, null, 'would_hold');
  if (safeguard !== null) intro.push(safeguard);

  const sections: SummarySection[] = [{ kind: 'text', markdown: intro.join('\n\n') }, planTotalsSection(plan)];
  const warnings = planWarningsSection(plan.warnings);
  if (warnings !== null) sections.push(warnings);
  sections.push(...planChangeSections(plan));
  if (plan.violations.length > 0) {
    sections.push({ kind: 'text', markdown: `## Violations left after the plan (${formatCount(plan.violations.length)})` });
    sections.push(...violationSections(plan.violations));
  }
  sections.push({ kind: 'text', markdown: planFooter(plan, planId) });

  return {
    conclusion: plan.status === 'no_policy' ? 'neutral' : failing ? 'failure' : 'success',
    title: titleFor(plan),
    summary: fitSummary(sections, { fullReport: { planId, url: fullReportUrl } }).markdown,
    annotations: [],
  };
}

function titleFor(plan: Plan): string {
  const over = [plan.cap.status === 'over' ? 'the seat cap' : null, plan.budget.status === 'over' ? 'the budget' : null].filter(
    (x) => x !== null,
  );
  if (over.length > 0) return `Plan goes over ${over.join(' and ')}`;
  if (plan.status === 'no_policy') return 'No policy';
  const held = plan.safeguard?.status === 'held' ? `; ${plural(plan.safeguard.held.length, 'cancellation')} would be held for confirmation` : '';
  return `Policy valid: ${describeChanges(plan)}${held}`;
}

/** A pushed policy that does not validate: nothing changes until it is fixed; each problem is annotated. */
export function renderInvalidPushedPolicy(errors: readonly PolicyError[], policyPath: string, plan: Plan, planId: string): CheckRunReport {
  const intro = `❌ ${codeSpan(policyPath)} is not a valid policy: ${plural(errors.length, 'problem')}. CEOS changed no seats, and changes none until the policy is fixed. Each problem is also marked on the file.`;
  const table = policyProblemsTable(errors);
  return {
    conclusion: 'failure',
    title: `Policy invalid: ${plural(errors.length, 'problem')}; nothing changed`,
    summary: fitSummary([{ kind: 'text', markdown: intro }, table, { kind: 'text', markdown: planFooter(plan, planId) }], {
      fullReport: { planId },
    }).markdown,
    annotations: errors.map((error) => policyErrorAnnotation(error, policyPath)),
  };
}
