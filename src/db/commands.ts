import { type Kysely, type Selectable, type Transaction, sql } from 'kysely';
import type { Command } from '../domain/commands/command-types.js';
import type { TeamGraph } from '../domain/planner/team-members.js';
import type { CommandStatus, CommandsTable } from './commands-schema.js';
import { presentTeamMemberships } from './mirror.js';
import type { Database } from './schema.js';

type Db = Kysely<Database> | Transaction<Database>;

/** A stored command. */
export type CommandRow = Selectable<CommandsTable>;

/** A command line of a comment, as the webhook brought it. */
export interface NewCommand {
  org: string;
  installationId: number;
  repository: string;
  issueNumber: number;
  commentId: number;
  line: number;
  source: string;
  commenter: string;
  /** The parsed command, or null with `usageError` when the line could not be understood. */
  command: Command | null;
  usageError: string | null;
  /** `queued` for a commenter allowed to run commands, `refused` otherwise; `skipped` past a comment's tenth line. */
  status: Extract<CommandStatus, 'queued' | 'refused' | 'skipped'>;
  deliveryId: string;
}

/** Whether any command of this comment is already recorded (a redelivery, or the same comment in a new delivery). */
export async function isCommentRecorded(db: Db, commentId: number): Promise<boolean> {
  const row = await db.selectFrom('commands').select('id').where('comment_id', '=', String(commentId)).limit(1).executeTakeFirst();
  return row !== undefined;
}

/**
 * Records the command lines of a comment. Lines already recorded are left as they are and not
 * returned, so only the first delivery of a comment gets rows back.
 */
export async function insertCommands(db: Db, commands: readonly NewCommand[]): Promise<{ id: string; line: number }[]> {
  if (commands.length === 0) return [];
  return db
    .insertInto('commands')
    .values(
      commands.map((c) => ({
        org: c.org,
        installation_id: c.installationId,
        repository: c.repository,
        issue_number: c.issueNumber,
        comment_id: c.commentId,
        line: c.line,
        source: c.source,
        commenter: c.commenter,
        verb: c.command?.verb ?? null,
        command: c.command === null ? null : JSON.stringify(c.command),
        usage_error: c.usageError,
        status: c.status,
        delivery_id: c.deliveryId,
      })),
    )
    .onConflict((oc) => oc.columns(['comment_id', 'line']).doNothing())
    .returning(['id', 'line'])
    .execute();
}

/** The commands of a comment, in line order. */
export async function listCommentCommands(db: Db, commentId: string): Promise<CommandRow[]> {
  return db.selectFrom('commands').selectAll().where('comment_id', '=', commentId).orderBy('line').execute();
}

