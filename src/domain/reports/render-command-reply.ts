import type { SeatOverrideCommand } from '../commands/command-types.js';
import { COMMAND_USAGE } from '../commands/command-usage.js';
import type { Plan, PlanEntry } from '../plan-types.js';
import type { UsageReport } from '../usage/usage-report.js';
import type { ApplyOutcome } from './apply-outcome.js';
import { applyHeadline, applySections, REPORT_MODE_NOTE } from './apply-sections.js';
import { fitSummary, type FullReportLink, type SummarySection } from './fit-summary.js';
import { formatCount, formatDay, formatUsd, plural } from './format-values.js';
import { codeSpan, escapeMarkdown, formatLogin, formatTeam, shorten } from './markdown-escape.js';
import { COMMAND_MARKER_ROOM } from './command-reply-marker.js';
import { type InvalidPolicy, invalidPolicySections } from './invalid-policy-sections.js';
import { ISSUE_COMMENT_LIMIT } from './markdown-size.js';
import { complianceSections } from './render-compliance-check.js';
import { planFooter } from './plan-footer.js';
import {
  budgetVerdictLine,
  capVerdictLine,
  describeChanges,
  planChangeSections,
  planStatusLine,
  planTotalsSection,
  planWarningsSection,
} from './plan-sections.js';
import { type HeldPlanSummary, heldPlanSections, safeguardNotice } from './safeguard-sections.js';
import { tableSection } from './table-section.js';
import type { UserSeatStatus } from './user-seat-status.js';

/** Fields every reply may carry. */
interface ReplyBase {
  /** The command line as written, quoted at the top of the reply. */
  source?: string;
  /** Address of the whole plan, named when the reply has to leave rows out. */
  fullReportUrl?: string | null;
  /** The policy file when it is there but does not validate (a plan, apply, grant or revoke run said so). */
  invalidPolicy?: InvalidPolicy | null;
}

/** The result of a command, ready to be rendered as a reply. */
export type CommandReplyInput = ReplyBase &
  (
    | { verb: 'help' }
    | {
        verb: 'status';
        scope: 'org';
        /** A fresh dry-run plan for the organization. */
        plan: Plan;
        /** Id of the stored plan. */
        planId: string | null;
        /** When seats were last reconciled (ISO 8601), or null if never. */
        lastReconciledAt: string | null;
        /** The newest plan awaiting an owner's confirmation, or null. */
        heldPlan?: HeldPlanSummary | null;
        /** The policy file when it is there but does not validate. */
        invalidPolicy?: InvalidPolicy | null;
        /** Logins with a pending seat request (`/copilot request`), oldest first. */
        pendingRequests?: readonly string[];
      }
    | {
        verb: 'status';
        scope: 'user';
        /** What is known about the user. */
        user: UserSeatStatus;
        /** A fresh dry-run plan, to say what the next reconcile does for them. */
        plan: Plan;
      }
    | { verb: 'plan'; /** The dry-run plan. */ plan: Plan; /** Id of the stored plan. */ planId: string | null }
    | {
        verb: 'apply';
        /** The plan that was applied (or would have been, in report mode). */
        plan: Plan;
        /** Id of the stored plan. */
        planId: string | null;
        /** What applying changed, or null when nothing was applied. */
        outcome: ApplyOutcome | null;
      }
    | {
        verb: 'grant' | 'revoke';
        /** The command as parsed. */
        command: SeatOverrideCommand;
        /** When the recorded overrides end (ISO 8601), or null for never. */
        expiresAt: string | null;
        /** The plan the overrides lead to. */
        plan: Plan;
        /** Id of the stored plan. */
        planId: string | null;
        /** What applying changed, or null when nothing was applied (report mode, or not yet). */
        outcome: ApplyOutcome | null;
      }
    | {
        verb: 'report';
        /** The latest plan. */
        plan: Plan;
        /** Id of the stored plan. */
        planId: string | null;
        /** The policy file when it is there but does not validate. */
        invalidPolicy?: InvalidPolicy | null;
        /** The organization's cost and usage report, as the `ceos/compliance` check shows it. */
        usage?: UsageReport | null;
      }
  );

