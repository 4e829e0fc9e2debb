import type { Kysely } from 'kysely';
import { logJobFailures } from './log-job-failures.js';
import { type JobWithMetadata, type PgBoss, fromKysely } from 'pg-boss';
import type { Logger } from 'pino';
import type { Probot } from 'probot';
import { type CommandRow, finishCommand, lastReconciledAt, listCommentCommands, markCommandHanded, markCommandWaiting } from '../db/commands.js';
import { findInstallation } from '../db/installations.js';
import { readStoredPolicy } from '../db/policies.js';
import type { Database } from '../db/schema.js';
import type { Command } from '../domain/commands/command-types.js';
import { POLICY_DEFAULTS } from '../domain/policy/policy-schema.js';
import { renderCommandReply } from '../domain/reports/render-command-reply.js';
import { renderRefusal } from '../domain/reports/render-refusal.js';
import { renderUsage } from '../domain/reports/render-usage.js';
import { runWithinDeadline } from '../engine/run-within-deadline.js';
import { createIssueComment } from '../github/comments.js';
import type { GitHubOctokit } from '../github/github-octokit.js';
import { grantSeats, revokeSeats } from '../operations/seat-overrides.js';
import { fetchOrgRole } from '../operations/command-permission.js';
import { confirmPlan } from '../operations/confirm-plan.js';
import { appendAudit } from '../db/audit-log.js';
import { renderConfirmAnswer, renderConfirmRefusal } from '../domain/reports/render-confirm-reply.js';
import { COMMAND_QUEUE, commandJobSchema } from './command-queue.js';
import { type CommandAnswer, answerCommand, commentOf, renderCommandFailure, reportCommandFailure } from '../reporting/command-reply.js';
import { describeUserSeat, planFromMirror } from '../reporting/command-status.js';
import { loadOrgUsageReport } from '../reporting/org-usage-report.js';
import { foldIntoDebouncedReconcile } from './debounced-reconcile.js';
import { enqueueReconcile } from './reconcile-queue.js';
import { pendingRequestLogins, runSeatApproval, runSeatDecline, runSeatRequest } from './seat-request-commands.js';

/** What the command worker needs. */
export interface CommandWorkerDeps {
  boss: PgBoss;
  db: Kysely<Database>;
  probot: Probot;
  log: Logger;
  now?: () => Date;
}

/** What running a comment's commands needs. */
export interface CommandRunDeps {
  boss: PgBoss;
  db: Kysely<Database>;
  octokit: GitHubOctokit;
  log: Logger;
  now: () => Date;
}

const HOUR_MS = 3_600_000;

/**
 * Starts the worker that carries out `/copilot` comments. A job that fails is retried; when its
 * last attempt fails too, each command still unanswered gets a 😕 reply saying so.
 */
