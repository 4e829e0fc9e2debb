import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { appendAuditEntries } from '../db/audit-log.js';
import { recordDomainEvents } from '../db/domain-events.js';
import type { Database } from '../db/schema.js';
import {
  deleteSeatWarnings,
  findWarningIssue,
  insertSeatWarnings,
  listSeatWarningRows,
  markSeatWarningsNotified,
  refreshSeatWarnings,
  saveWarningIssue,
} from '../db/seat-warnings.js';
import type { Plan, WarningClearReason } from '../domain/plan-types.js';
import type { Policy } from '../domain/policy/policy-schema.js';
import {
  WARNING_ISSUE_MARKER,
  WARNING_ISSUE_TITLE,
  type WarnedSeatLine,
  type WarningRule,
  renderWarningComments,
  renderWarningIssueBody,
} from '../domain/warnings/warning-issue-text.js';
import { createIssueComment } from '../github/comments.js';
import type { GitHubOctokit } from '../github/github-octokit.js';
import { createIssue, findMarkedIssue, updateIssue } from '../github/tracking-issue.js';

/** What settling a run's warnings needs. */
export interface InactivityWarningDeps {
  db: Kysely<Database>;
  octokit: GitHubOctokit;
  log: Logger;
  now: () => Date;
  /** The policy repository, where the tracking issue lives. */
  repository: string;
}

/** The run whose warnings are settled. */
export interface WarningRun {
  /** Organization key. */
  org: string;
  /** Organization login as GitHub spells it. */
  orgLogin: string;
  /** The validated policy the plan was made from. */
  policy: Policy;
  /** The plan, with its `inactivityWarnings`. */
  plan: Plan;
  planId: string;
  /** Logins whose seats the run did cancel: only their `cancelled` warnings end. */
  cancelled: readonly string[];
}

const CLEARED: Record<WarningClearReason, string> = {
  activity: 'the seat was used after the warning',
  cancelled: 'the seat was cancelled for inactivity',
  not_applicable: 'the inactivity rule no longer applies to the seat',
  not_due: 'the seat is no longer within the warning window',
};

/**
 * Records what a plan says about warnings (new ones, standing ones' due dates, ended ones), with
 * their audit entries and `seat.warned` domain events in one transaction, then brings the
 * tracking issue up to date. Only an enforce-mode run that applies calls this: report mode would
 * announce cancellations it never makes.
 */
export async function settleInactivityWarnings(deps: InactivityWarningDeps, run: WarningRun): Promise<void> {
  const warnings = run.plan.inactivityWarnings;
  if (warnings === undefined) return;
  const { org } = run;
  const at = deps.now();
  const cancelled = new Set(run.cancelled.map((l) => l.toLowerCase()));
  // A cancellation GitHub refused leaves the seat, and its warning with it: it is not warned twice.
  const ending = warnings.toClear.filter((c) => c.because !== 'cancelled' || cancelled.has(c.login.toLowerCase()));
  const ended = await deps.db.transaction().execute(async (trx) => {
    const ended = await deleteSeatWarnings(trx, org, ending.map((c) => c.userId));
    const because = new Map(ending.map((c) => [c.userId, c.because]));
    await insertSeatWarnings(trx, org, warnings.toWarn, run.planId);
    await refreshSeatWarnings(trx, org, warnings.warned);
    await appendAuditEntries(trx, org, [
      ...ended.map((row) => ({
        actor: 'ceos',
        actorType: 'app' as const,
        action: 'seat.warning_cleared',
        target: row.login,
        reason: CLEARED[because.get(Number(row.user_id)) ?? 'not_applicable'],
        details: { planId: run.planId, warnedAt: new Date(row.warned_at).toISOString() },
        at,
      })),
      ...warnings.toWarn.map((s) => ({
        actor: 'ceos',
        actorType: 'app' as const,
        action: 'seat.warned',
        target: s.login,
        reason: `unused ${s.inactiveDays} days; cancellation due on ${s.dueOn}`,
        details: { planId: run.planId, dueOn: s.dueOn, inactiveSince: s.inactiveSince },
        at,
      })),
    ]);
    await recordDomainEvents(
      trx,
      warnings.toWarn.map((s) => ({
        type: 'seat.warned',
        org,
        payload: {
          org: run.orgLogin,
          login: s.login,
          user_id: s.userId,
          reason: `inactive ${s.inactiveDays} days`,
          plan_id: run.planId,
          due_on: s.dueOn,
          inactive_since: s.inactiveSince,
        },
      })),
    );
    return ended;
  });
  const rule = run.policy.inactivity?.warn_before_days === undefined ? null : { org: run.orgLogin, revokeAfterDays: run.policy.inactivity.revoke_after_days, warnBeforeDays: run.policy.inactivity.warn_before_days };
  await publishWarningIssue(deps, org, run.orgLogin, rule, ended.length > 0 || warnings.toWarn.length > 0);
}

