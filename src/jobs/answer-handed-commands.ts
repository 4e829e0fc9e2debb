import { type CommandRow, listCommandsAnsweredByRun } from '../db/commands.js';
import type { Command } from '../domain/commands/command-types.js';
import type { GitHubOctokit } from '../github/github-octokit.js';
import { type CommandAnswer, type CommandReplyDeps, answerCommand, answerFromRun } from '../reporting/command-reply.js';
import type { ReconcileResult } from './reconcile-org.js';
import type { ReconcileJob } from './reconcile-queue.js';
import type { ReconcileReporter } from './reconcile-worker.js';

/** What a `/copilot plan` folded into a run that applied is told before the run's outcome. */
const APPLIED_NOTE =
  'ℹ️ This `/copilot plan` joined the reconciliation the organization already had queued, which applied its plan: below is what it changed.';

/** Whether the run changed (or tried to change) seats. */
function changedSeats(result: ReconcileResult): boolean {
  const outcome = result.outcome;
  return outcome !== null && outcome.added.length + outcome.cancelled.length + outcome.failed.length > 0;
}

/**
 * The answer to a handed `plan` or `apply` from the run that answers it. A `plan` answered by a
 * run that applied is told what was applied, not shown a dry run that did not happen.
 */
export function answerHandedCommand(row: CommandRow, result: ReconcileResult): CommandAnswer {
  const command = row.command as Command | null;
  if (command?.verb === 'plan' && changedSeats(result)) {
    const answer = answerFromRun({ ...row, command: { verb: 'apply' } }, result);
    // The reply opens with the quoted command; the note goes right after it.
    const cut = answer.body.indexOf('\n\n');
    const body = cut === -1 ? `${answer.body}\n\n${APPLIED_NOTE}` : `${answer.body.slice(0, cut)}\n\n${APPLIED_NOTE}${answer.body.slice(cut)}`;
    return { ...answer, body };
  }
  return answerFromRun(row, result);
}

/**
 * Answers every `plan` and `apply` a finished run answers (see listCommandsAnsweredByRun): the
 * commands folded into the organization's debounced reconciliation each get their own reply,
 * however many of them one run answers. A reporter of reconciliation runs: call it after every
 * run that stored a plan, whatever its trigger.
 */
export async function answerHandedCommands(
  deps: CommandReplyDeps,
  job: ReconcileJob,
  result: ReconcileResult,
  octokit: GitHubOctokit,
): Promise<number> {
  if (result.planId === null || result.plan === null) return 0;
  const applied = job.apply && result.status !== 'planned';
  const rows = await listCommandsAnsweredByRun(deps.db, { org: job.org, planId: result.planId, applied });
  for (const row of rows) await answerCommand(deps, octokit, row, answerHandedCommand(row, result));
  if (rows.length > 0) deps.log.info({ org: job.org, planId: result.planId, commands: rows.length }, 'folded commands answered');
  return rows.length;
}

/**
 * A reconciliation reporter that also answers the handed commands each run answers. The two are
 * independent: a check run that cannot be published does not keep the commenters waiting.
 */
export function withHandedCommandReplies(reporter: ReconcileReporter | undefined, deps: CommandReplyDeps): ReconcileReporter {
  return async (job, result, octokit) => {
    let failure: { error: unknown } | undefined;
    try {
      await reporter?.(job, result, octokit);
    } catch (error) {
      failure = { error };
    }
    await answerHandedCommands(deps, job, result, octokit as GitHubOctokit);
    if (failure !== undefined) throw failure.error;
  };
}