/** Renders the issue-comment reply to a command, within GitHub's comment size limit. */
export function renderCommandReply(input: CommandReplyInput): string {
  const sections: SummarySection[] = [];
  if (input.source !== undefined) sections.push({ kind: 'text', markdown: `> ${codeSpan(shorten(input.source, 300))}` });
  let planId: string | null = null;
  switch (input.verb) {
    case 'help':
      sections.push({ kind: 'text', markdown: COMMAND_USAGE });
      break;
    case 'status':
      if (input.scope === 'org') {
        planId = input.planId;
        sections.push(...orgStatusSections(input.plan, input.lastReconciledAt, input.invalidPolicy ?? null), ...pendingRequestSections(input.pendingRequests ?? []), ...heldPlanSections(input.heldPlan ?? null), {
          kind: 'text',
          markdown: planFooter(input.plan, planId),
        });
      } else {
        sections.push(userStatusSection(input.user, input.plan));
      }
      break;
    case 'plan': {
      planId = input.planId;
      const { plan } = input;
      const intro = [`🔍 **Dry run**: nothing is changed. Reconciling now ${describeChanges(plan)}.`];
      if (plan.mode === 'report') intro.push('ℹ️ The policy is in report mode: CEOS will not apply this plan.');
      const invalid = input.invalidPolicy ?? null;
      const status = invalid !== null && invalid.errors.length > 0 ? null : planStatusLine(plan);
      if (status !== null) intro.push(status);
      const safeguard = safeguardNotice(plan, planId, 'would_hold');
      if (safeguard !== null) intro.push(safeguard);
      sections.push({ kind: 'text', markdown: intro.join('\n\n') });
      if (invalid !== null && invalid.errors.length > 0) sections.push(...invalidPolicySections(invalid));
      sections.push(planTotalsSection(plan));
      const warnings = planWarningsSection(plan.warnings);
      if (warnings !== null) sections.push(warnings);
      sections.push(...planChangeSections(plan), { kind: 'text', markdown: planFooter(plan, planId) });
      break;
    }
    case 'apply': {
      planId = input.planId;
      const headline = applyHeadline(input.plan, input.outcome, input.planId);
      const invalid = input.invalidPolicy ?? null;
      sections.push(
        // An invalid policy file is said to be invalid, not absent.
        ...(invalid !== null && invalid.errors.length > 0 ? invalidPolicySections(invalid) : [{ kind: 'text' as const, markdown: headline.intro }]),
        planTotalsSection(input.plan),
        ...applySections(input.plan, input.outcome),
        { kind: 'text', markdown: planFooter(input.plan, planId) },
      );
      break;
    }
    case 'grant':
    case 'revoke':
      planId = input.planId;
      sections.push(...overrideSections(input));
      break;
    case 'report':
      planId = input.planId;
      sections.push(...complianceSections(input.plan, planId, input.invalidPolicy ?? null, input.usage ?? null));
      break;
  }
  const fullReport: FullReportLink = { planId, url: input.fullReportUrl ?? null };
  // Room is kept for the marker the reply is posted with (withCommandMarker).
  return fitSummary(sections, { limit: ISSUE_COMMENT_LIMIT - COMMAND_MARKER_ROOM, fullReport }).markdown;
}

function orgStatusSections(plan: Plan, lastReconciledAt: string | null, invalidPolicy: InvalidPolicy | null): SummarySection[] {
  const invalid = invalidPolicy !== null && invalidPolicy.errors.length > 0;
  const lines = [
    `**Copilot seats in ${codeSpan(plan.org)}**: ${plural(plan.seats.before.total, 'seat')} (${formatCount(plan.seats.before.perUser)} per user, ${formatCount(plan.seats.before.viaTeam)} through teams, ${formatCount(plan.seats.before.pendingCancellation)} pending cancellation), ${formatUsd(plan.cost.beforeUsd)} a month.`,
    `- **Mode**: ${plan.mode === 'enforce' ? '`enforce`: CEOS applies its plans.' : '`report`: CEOS only plans and reports; it changes no seats.'}`,
    `- **Last reconciled**: ${lastReconciledAt === null ? 'never' : lastReconciledAt}.`,
    `- **Reconciling now** ${describeChanges(plan)}. Reply \`/copilot plan\` for the details.`,
    `- ${capVerdictLine(plan.cap)}`,
    `- ${budgetVerdictLine(plan.budget)}`,
    `- **Violations**: ${plan.violations.length === 0 ? 'none.' : `${formatCount(plan.violations.length)}. Reply \`/copilot report\` for the details.`}`,
  ];
  // An invalid policy file is planned as if absent; it must be reported as what it is.
  if (invalid) return [{ kind: 'text', markdown: lines.join('\n') }, ...invalidPolicySections(invalidPolicy)];
  const status = planStatusLine(plan);
  if (status !== null) lines.push('', status);
  return [{ kind: 'text', markdown: lines.join('\n') }];
}

function pendingRequestSections(logins: readonly string[]): SummarySection[] {
  if (logins.length === 0) return [];
  const shown = logins.slice(0, 20).map(formatLogin).join(', ');
  const more = logins.length > 20 ? ` and ${formatCount(logins.length - 20)} more` : '';
  return [{ kind: 'text', markdown: `**Seat requests**: ${plural(logins.length, 'pending request')}: ${shown}${more}. Approve with \`/copilot approve @login\` or decline with \`/copilot decline @login\`.` }];
}

