import { formatDay, plural } from '../reports/format-values.js';
import { formatLogin } from '../reports/markdown-escape.js';

/** Title of each organization's tracking issue of warned seats. */
export const WARNING_ISSUE_TITLE = 'Copilot seats due for inactivity cancellation';

/** Hidden marker that identifies CEOS's tracking issue among the repository's issues. */
export const WARNING_ISSUE_MARKER = '<!-- ceos:inactivity-warnings -->';

/** Most people one comment mentions; more are told in further comments. */
export const MENTIONS_PER_COMMENT = 50;

/** A warned seat as the tracking issue shows it. */
export interface WarnedSeatLine {
  /** Login as GitHub spells it. */
  login: string;
  /** The last activity, or the assignment when never used (ISO 8601). */
  inactiveSince: string;
  /** When they were warned (ISO 8601). */
  warnedAt: string;
  /** Day (YYYY-MM-DD) from which the seat may be cancelled. */
  dueOn: string;
}

/** The rule the issue explains. */
export interface WarningRule {
  /** Organization login. */
  org: string;
  /** `inactivity.revoke_after_days`. */
  revokeAfterDays: number;
  /** `inactivity.warn_before_days`. */
  warnBeforeDays: number;
}

const HOW_TO_KEEP =
  'To keep a seat, use GitHub Copilot before its due date (in an editor, on github.com or in the CLI): the warning ends with the next reconciliation that sees the activity. ' +
  'If you need the seat without using it, ask an organization admin for an exemption (`/copilot grant`, or `inactivity.exempt` in the policy).';

/**
 * The tracking issue's body: the rule, then a table of every warned seat in due-date order. Logins
 * are code spans, not mentions: editing the body must never notify anyone again.
 */
export function renderWarningIssueBody(rule: WarningRule | null, seats: readonly WarnedSeatLine[]): string {
  const lines = [WARNING_ISSUE_MARKER, ''];
  if (seats.length === 0) {
    lines.push(`No Copilot seats in ${rule?.org ?? 'this organization'} are due for inactivity cancellation. CEOS reopens this issue when one is.`);
    return lines.join('\n');
  }
  if (rule !== null) {
    lines.push(
      `CEOS cancels the Copilot seats of ${rule.org} that go unused for more than ${plural(rule.revokeAfterDays, 'day')}, ` +
        `and warns each holder here ${plural(rule.warnBeforeDays, 'day')} before: no seat is cancelled for inactivity before its warning is that old.`,
      '',
    );
  }
  lines.push(HOW_TO_KEEP, '', `**${plural(seats.length, 'seat')} due for cancellation**`, '', '| User | Unused since | Warned on | Cancellation due |', '| --- | --- | --- | --- |');
  const ordered = [...seats].sort((a, b) => (a.dueOn !== b.dueOn ? (a.dueOn < b.dueOn ? -1 : 1) : a.login.toLowerCase() < b.login.toLowerCase() ? -1 : 1));
  for (const s of ordered) {
    lines.push(`| ${formatLogin(s.login)} | ${formatDay(s.inactiveSince)} | ${formatDay(s.warnedAt)} | ${s.dueOn} |`);
  }
  lines.push('', 'This table is kept current by CEOS; the comments below are the warnings as they were sent.');
  return lines.join('\n');
}

/**
 * The warning comments for newly warned seats: each mentions at most MENTIONS_PER_COMMENT people,
 * each with their due date, so a large batch never hits GitHub's mention limits.
 */
export function renderWarningComments(org: string, seats: readonly WarnedSeatLine[]): { logins: string[]; body: string }[] {
  const ordered = [...seats].sort((a, b) => (a.login.toLowerCase() < b.login.toLowerCase() ? -1 : 1));
  const comments: { logins: string[]; body: string }[] = [];
  for (let i = 0; i < ordered.length; i += MENTIONS_PER_COMMENT) {
    const batch = ordered.slice(i, i + MENTIONS_PER_COMMENT);
    const lines = [
      `Your GitHub Copilot seat in ${org} has gone unused and will be cancelled for inactivity on the date shown:`,
      '',
      ...batch.map((s) => `- @${s.login}: cancellation due on ${s.dueOn} (unused since ${formatDay(s.inactiveSince)})`),
      '',
      HOW_TO_KEEP,
    ];
    comments.push({ logins: batch.map((s) => s.login), body: lines.join('\n') });
  }
  return comments;
}
