import { type Command, InvalidArgumentError } from 'commander';
import { fromKysely } from 'pg-boss';
import type { Logger } from 'pino';
import { createQueue } from '../app/queue.js';
import { findInstallationByOrg } from '../db/installations.js';
import type { SeatRequestState } from '../db/requests-schema.js';
import { findSeatRequest, listSeatRequests } from '../db/seat-requests.js';
import { approvalRoom } from '../domain/requests/approval-room.js';
import { enqueueReconcile } from '../jobs/reconcile-queue.js';
import { createReconcileQueues } from '../jobs/reconcile-worker.js';
import { approveSeatRequests, declineSeatRequest, requestView } from '../operations/seat-requests.js';
import { planFromMirror } from '../reporting/command-status.js';
import type { WithDatabase } from './audit-command.js';
import { formatTable } from './format-table.js';
import { CliUserError } from './plans-command.js';

const DAY_MS = 86_400_000;
const STATES: readonly SeatRequestState[] = ['pending', 'approved', 'declined', 'expired'];

function stateOption(value: string): SeatRequestState {
  if (!(STATES as readonly string[]).includes(value)) throw new InvalidArgumentError(`must be one of ${STATES.join(', ')}`);
  return value as SeatRequestState;
}

function daysOption(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 365) throw new InvalidArgumentError('must be a whole number of days from 1 to 365');
  return n;
}

/** Adds `requests list`, `requests approve` and `requests decline`, as `/copilot approve` and `/copilot decline` do. */
export function registerRequestCommands(program: Command, withDatabase: WithDatabase, out: (text: string) => void, log: () => Logger): void {
  const requests = program.command('requests').description('seat requests made with /copilot request');

  requests
    .command('list <org>')
    .description("an organization's seat requests, newest first")
    .option('--state <state>', `only one state (${STATES.join(', ')})`, stateOption)
    .option('--json', 'print JSON')
    .action(async (org: string, opts: { state?: SeatRequestState; json?: boolean }) => {
      await withDatabase(async ({ db }) => {
        const installation = await findInstallationByOrg(db, org);
        if (!installation) throw new CliUserError(`CEOS is not installed on ${org}`);
        const rows = (await listSeatRequests(db, installation.org, { limit: 1000, ...(opts.state ? { state: opts.state } : {}) })).map(requestView);
        if (opts.json) return out(JSON.stringify(rows, null, 2));
        if (rows.length === 0) return out(`no${opts.state ? ` ${opts.state}` : ''} seat requests in ${org}`);
        out(formatTable(['id', 'login', 'state', 'asked', 'reason', 'decided by'], rows.map((r) => [r.id, r.login, r.state, r.createdAt, r.reason ?? '', r.decidedBy ?? ''])));
      });
    });

  requests
    .command('approve <org> <id>')
    .description('approve a pending request: a grant override and the seat at once (within the cap and the budget); a running instance reconciles')
    .option('--as <login>', 'who approves, recorded in the audit log', 'cli')
    .option('--for-days <n>', 'the override expires after this many days', daysOption)
    .option('--reason <text>', 'why')
    .action(async (org: string, id: string, opts: { as: string; forDays?: number; reason?: string }) => {
      await withDatabase(async (database) => {
        const { db } = database;
        const installation = await findInstallationByOrg(db, org);
        if (!installation || installation.status !== 'active') throw new CliUserError(`CEOS is not installed on ${org} (or its installation is suspended)`);
        const request = await findSeatRequest(db, installation.org, id);
        if (!request || request.state !== 'pending') throw new CliUserError(`no pending seat request ${id} in ${org}`);
        const now = new Date();
        const view = await planFromMirror(db, installation.org, installation.account_login, now);
        const room = approvalRoom(view.input, [{ login: request.login, userId: request.user_id === null ? null : Number(request.user_id) }], opts.as);
        if (!room.ok) throw new CliUserError(`not approved: ${room.text}`);
        const boss = createQueue(database, log(), { background: false });
        await boss.start();
        try {
          await createReconcileQueues(boss);
          const expiresAt = opts.forDays === undefined ? null : new Date(now.getTime() + opts.forDays * DAY_MS);
          const jobId = await db.transaction().execute(async (trx) => {
            await approveSeatRequests(trx, { org: installation.org, orgLogin: installation.account_login, logins: [request.login], actor: opts.as, reason: opts.reason ?? null, expiresAt, details: { via: 'cli', requestId: id } }, now);
            return enqueueReconcile(boss, { org: installation.org, installationId: Number(installation.id), trigger: 'cli', actor: opts.as }, { db: fromKysely(trx) });
          });
          out(`approved the seat request of ${request.login}; a reconciliation (job ${jobId}) adds the seat${view.policy?.mode === 'report' ? ' (report mode: nothing is changed on GitHub)' : ''}`);
        } finally {
          await boss.stop({ graceful: false, close: true });
        }
      });
    });

  requests
    .command('decline <org> <id>')
    .description('decline a pending request')
    .option('--as <login>', 'who declines, recorded in the audit log', 'cli')
    .option('--reason <text>', 'why')
    .action(async (org: string, id: string, opts: { as: string; reason?: string }) => {
      await withDatabase(async ({ db }) => {
        const installation = await findInstallationByOrg(db, org);
        if (!installation) throw new CliUserError(`CEOS is not installed on ${org}`);
        const request = await findSeatRequest(db, installation.org, id);
        if (!request || request.state !== 'pending') throw new CliUserError(`no pending seat request ${id} in ${org}`);
        const closed = await declineSeatRequest(db, { org: installation.org, orgLogin: installation.account_login, login: request.login, actor: opts.as, reason: opts.reason ?? null, details: { via: 'cli', requestId: id } }, new Date());
        if (closed === null) throw new CliUserError(`no pending seat request ${id} in ${org}`);
        out(`declined the seat request of ${closed.login}`);
      });
    });
}