/**
 * Brings the tracking issue in line with the warnings recorded: opened (or reopened) when there
 * are any, its body the current table, one comment per batch of people not told yet, and closed
 * when none are left. Asks GitHub nothing when there is nothing new to say. `changed`: this run
 * gave or ended warnings.
 */
export async function publishWarningIssue(deps: InactivityWarningDeps, org: string, orgLogin: string, rule: WarningRule | null, changed: boolean): Promise<void> {
  const { db, octokit, log } = deps;
  const repo = { owner: orgLogin, repo: deps.repository };
  const rows = await listSeatWarningRows(db, org);
  const lines: WarnedSeatLine[] = rows.map((r) => ({ login: r.login, inactiveSince: new Date(r.inactive_since).toISOString(), warnedAt: new Date(r.warned_at).toISOString(), dueOn: r.due_on }));
  const body = renderWarningIssueBody(rule, lines);
  const state = rows.length > 0 ? 'open' : 'closed';
  let issue = await findWarningIssue(db, org);
  if (issue === undefined || issue.repository !== deps.repository) {
    // With no issue on record, GitHub is searched only when warnings changed: an issue opened by a
    // run that stopped before recording it is found and reused, never opened twice.
    if (rows.length === 0 && !changed) return;
    const found = await findMarkedIssue(octokit, repo, WARNING_ISSUE_TITLE, WARNING_ISSUE_MARKER);
    if (found === null && rows.length === 0) return;
    const number = found?.number ?? (await createIssue(octokit, repo, { title: WARNING_ISSUE_TITLE, body }));
    const written = found === null ? { state: 'open' as const, body } : { state: found.state, body: found.body };
    await saveWarningIssue(db, { org, repository: deps.repository, issue_number: number, ...written }, deps.now());
    issue = { org, repository: deps.repository, issue_number: number, ...written, updated_at: deps.now() };
    log.info({ org, issue: number, reused: found !== null }, 'inactivity warning issue opened');
  }
  if (issue.body !== body || issue.state !== state) {
    await updateIssue(octokit, repo, issue.issue_number, { body, state });
    await saveWarningIssue(db, { org, repository: deps.repository, issue_number: issue.issue_number, state, body }, deps.now());
  }
  const untold = rows.filter((r) => r.notified_at === null);
  const byLogin = new Map(untold.map((r) => [r.login.toLowerCase(), Number(r.user_id)]));
  for (const comment of renderWarningComments(orgLogin, lines.filter((l) => byLogin.has(l.login.toLowerCase())))) {
    const id = await createIssueComment(octokit, { owner: repo.owner, repo: repo.repo, issueNumber: issue.issue_number }, comment.body);
    // Marked as each comment goes out: a retry after a failure mentions only those not told yet.
    await markSeatWarningsNotified(db, org, comment.logins.map((l) => byLogin.get(l.toLowerCase())!), id, deps.now());
  }
  if (untold.length > 0 || issue.state !== state) log.info({ org, issue: issue.issue_number, warned: rows.length, told: untold.length, state }, 'inactivity warning issue updated');
}
