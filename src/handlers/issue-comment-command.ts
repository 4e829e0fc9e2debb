import type { Probot } from 'probot';
import { appendAuditEntries } from '../db/audit-log.js';
import { type NewCommand, claimRefusalReply, finishSilently, insertCommands, isCommentRecorded } from '../db/commands.js';
import { findInstallation, orgKey } from '../db/installations.js';
import { readStoredPolicy } from '../db/policies.js';
import { isCommandRepository } from '../domain/commands/is-command-repository.js';
import { parseCommands } from '../domain/commands/parse-commands.js';
import { MAX_COMMANDS_PER_COMMENT, renderSkippedLines } from '../domain/commands/render-skipped-lines.js';
import { POLICY_DEFAULTS } from '../domain/policy/policy-schema.js';
import { reactToIssueComment } from '../github/comments.js';
import { checkCommandPermission, fetchOrgRole, isBotCommenter } from '../operations/command-permission.js';
import { enqueueCommentCommands } from '../jobs/command-queue.js';
import type { HandlerDeps } from './handler-deps.js';
import { issueCommentEventSchema, parsePayload } from './payload-schemas.js';

/**
 * Who may even be asked about: GitHub's `author_association` of the comment. Anyone else (a
 * contributor, a first-timer, a stranger on a public repository) is ignored before any call to
 * GitHub, so comments cannot be used to spend the installation's rate limit.
 */
const TRUSTED_ASSOCIATIONS: ReadonlySet<string> = new Set(['OWNER', 'MEMBER', 'COLLABORATOR']);

/**
 * `/copilot` commands in new comments of the command repositories. The handler only decides
 * whether a comment is a command and whether its author may give it, records it (once per
 * comment, whatever the delivery), reacts 👀 and queues the job that carries it out. At most
 * MAX_COMMANDS_PER_COMMENT lines of a comment are carried out (the rest get one note), and a
 * refused person is sent at most one refusal per organization every ten minutes.
 * Edited and deleted comments are not read: a command is what was first written.
 */
export function registerIssueCommentCommandHandlers(app: Probot, deps: HandlerDeps): void {
  app.on('issue_comment.created', async (context) => {
    const { db, boss, log } = deps;
    const payload = parsePayload(issueCommentEventSchema, 'issue_comment.created', context.payload);
    const author = payload.comment.user;
    if (author === null || isBotCommenter(author)) return;
    if (payload.sender && isBotCommenter(payload.sender)) return;
    const allLines = parseCommands(payload.comment.body ?? '');
    const installationRef = payload.installation;
    if (allLines.length === 0 || !installationRef) return;
    if (!TRUSTED_ASSOCIATIONS.has(payload.comment.author_association)) {
      log.info(
        { org: payload.repository.owner.login, commentId: payload.comment.id, association: payload.comment.author_association, delivery: context.id },
        'command comment ignored: its author is not an owner, member or collaborator',
      );
      return;
    }
    const lines = allLines.slice(0, MAX_COMMANDS_PER_COMMENT);
    const overflow = allLines[MAX_COMMANDS_PER_COMMENT];

    const orgLogin = payload.repository.owner.login;
    const org = orgKey(orgLogin);
    const installation = await findInstallation(db, installationRef.id);
    if (!installation || installation.status !== 'active' || installation.org !== org || installation.account_type !== 'Organization') return;
    const policy = (await readStoredPolicy(db, org))?.policy ?? null;
    const repositories = policy?.commands?.repositories ?? POLICY_DEFAULTS.commandRepositories;
    if (!isCommandRepository(payload.repository.name, repositories)) return;
    const commentId = payload.comment.id;
    if (await isCommentRecorded(db, commentId)) {
      log.info({ org, commentId, delivery: context.id }, 'command comment already recorded');
      return;
    }

    const permission = await checkCommandPermission(
      { db, octokit: context.octokit },
      { org, orgLogin, commenter: author, commandTeams: policy?.commands?.teams ?? POLICY_DEFAULTS.commandTeams },
    );
    if (permission.decision === 'ignore') return;
    // Any member may ask for a seat: a comment of `/copilot request` lines only is theirs to give.
    const requestsOnly = lines.every((l) => l.kind === 'command' && l.command.verb === 'request');
    const requester = permission.decision === 'refuse' && requestsOnly && (await fetchOrgRole(context.octokit, orgLogin, author.login)) !== null;
    const allowed = permission.decision === 'allow' || requester;
    const standing =
      permission.decision === 'refuse'
        ? requester
          ? 'organization member asking for a seat'
          : 'not an organization owner or a member of a command team'
        : permission.via === 'org-owner'
          ? 'organization owner'
          : `member of the command team ${permission.team ?? ''}`;
    const comment = { owner: orgLogin, repo: payload.repository.name, commentId };
    // 👀 goes first, before the job can exist, so it always precedes the 🚀 or 😕 the job adds.
    if (allowed) {
      try {
        await reactToIssueComment(context.octokit, comment, 'eyes');
      } catch (error) {
        if ((error as { status?: number }).status !== 404) throw error;
        log.info({ org, commentId }, 'command comment deleted before it could be acted on');
        return;
      }
    }

    const commands: NewCommand[] = lines.map((parsed) => ({
      org,
      installationId: installationRef.id,
      repository: payload.repository.full_name,
      issueNumber: payload.issue.number,
      commentId,
      line: parsed.line,
      source: parsed.source,
      commenter: author.login,
      command: parsed.kind === 'command' ? parsed.command : null,
      usageError: parsed.kind === 'usage-error' ? parsed.message : null,
      status: allowed ? 'queued' : 'refused',
      deliveryId: context.id,
    }));
    // The lines past the limit are one row, whose text is the note that answers them all. A
    // refused person gets the refusal only.
    if (overflow !== undefined && allowed) {
      commands.push({
        ...commands[0]!,
        line: overflow.line,
        source: overflow.source,
        command: null,
        usageError: renderSkippedLines({ total: allLines.length, firstLine: overflow.line }),
        status: 'skipped',
      });
    }
    const recorded = await db.transaction().execute(async (trx) => {
      const inserted = await insertCommands(trx, commands);
      if (inserted.length === 0) return 0;
      const ids = new Map(inserted.map((r) => [r.line, r.id]));
      // A person refused a moment ago is not told again: the rows are kept, finished, unanswered.
      const silenced = !allowed && !(await claimRefusalReply(trx, { org, userId: author.id, login: author.login }));
      if (silenced) await finishSilently(trx, [...ids.values()], 'refused; a refusal was sent to them less than ten minutes ago');
      await appendAuditEntries(
        trx,
        org,
        commands
          .filter((c) => ids.has(c.line) && c.status !== 'skipped')
          .map((c) => ({
            actor: author.login,
            actorType: 'user' as const,
            action: allowed ? 'command.accepted' : 'command.refused',
            target: c.command?.verb ?? null,
            reason: `${c.source} (${standing})`,
            details: {
              commandId: ids.get(c.line),
              repository: c.repository,
              issue: c.issueNumber,
              commentId,
              line: c.line,
              delivery: context.id,
              ...(silenced ? { replied: false } : {}),
            },
            idempotencyKey: `command:${commentId}:${c.line}`,
          })),
      );
      if (!silenced) await enqueueCommentCommands(boss, trx, { org, commentId: String(commentId) });
      return inserted.length;
    });
    log.info({ org, commentId, commands: recorded, allowed, delivery: context.id }, recorded > 0 ? 'command comment recorded' : 'command comment already recorded');
  });
}
