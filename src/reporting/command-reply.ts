import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { type CommandRow, claimReplyAttempt, findCommand, finishCommand } from '../db/commands.js';
import type { Database } from '../db/schema.js';
import type { Command } from '../domain/commands/command-types.js';
import { POLICY_PATH } from '../domain/policy/policy-schema.js';
import type { ApplyOutcome } from '../domain/reports/apply-outcome.js';
import { codeSpan, shorten } from '../domain/reports/markdown-escape.js';
import { type CommandReplyInput, renderCommandReply } from '../domain/reports/render-command-reply.js';
import { commandReplyMarker, withCommandMarker } from '../domain/reports/command-reply-marker.js';
import { createIssueComment, reactToIssueComment } from '../github/comments.js';
import { findIssueCommentContaining } from '../github/find-issue-comment.js';
import type { GitHubOctokit } from '../github/github-octokit.js';
import type { ReconcileResult } from '../jobs/reconcile-org.js';
import type { ReconcileJob } from '../jobs/reconcile-queue.js';
import type { ReconcileReporter } from '../jobs/reconcile-worker.js';

/** What answering a command needs. */
export interface CommandReplyDeps {
  db: Kysely<Database>;
  log: Logger;
}

/** A reply to post for a command, and how the command ended. */
export interface CommandAnswer {
  /** Markdown of the reply comment. */
  body: string;
  /** `failed` adds 😕; `done` adds 🚀 once every command of the comment is done; `refused` adds nothing. */
  status: 'done' | 'failed' | 'refused';
  /** Why it failed, as the reply says. */
  error?: string | null;
}

/** The comment a command was written in, and its issue. */
export function commentOf(row: CommandRow): { owner: string; repo: string; issueNumber: number; commentId: number } {
  const [owner = '', repo = ''] = row.repository.split('/', 2);
  return { owner, repo, issueNumber: row.issue_number, commentId: Number(row.comment_id) };
}

/**
 * Posts a command's reply, finishes it, and reacts: 😕 at once when it failed, 🚀 when it was the
 * last command of its comment to finish and none failed. A command already finished (a retried
 * job or reconciliation run) is not answered again.
 *
 * Posting and recording that it was posted cannot happen in one transaction, so a retry must not
 * trust the record alone: the attempt is recorded before posting, the reply carries a hidden
 * marker naming the command, and an answer that finds an earlier attempt looks for that reply on
 * the issue and adopts it instead of posting a second one. The attempt is claimed against the
 * value read, so of two answers racing only one posts.
 */
export async function answerCommand(deps: CommandReplyDeps, octokit: GitHubOctokit, row: CommandRow, answer: CommandAnswer): Promise<void> {
  const current = await findCommand(deps.db, row.id);
  if (current === undefined || current.finished_at !== null) return;
  const issue = commentOf(row);
  const marker = commandReplyMarker(row.id);
  const attempted = current.reply_attempted_at === null ? null : new Date(current.reply_attempted_at);
  let replyId: number | null = null;
  if (attempted !== null) {
    // A minute's margin: GitHub's clock and ours need not agree to the second.
    replyId = await findIssueCommentContaining(octokit, issue, marker, new Date(attempted.getTime() - 60_000));
    if (replyId !== null) deps.log.info({ org: row.org, commandId: row.id, reply: replyId }, 'command reply already posted by an earlier attempt');
  }
  if (replyId === null) {
    if (!(await claimReplyAttempt(deps.db, row.id, attempted))) {
      deps.log.info({ org: row.org, commandId: row.id }, 'command reply left to the answer posting it now');
      return;
    }
    replyId = await createIssueComment(octokit, issue, withCommandMarker(answer.body, row.id));
  }
  const progress = await finishCommand(deps.db, row.id, { status: answer.status, replyCommentId: replyId, error: answer.error ?? null });
  deps.log.info({ org: row.org, commandId: row.id, commentId: issue.commentId, verb: row.verb, status: answer.status, reply: replyId }, 'command answered');
  if (!progress.finished || answer.status === 'refused') return;
  if (answer.status === 'failed') await reactToIssueComment(octokit, issue, 'confused');
  else if (progress.allFinished && !progress.anyFailed) await reactToIssueComment(octokit, issue, 'rocket');
}

/** The reply to a command that could not be carried out. */
export function renderCommandFailure(source: string, reason: string): string {
  return `> ${codeSpan(shorten(source, 300))}\n\n😕 CEOS could not carry out this command: ${reason}`;
}

// Runs that could change nothing (no policy, an invalid one, seats not assigned per user) leave
// an `apply`, `grant` or `revoke` undone; report mode is not a failure: it is what the policy asks.
const UNDONE: ReadonlySet<ReconcileResult['status']> = new Set(['blocked', 'no_policy', 'invalid_policy']);