export async function startCommandWorker(deps: CommandWorkerDeps): Promise<void> {
  const now = deps.now ?? (() => new Date());
  // Under its job's deadline: the commands' GitHub requests carry job.signal.
  const handle = runWithinDeadline(deps.boss, COMMAND_QUEUE, deps.log, async ([job]: JobWithMetadata[]) => {
    const parsed = commandJobSchema.safeParse(job!.data);
    if (!parsed.success) {
      // A malformed job can never succeed: say why and let it go to the dead-letter queue.
      throw new Error(`invalid command job: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    }
    const rows = await listCommentCommands(deps.db, parsed.data.commentId);
    const first = rows[0];
    if (first === undefined) return { commands: 0 };
    const log = deps.log.child({ org: first.org, commentId: first.comment_id, job: job!.id });
    const octokit = (await deps.probot.auth(Number(first.installation_id))) as GitHubOctokit;
    const run: CommandRunDeps = { boss: deps.boss, db: deps.db, octokit, log, now };
    try {
      await runCommentCommands(run, rows);
    } catch (error) {
      if (job!.retryCount >= job!.retryLimit) await failUnanswered(run, parsed.data.commentId, error);
      throw error;
    }
    return { commands: rows.length };
  });
  await deps.boss.work(COMMAND_QUEUE, { batchSize: 1, localConcurrency: 2, includeMetadata: true }, logJobFailures(COMMAND_QUEUE, { log: deps.log }, handle));
}

/**
 * Carries out a comment's commands in line order. Commands already answered, or handed to a
 * reconciliation run, are skipped, so a retried job picks up where the last attempt stopped.
 */
export async function runCommentCommands(deps: CommandRunDeps, rows: readonly CommandRow[]): Promise<void> {
  const pending = rows.filter((r) => r.finished_at === null);
  const refused = pending.filter((r) => r.status === 'refused');
  if (refused.length > 0) {
    await answerRefusal(deps, refused);
    return;
  }
  // The note about lines past the limit goes first: the last command to finish then sees the
  // whole comment finished and adds the 🚀.
  const skipped = pending.filter((r) => r.status === 'skipped');
  if (skipped.length > 0) await answerSkipped(deps, skipped);
  for (const row of pending) {
    if (row.status !== 'queued') continue;
    const answer = await runCommand(deps, row);
    if (answer !== null) await answerCommand(deps, deps.octokit, row, answer);
  }
}

/** One refusal per comment, however many commands it holds; no reaction, nothing else happens. */
async function answerRefusal(deps: CommandRunDeps, rows: readonly CommandRow[]): Promise<void> {
  const first = rows[0]!;
  const policy = (await readStoredPolicy(deps.db, first.org))?.policy ?? null;
  const body = renderRefusal({ login: first.commenter, commandTeams: policy?.commands?.teams ?? POLICY_DEFAULTS.commandTeams });
  const replyId = await createIssueComment(deps.octokit, commentOf(first), body);
  for (const row of rows) await finishCommand(deps.db, row.id, { status: 'refused', replyCommentId: replyId, error: null });
  deps.log.info({ org: first.org, commenter: first.commenter, reply: replyId }, 'command refused');
}

/**
 * One note for a comment's lines past the limit (recorded by the handler as one `skipped` row
 * whose text is the note); they are not acted on.
 */
async function answerSkipped(deps: CommandRunDeps, skipped: readonly CommandRow[]): Promise<void> {
  for (const row of skipped) {
    const replyId = await createIssueComment(deps.octokit, commentOf(row), row.usage_error ?? 'Some `/copilot` lines of this comment were not acted on.');
    await finishCommand(deps.db, row.id, { status: 'skipped', replyCommentId: replyId, error: null });
    deps.log.info({ org: row.org, commentId: row.comment_id, reply: replyId }, 'command lines past the limit skipped');
  }
}

/**
 * Runs one command. Returns its answer, or null when a reconciliation run was asked for and
 * will answer it (`plan`, `apply`, `grant`, `revoke`).
 */
async function runCommand(deps: CommandRunDeps, row: CommandRow): Promise<CommandAnswer | null> {
  const command = row.command as Command | null;
  if (command === null) {
    return { body: renderUsage(row.usage_error ?? 'This command could not be understood.', row.source), status: 'failed', error: 'not understood' };
  }
  const installation = await findInstallation(deps.db, row.installation_id);
  if (installation === undefined || installation.status !== 'active') {
    return { body: renderCommandFailure(row.source, 'CEOS no longer manages this organization.'), status: 'failed', error: 'installation not active' };
  }
  const now = deps.now();
  switch (command.verb) {
    case 'help':
      return { body: renderCommandReply({ verb: 'help', source: row.source }), status: 'done' };
    case 'status': {
      const view = await planFromMirror(deps.db, row.org, installation.account_login, now);
      if (command.login === null) {
        const last = await lastReconciledAt(deps.db, row.org);
        return {
          body: renderCommandReply({
            verb: 'status',
            scope: 'org',
            source: row.source,
            plan: view.plan,
            planId: null,
            lastReconciledAt: last === null ? null : last.toISOString(),
            heldPlan: view.heldPlan,
            invalidPolicy: view.invalidPolicy,
            pendingRequests: await pendingRequestLogins(deps.db, row.org),
          }),
          status: 'done',
        };
      }
      const user = describeUserSeat(view, command.login, now);
      return { body: renderCommandReply({ verb: 'status', scope: 'user', source: row.source, user, plan: view.plan }), status: 'done' };
    }
    case 'report': {
      const view = await planFromMirror(deps.db, row.org, installation.account_login, now);
      // The same cost and usage section as the ceos/compliance check run.
      const usage = await loadOrgUsageReport(deps.db, row.org, installation.account_login, now, view.policy);
      return { body: renderCommandReply({ verb: 'report', source: row.source, plan: view.plan, planId: null, invalidPolicy: view.invalidPolicy, usage }), status: 'done' };
    }
    case 'plan':
    case 'apply':
    case 'grant':
    case 'revoke':
      await handToReconciliation(deps, row, command, now);
      return null;
    case 'confirm':
      return confirmHeldPlan(deps, row, command.planId, installation.account_login, now);
    case 'request':
      return runSeatRequest(deps, row, command, installation.account_login, now);
    case 'approve':
      return runSeatApproval(deps, row, command, installation.account_login, now);
    case 'decline':
      return runSeatDecline(deps, row, command, installation.account_login, now);
  }
}

/**
 * `/copilot confirm [plan id]`: only an organization owner, as GitHub says at this moment, may let
 * a held plan's cancellations through; a member of the command teams gets a polite refusal. The
 * run that carries the confirmation out answers the command.
 */
async function confirmHeldPlan(deps: CommandRunDeps, row: CommandRow, planId: string | null, orgLogin: string, now: Date): Promise<CommandAnswer | null> {
  const role = await fetchOrgRole(deps.octokit, orgLogin, row.commenter);
  if (role !== 'admin') {
    await appendAudit(deps.db, {
      org: row.org,
      actor: row.commenter,
      actorType: 'user',
      action: 'command.refused',
      target: 'confirm',
      reason: `${row.source} (only organization owners may confirm held cancellations)`,
      details: { commandId: row.id, repository: row.repository, issue: row.issue_number, commentId: row.comment_id, planId },
      at: now,
    });
    deps.log.info({ org: row.org, commandId: row.id, commenter: row.commenter }, 'confirmation refused: not an organization owner');
    return { body: renderConfirmRefusal(row.source, row.commenter), status: 'refused' };
  }
  const outcome = await confirmPlan(
    { db: deps.db, boss: deps.boss },
    {
      org: row.org,
      installationId: Number(row.installation_id),
      planId,
      actor: row.commenter,
      actorType: 'user',
      trigger: 'command',
      report: { kind: 'command_reply', commandId: row.id },
      details: { commandId: row.id, repository: row.repository, issue: row.issue_number, commentId: row.comment_id },
      at: now,
    },
    async (trx, result) => {
      if (result.kind === 'confirmed') await markCommandWaiting(trx, row.id, null);
    },
  );
  deps.log.info({ org: row.org, commandId: row.id, outcome: outcome.kind }, 'confirmation handled');
  if (outcome.kind === 'confirmed') return null;
  const body = renderConfirmAnswer(row.source, { ...outcome, org: orgLogin });
  return { body, status: outcome.kind === 'not_found' ? 'failed' : 'done', error: outcome.kind === 'not_found' ? 'no such plan' : null };
}

/**
 * Records what the command asks (the overrides of a grant or revoke) and queues the
 * reconciliation run that answers it, in one transaction: the overrides, their audit entries,
 * the run and the command's new status commit together, so a retried job never records twice.
 * A `plan` or `apply` folds into the organization's debounced reconciliation: however many of
 * them a burst of comments holds, one run answers them all (see answerHandedCommands).
 */
async function handToReconciliation(
  deps: CommandRunDeps,
  row: CommandRow,
  command: Extract<Command, { verb: 'plan' | 'apply' | 'grant' | 'revoke' }>,
  now: Date,
): Promise<void> {
  await deps.db.transaction().execute(async (trx) => {
    let expiresAt: Date | null = null;
    if (command.verb === 'grant' || command.verb === 'revoke') {
      expiresAt = command.duration === null ? null : new Date(now.getTime() + command.duration.hours * HOUR_MS);
      const record = command.verb === 'grant' ? grantSeats : revokeSeats;
      await record(
        trx,
        {
          org: row.org,
          logins: command.logins,
          actor: row.commenter,
          reason: command.reason ?? 'no reason given',
          expiresAt,
          details: { commandId: row.id, repository: row.repository, issue: row.issue_number, commentId: row.comment_id },
        },
        now,
      );
    }
    if (command.verb === 'plan' || command.verb === 'apply') {
      await foldIntoDebouncedReconcile(deps.boss, trx, {
        org: row.org,
        installationId: Number(row.installation_id),
        trigger: 'command',
        actor: row.commenter,
        apply: command.verb === 'apply',
      });
      await markCommandHanded(trx, row.id);
      return;
    }
    await enqueueReconcile(
      deps.boss,
      {
        org: row.org,
        installationId: Number(row.installation_id),
        trigger: 'command',
        actor: row.commenter,
        report: { kind: 'command_reply', commandId: row.id },
      },
      { db: fromKysely(trx) },
    );
    await markCommandWaiting(trx, row.id, expiresAt);
  });
  deps.log.info({ org: row.org, commandId: row.id, verb: command.verb }, 'command handed to reconciliation');
}

/** After the last attempt: every command of the comment still unanswered says it failed. */
async function failUnanswered(deps: CommandRunDeps, commentId: string, error: unknown): Promise<void> {
  for (const row of await listCommentCommands(deps.db, commentId)) {
    // A refusal that cannot be posted stays silent: a refused person gets no 😕 either.
    if (row.finished_at !== null || row.status === 'waiting' || row.status === 'refused' || row.status === 'skipped') continue;
    await reportCommandFailure(deps, deps.octokit, row, error);
  }
}