function userStatusSection(user: UserSeatStatus, plan: Plan): SummarySection {
  const lines = [`**${formatLogin(user.login)}**${user.orgMember ? '' : ' is not a member of the organization.'}`, ''];
  const seat = user.seat;
  if (seat === null) {
    lines.push('- **Seat**: none.');
  } else {
    const via = seat.assigningTeamSlug === null ? 'assigned to them' : `assigned through the team ${formatTeam(seat.assigningTeamSlug)}`;
    const pending = seat.pendingCancellationDate === null ? '' : `, pending cancellation on ${formatDay(seat.pendingCancellationDate)}`;
    lines.push(`- **Seat**: held since ${formatDay(seat.createdAt)}, ${via}${pending}.`);
    const days = user.inactiveDays === null ? '' : ` (${plural(user.inactiveDays, 'day')} ago)`;
    lines.push(
      seat.lastActivityAt === null
        ? `- **Last activity**: never used${days === '' ? '' : `; assigned${days}`}.`
        : `- **Last activity**: ${formatDay(seat.lastActivityAt)}${seat.lastActivityEditor === null ? '' : ` in ${codeSpan(seat.lastActivityEditor)}`}${days}.`,
    );
  }
  lines.push(
    user.rules.length === 0
      ? '- **Policy rules**: none name them.'
      : `- **Policy rules**:\n${user.rules.map((rule) => `  - ${escapeMarkdown(rule)}`).join('\n')}`,
  );
  if (user.overrides.length > 0) {
    lines.push(
      `- **Overrides**:\n${user.overrides
        .map(
          (o) =>
            `  - ${o.kind} by ${formatLogin(o.actor)}, ${o.expiresAt === null ? 'until removed' : `until ${formatDay(o.expiresAt)}`}: ${escapeMarkdown(shorten(o.reason, 300))}`,
        )
        .join('\n')}`,
    );
  }
  if (user.warning !== null) {
    const given = user.warning.warnedAt === plan.computedAt ? 'would be warned now' : `warned on ${formatDay(user.warning.warnedAt)}`;
    lines.push(`- **Inactivity warning**: ${given}; the seat is cancelled on ${user.warning.dueOn} unless it is used before.`);
  }
  lines.push(`- **Reconciling now**: ${plannedFor(plan, user.login)}`);
  return { kind: 'text', markdown: lines.join('\n') };
}

const PLANNED: readonly [keyof Pick<Plan, 'toAdd' | 'toCancel' | 'leftAlone' | 'notAdded'>, string][] = [
  ['toAdd', 'adds a seat'],
  ['toCancel', 'cancels the seat'],
  ['leftAlone', 'leaves the seat as it is'],
  ['notAdded', 'does not add a seat'],
];

function plannedFor(plan: Plan, login: string): string {
  const key = login.toLowerCase();
  for (const [list, action] of PLANNED) {
    const entry: PlanEntry | undefined = plan[list].find((e) => e.login.toLowerCase() === key);
    if (entry !== undefined) return `${action}: ${escapeMarkdown(shorten(entry.reason.text, 300))}`;
  }
  return 'changes nothing for them.';
}

function overrideSections(input: Extract<CommandReplyInput, { verb: 'grant' | 'revoke' }>): SummarySection[] {
  const { command, plan, outcome } = input;
  const who = command.logins.map(formatLogin).join(', ');
  const until =
    input.expiresAt !== null
      ? ` until ${formatDay(input.expiresAt)}${command.duration === null ? '' : ` (${command.duration.text})`}`
      : command.duration !== null
        ? ` for ${command.duration.text}`
        : ' until it is removed';
  const reason = command.reason === null ? '' : ` Reason: ${escapeMarkdown(command.reason)}`;
  const recorded = `✅ Recorded a **${input.verb}** override for ${who}${until}.${reason}`;

  const headline = plan.mode === 'report' ? `ℹ️ ${REPORT_MODE_NOTE} This is the plan the override leads to: it ${describeChanges(plan)}.` : applyHeadline(plan, outcome, input.planId).intro;
  const sections: SummarySection[] = [
    { kind: 'text', markdown: `${recorded}\n\n${headline}` },
    tableSection({
      heading: `### ${command.logins.length === 1 ? 'For this user' : 'For these users'}`,
      columns: ['User', 'Reconciling now'],
      rows: command.logins.map((login) => [formatLogin(login), plannedFor(plan, login)]),
      foldLabel: `Show ${plural(command.logins.length, 'user')}`,
      empty: '',
    }),
    planTotalsSection(plan),
    ...(plan.mode === 'report' ? planChangeSections(plan) : applySections(plan, outcome)),
    { kind: 'text', markdown: planFooter(plan, input.planId) },
  ];
  return sections;
}
