import { type PgBoss, fromKysely } from 'pg-boss';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { type CommandRow, markCommandWaiting } from '../db/commands.js';
import type { Database } from '../db/schema.js';
import { listSeatRequests } from '../db/seat-requests.js';
import type { Command } from '../domain/commands/command-types.js';
import { POLICY_DEFAULTS } from '../domain/policy/policy-schema.js';
import { codeSpan, escapeMarkdown, formatLogin, formatTeam, shorten } from '../domain/reports/markdown-escape.js';
import { approvalRoom, autoApproveTeam, requestVerdict } from '../domain/requests/approval-room.js';
import type { GitHubOctokit } from '../github/github-octokit.js';
import { approveSeatRequests, declineSeatRequest, recordSeatRequest, tellRequester } from '../operations/seat-requests.js';
import type { CommandAnswer } from '../reporting/command-reply.js';
import { planFromMirror } from '../reporting/command-status.js';
import { enqueueReconcile } from './reconcile-queue.js';

/** What the request verbs need. */
export interface RequestCommandDeps {
  boss: PgBoss;
  db: Kysely<Database>;
  octokit: GitHubOctokit;
  log: Logger;
}

const HOUR_MS = 3_600_000;

function header(source: string): string {
  return `> ${codeSpan(shorten(source, 300))}\n\n`;
}

function approvers(teams: readonly string[]): string {
  return teams.length === 0 ? 'organization owners' : `organization owners and members of ${teams.map(formatTeam).join(', ')}`;
}

/**
 * `/copilot request [--reason "…"]`: records a pending request, unless the policy denies the
 * commenter, they hold a seat already, or the policy grants them one. A member of a
 * `requests.auto_approve.teams` team is approved at once when the cap and the budget allow.
 */