/** A command by id. */
export async function findCommand(db: Db, id: string): Promise<CommandRow | undefined> {
  if (!/^[0-9a-f-]{36}$/i.test(id)) return undefined;
  return db.selectFrom('commands').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Marks a command as handed to a reconciliation run, which will answer it. */
export async function markCommandWaiting(db: Db, id: string, expiresAt: Date | null): Promise<void> {
  await db.updateTable('commands').set({ status: 'waiting', expires_at: expiresAt }).where('id', '=', id).execute();
}

/**
 * Marks a `plan` or `apply` as handed to the organization's debounced reconciliation: the first
 * run of the organization whose plan is stored after this commits answers it
 * (listCommandsAnsweredByRun). The time is the database's, as the plan's is.
 */
export async function markCommandHanded(db: Db, id: string): Promise<void> {
  await db.updateTable('commands').set({ status: 'waiting', handed_at: sql<Date>`now()` }).where('id', '=', id).execute();
}

/**
 * The handed `plan` and `apply` commands a finished run answers: those of its organization still
 * waiting that were handed before its plan was stored. A run that only planned (`applied` false)
 * answers `plan` commands only; an `apply` waits for a run that applies.
 */
export async function listCommandsAnsweredByRun(db: Db, input: { org: string; planId: string; applied: boolean }): Promise<CommandRow[]> {
  return db
    .selectFrom('commands')
    .selectAll()
    .where('org', '=', input.org)
    .where('status', '=', 'waiting')
    .where('finished_at', 'is', null)
    .where('handed_at', 'is not', null)
    .where('verb', 'in', input.applied ? ['plan', 'apply'] : ['plan'])
    .where('handed_at', '<=', (eb) => eb.selectFrom('plans').select('created_at').where('id', '=', input.planId))
    .orderBy('handed_at')
    .orderBy('comment_id')
    .orderBy('line')
    .execute();
}

/** Seconds between two refusal replies to one person in one organization. */
export const REFUSAL_INTERVAL_SECONDS = 600;

/**
 * Claims the right to send a person a refusal: true when they were sent none in the organization
 * in the last REFUSAL_INTERVAL_SECONDS. Concurrent claims (two comments, two instances) wait on
 * one row, so exactly one of them wins. Call it in the transaction that records the refusal.
 */
export async function claimRefusalReply(db: Db, input: { org: string; userId: number; login: string }): Promise<boolean> {
  const result = await sql<{ org: string }>`
    insert into command_refusals (org, user_id, login, refused_at)
    values (${input.org}, ${input.userId}, ${input.login}, now())
    on conflict (org, user_id) do update set login = excluded.login, refused_at = excluded.refused_at
     where command_refusals.refused_at <= now() - make_interval(secs => ${REFUSAL_INTERVAL_SECONDS})
    returning org`.execute(db);
  return result.rows.length > 0;
}

/** Finishes refused commands without a reply (their author was sent a refusal a moment ago). */
export async function finishSilently(db: Db, ids: readonly string[], error: string): Promise<void> {
  if (ids.length === 0) return;
  await db.updateTable('commands').set({ finished_at: sql<Date>`now()`, error }).where('id', 'in', [...ids]).execute();
}

/**
 * Records that a command's reply is about to be posted, if the record still says what the caller
 * read (`seen`: the previous attempt's time, or null): of two answers racing, only the one whose
 * claim lands posts. False when the command is finished or another answer claimed it meanwhile.
 */
export async function claimReplyAttempt(db: Db, id: string, seen: Date | null): Promise<boolean> {
  const claimed = await db
    .updateTable('commands')
    // To the millisecond, as a JavaScript Date reads it back, so the next claim can compare it.
    .set({ reply_attempted_at: sql<Date>`date_trunc('milliseconds', now())` })
    .where('id', '=', id)
    .where('finished_at', 'is', null)
    .where((eb) => (seen === null ? eb('reply_attempted_at', 'is', null) : eb('reply_attempted_at', '=', seen)))
    .returning('id')
    .executeTakeFirst();
  return claimed !== undefined;
}

/** Where a comment's commands stand once one of them has finished. */
export interface CommentProgress {
  /** Whether this call finished the command (false when it was already finished). */
  finished: boolean;
  /** Whether every command of the comment is now finished. */
  allFinished: boolean;
  /** Whether any command of the comment failed. */
  anyFailed: boolean;
}

/**
 * Finishes a command. The comment's rows are locked while deciding, so when two of its commands
 * finish at the same moment exactly one of them sees the comment complete.
 */
export async function finishCommand(
  db: Kysely<Database>,
  id: string,
  outcome: { status: 'done' | 'failed' | 'refused' | 'skipped'; replyCommentId: number | null; error: string | null },
): Promise<CommentProgress> {
  return db.transaction().execute(async (trx) => {
    const own = await trx.selectFrom('commands').select(['comment_id']).where('id', '=', id).executeTakeFirst();
    if (own === undefined) return { finished: false, allFinished: false, anyFailed: false };
    const rows = await sql<{ id: string; status: CommandStatus; finished_at: Date | null }>`
      select id, status, finished_at from commands where comment_id = ${own.comment_id} order by line for update`.execute(trx);
    const row = rows.rows.find((r) => r.id === id);
    if (row === undefined || row.finished_at !== null) return { finished: false, allFinished: false, anyFailed: false };
    await trx
      .updateTable('commands')
      .set({ status: outcome.status, reply_comment_id: outcome.replyCommentId, error: outcome.error, finished_at: new Date() })
      .where('id', '=', id)
      .execute();
    const others = rows.rows.filter((r) => r.id !== id);
    return {
      finished: true,
      allFinished: others.every((r) => r.finished_at !== null),
      anyFailed: outcome.status === 'failed' || others.some((r) => r.status === 'failed'),
    };
  });
}

/** Teams and direct team memberships of an organization: enough to expand `commands.teams`. */
export async function loadTeamGraph(db: Db, org: string): Promise<TeamGraph> {
  const [teams, memberships] = await Promise.all([
    db.selectFrom('org_teams').select(['slug', 'team_id', 'parent_slug']).where('org', '=', org).where('present', '=', true).execute(),
    // By the member's current login: memberships are keyed by user id, and the login is the member's.
    presentTeamMemberships(db, org),
  ]);
  const teamMemberships: Record<string, string[]> = {};
  for (const m of memberships) (teamMemberships[m.team_slug] ??= []).push(m.login);
  return { teams: teams.map((t) => ({ slug: t.slug, id: Number(t.team_id), parentSlug: t.parent_slug })), teamMemberships };
}

/** When the organization's seats were last reconciled (a dry run does not count), or null. */
export async function lastReconciledAt(db: Db, org: string): Promise<Date | null> {
  const row = await db
    .selectFrom('plans')
    .select('finished_at')
    .where('org', '=', org)
    .where('status', 'in', ['applied', 'partially_applied', 'report_only', 'blocked', 'no_policy', 'invalid_policy'])
    .where('finished_at', 'is not', null)
    .orderBy('finished_at', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row?.finished_at ? new Date(row.finished_at) : null;
}