/** The answer to a `plan`, `apply`, `grant` or `revoke` from the reconciliation run it asked for. */
export function answerFromRun(row: CommandRow, result: ReconcileResult): CommandAnswer {
  const command = row.command as Command | null;
  const plan = result.plan;
  if (command === null || plan === null) {
    return { body: renderCommandFailure(row.source, 'the reconciliation run made no plan.'), status: 'failed', error: 'no plan' };
  }
  const errors = result.policy?.errors ?? null;
  const invalidPolicy = errors !== null && errors.length > 0 ? { errors, path: POLICY_PATH, blobSha: result.policy?.sha ?? null } : null;
  const base = { source: row.source, plan, planId: result.planId, invalidPolicy };
  let input: CommandReplyInput;
  switch (command.verb) {
    case 'plan':
      return { body: renderCommandReply({ ...base, verb: 'plan' }), status: 'done' };
    case 'apply':
    case 'confirm':
      // A confirmation is carried out by an applying run; its reply says what it cancelled and what it holds again.
      input = { ...base, verb: 'apply', outcome: outcomeOf(result) };
      break;
    case 'grant':
    case 'revoke':
    case 'approve':
      // An approval is a grant override for each person; its answer says what the run did with it.
      input = {
        ...base,
        verb: command.verb === 'approve' ? 'grant' : command.verb,
        command: { logins: command.logins, duration: command.duration, reason: command.reason },
        expiresAt: row.expires_at === null ? null : new Date(row.expires_at).toISOString(),
        outcome: outcomeOf(result),
      };
      break;
    default:
      return { body: renderCommandFailure(row.source, 'this command is not answered by a reconciliation run.'), status: 'failed', error: 'unexpected verb' };
  }
  const failures = result.outcome?.failed.length ?? 0;
  const undone = UNDONE.has(result.status);
  const error = failures > 0 ? `${failures} seat changes failed` : undone ? `nothing could be changed (${result.status})` : null;
  return { body: renderCommandReply(input), status: error === null ? 'done' : 'failed', error };
}

/** What the run changed; an applied run with nothing to change changed nothing, which is an outcome too. */
function outcomeOf(result: ReconcileResult): ApplyOutcome | null {
  if (result.outcome !== null) return result.outcome;
  return result.status === 'applied' ? { added: [], cancelled: [], failed: [] } : null;
}

/**
 * Answers the command a reconciliation run was asked for (`report: { kind: 'command_reply' }`):
 * the reconciliation reporter calls it after the run.
 */
export async function replyToCommand(
  deps: CommandReplyDeps,
  job: ReconcileJob,
  result: ReconcileResult,
  octokit: GitHubOctokit,
): Promise<void> {
  if (job.report.kind !== 'command_reply') return;
  const row = await findCommand(deps.db, job.report.commandId);
  if (row === undefined || row.finished_at !== null) return;
  await answerCommand(deps, octokit, row, answerFromRun(row, result));
}

/** `replyToCommand` bound to its dependencies, in the shape the reconciliation reporter takes. */
export function createCommandReplier(deps: CommandReplyDeps): ReconcileReporter {
  return (job, result, octokit) => replyToCommand(deps, job, result, octokit as GitHubOctokit);
}

/** Why a command failed, in words for the person who gave it; internals stay in the log. */
export function failureReason(error: unknown): string {
  const status = (error as { status?: unknown } | null)?.status;
  return typeof status === 'number'
    ? `GitHub answered ${status} and it kept failing after several attempts. Try again later.`
    : "an unexpected error, which kept happening after several attempts. The details are in CEOS's log.";
}

/**
 * Tells the commenter their command failed for good (😕 and a reply saying why). The command job
 * calls it after its last attempt; the reconciliation worker should call it through
 * `failCommandRun` when the last attempt of a run that was to answer a command fails.
 */
export async function reportCommandFailure(deps: CommandReplyDeps, octokit: GitHubOctokit, row: CommandRow, error: unknown): Promise<void> {
  const reason = failureReason(error);
  try {
    await answerCommand(deps, octokit, row, { body: renderCommandFailure(row.source, reason), status: 'failed', error: reason });
  } catch (replyError) {
    deps.log.error({ err: replyError, commandId: row.id, cause: error }, 'could not report a failed command');
  }
}

/** Answers the command of a reconciliation run whose last attempt failed; other runs are ignored. */
export async function failCommandRun(deps: CommandReplyDeps, job: ReconcileJob, error: unknown, octokit: GitHubOctokit): Promise<void> {
  if (job.report.kind !== 'command_reply') return;
  const row = await findCommand(deps.db, job.report.commandId);
  if (row === undefined || row.finished_at !== null) return;
  await reportCommandFailure(deps, octokit, row, error);
}