export async function runSeatRequest(deps: RequestCommandDeps, row: CommandRow, command: Extract<Command, { verb: 'request' }>, orgLogin: string, now: Date): Promise<CommandAnswer | null> {
  const view = await planFromMirror(deps.db, row.org, orgLogin, now);
  const verdict = requestVerdict(view.input, view.plan, row.commenter);
  const head = header(row.source);
  if (verdict.kind === 'not_member') return { body: `${head}Only members of ${orgLogin} can ask for a Copilot seat here.`, status: 'refused' };
  if (verdict.kind !== 'open') return { body: `${head}Nothing was recorded: ${escapeMarkdown(verdict.text)}.`, status: 'done' };
  const [owner] = row.repository.split('/');
  const { row: request, created } = await recordSeatRequest(
    deps.db,
    { org: row.org, login: verdict.login, userId: verdict.userId, reason: command.reason, repository: row.repository, issueNumber: row.issue_number, commentId: Number(row.comment_id) },
    owner ?? orgLogin,
    now,
  );
  const team = autoApproveTeam(view.input, verdict.login);
  if (team !== null) {
    const room = approvalRoom(view.input, [{ login: verdict.login, userId: verdict.userId }], 'ceos');
    if (room.ok) {
      await deps.db.transaction().execute(async (trx) => {
        await approveSeatRequests(trx, { org: row.org, orgLogin, logins: [verdict.login], actor: 'ceos', reason: `approved automatically: member of ${team} (requests.auto_approve.teams)`, expiresAt: null, details: { commandId: row.id, requestId: request.id } }, now);
        await enqueueReconcile(deps.boss, { org: row.org, installationId: Number(row.installation_id), trigger: 'command', actor: row.commenter }, { db: fromKysely(trx) });
      });
      deps.log.info({ org: row.org, requestId: request.id, team }, 'seat request approved automatically');
      const note = view.policy?.mode === 'report' ? ' Nothing was changed because the policy is in report mode.' : ' The seat is added by the reconciliation that runs now.';
      return { body: `${head}Your request was approved automatically: you are a member of ${formatTeam(team)} (\`requests.auto_approve.teams\`).${note}`, status: 'done' };
    }
    deps.log.info({ org: row.org, requestId: request.id, problem: room.problem }, 'seat request not approved automatically');
    return {
      body: `${head}Your request is recorded and waits for an approver: it could not be approved automatically because ${escapeMarkdown(room.text)}. ${capitalize(approvers(view.policy?.commands?.teams ?? POLICY_DEFAULTS.commandTeams))} can approve it with \`/copilot approve @${verdict.login}\`.`,
      status: 'done',
    };
  }
  const teams = view.policy?.commands?.teams ?? POLICY_DEFAULTS.commandTeams;
  return {
    body: `${head}${created ? 'Your request for a Copilot seat is recorded' : 'Your pending request is updated'}${command.reason === null ? '' : ` (reason: ${escapeMarkdown(shorten(command.reason, 300))})`}. ${capitalize(approvers(teams))} can approve it with \`/copilot approve @${verdict.login}\`, or decline it.`,
    status: 'done',
  };
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/**
 * `/copilot approve @login… [--for 90d] [--reason "…"]`: refused with the numbers when the cap or
 * the budget would be broken; otherwise a grant override for each (their pending requests closed
 * as approved, the requesters told), then the reconciliation that adds the seats and answers the
 * command, as for `/copilot grant` (in report mode it changes nothing and says so).
 */
export async function runSeatApproval(deps: RequestCommandDeps, row: CommandRow, command: Extract<Command, { verb: 'approve' }>, orgLogin: string, now: Date): Promise<CommandAnswer | null> {
  const view = await planFromMirror(deps.db, row.org, orgLogin, now);
  const head = header(row.source);
  const members = new Map(view.snapshot.members.map((m) => [m.login.toLowerCase(), m]));
  const outsiders = command.logins.filter((l) => !members.has(l.toLowerCase()));
  if (outsiders.length > 0) {
    return { body: `${head}Nothing was approved: ${outsiders.map(formatLogin).join(', ')} ${outsiders.length === 1 ? 'is not a member' : 'are not members'} of ${orgLogin}.`, status: 'failed', error: 'not members' };
  }
  const people = command.logins.map((l) => ({ login: members.get(l.toLowerCase())!.login, userId: members.get(l.toLowerCase())!.id }));
  const room = approvalRoom(view.input, people, row.commenter);
  if (!room.ok) {
    deps.log.info({ org: row.org, commandId: row.id, problem: room.problem }, 'approval refused');
    const advice = room.problem === 'blocked' ? '' : ' Raise `seats.max` or the budget in the policy, or free seats first.';
    return { body: `${head}Nothing was approved: ${escapeMarkdown(room.text)}.${advice}`, status: 'failed', error: room.problem };
  }
  const expiresAt = command.duration === null ? null : new Date(now.getTime() + command.duration.hours * HOUR_MS);
  const closed = await deps.db.transaction().execute(async (trx) => {
    const closed = await approveSeatRequests(
      trx,
      { org: row.org, orgLogin, logins: people.map((p) => p.login), actor: row.commenter, reason: command.reason, expiresAt, details: { commandId: row.id, repository: row.repository, issue: row.issue_number, commentId: row.comment_id } },
      now,
    );
    await enqueueReconcile(deps.boss, { org: row.org, installationId: Number(row.installation_id), trigger: 'command', actor: row.commenter, report: { kind: 'command_reply', commandId: row.id } }, { db: fromKysely(trx) });
    await markCommandWaiting(trx, row.id, expiresAt);
    return closed;
  });
  for (const request of closed) {
    await tellRequester(deps.octokit, request, `your request for a Copilot seat was approved by @${row.commenter}${command.reason === null ? '' : `: ${shorten(command.reason, 300)}`}.`);
  }
  deps.log.info({ org: row.org, commandId: row.id, approved: people.length, requests: closed.length }, 'seats approved');
  return null;
}

/** `/copilot decline @login [--reason "…"]`: closes the person's pending request and tells them. */
export async function runSeatDecline(deps: RequestCommandDeps, row: CommandRow, command: Extract<Command, { verb: 'decline' }>, orgLogin: string, now: Date): Promise<CommandAnswer> {
  const head = header(row.source);
  const closed = await declineSeatRequest(
    deps.db,
    { org: row.org, orgLogin, login: command.login, actor: row.commenter, reason: command.reason, details: { commandId: row.id, repository: row.repository, issue: row.issue_number, commentId: row.comment_id } },
    now,
  );
  if (closed === null) return { body: `${head}${formatLogin(command.login)} has no pending seat request.`, status: 'failed', error: 'no pending request' };
  await tellRequester(deps.octokit, closed, `your request for a Copilot seat was declined by @${row.commenter}${command.reason === null ? '' : `: ${shorten(command.reason, 300)}`}.`);
  return { body: `${head}Declined the seat request of ${formatLogin(closed.login)}; they were told on the issue where they asked.`, status: 'done' };
}

/** The pending requests of an organization, for `/copilot status`. */
export async function pendingRequestLogins(db: Kysely<Database>, org: string): Promise<string[]> {
  return (await listSeatRequests(db, org, { state: 'pending', limit: 100 })).map((r) => r.login).reverse();
}
