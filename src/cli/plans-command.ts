import { type Command, InvalidArgumentError } from 'commander';
import type { Logger } from 'pino';
import { createQueue } from '../app/queue.js';
import { findInstallationByOrg, orgKey } from '../db/installations.js';
import { findPlanById, listPlanChanges, listPlans } from '../db/plans.js';
import type { Plan, PlanEntry } from '../domain/plan-types.js';
import { enqueueReconcile } from '../jobs/reconcile-queue.js';
import { createReconcileQueues } from '../jobs/reconcile-worker.js';
import type { WithDatabase } from './audit-command.js';
import { formatTable } from './format-table.js';

/** Thrown for a failure the user can act on: printed without a stack trace. */
export class CliUserError extends Error {}

function listLimit(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 1000) throw new InvalidArgumentError('must be a whole number from 1 to 1000');
  return n;
}

function entryRows(entries: readonly PlanEntry[]): string[][] {
  return entries.map((e) => [e.login, e.reason.text]);
}

function section(title: string, entries: readonly PlanEntry[]): string {
  if (entries.length === 0) return `${title}: none`;
  return `${title} (${entries.length}):\n${formatTable(['login', 'reason'], entryRows(entries))}`;
}

/**
 * Adds `plans list`, `plans show` (the whole stored plan, which check runs and replies cut to fit
 * GitHub's limits and point to by id) and `reconcile` (queue a run for a running instance).
 */
export function registerPlanCommands(
  program: Command,
  withDatabase: WithDatabase,
  out: (text: string) => void,
  log: () => Logger,
): void {
  const plans = program.command('plans').description('read stored reconciliation plans');

  plans
    .command('list <org>')
    .description("an organization's plans, newest first")
    .option('--limit <n>', 'how many', listLimit, 20)
    .option('--json', 'print JSON')
    .action(async (org: string, opts: { limit: number; json?: boolean }) => {
      await withDatabase(async ({ db }) => {
        const rows = await listPlans(db, orgKey(org), opts.limit);
        if (opts.json) return out(JSON.stringify(rows, null, 2));
        if (rows.length === 0) return out(`no plans for ${org}`);
        out(
          formatTable(
            ['id', 'created', 'trigger', 'actor', 'mode', 'status', 'adds', 'cancels', 'violations'],
            rows.map((r) => [r.id, new Date(r.created_at).toISOString(), r.trigger, r.actor, r.mode, r.status, String(r.adds), String(r.cancels), String(r.violations)]),
          ),
        );
      });
    });

  plans
    .command('show <id>')
    .description('one plan in full: every change with its reason and outcome, violations, totals')
    .option('--json', 'print JSON')
    .action(async (id: string, opts: { json?: boolean }) => {
      await withDatabase(async ({ db }) => {
        const row = await findPlanById(db, id);
        if (!row) throw new CliUserError(`no plan ${id}`);
        const changes = await listPlanChanges(db, row.id);
        if (opts.json) return out(JSON.stringify({ ...row, changes }, null, 2));
        const plan = row.plan as Plan;
        const outcome = new Map(changes.map((c) => [`${c.op}:${c.login.toLowerCase()}`, c]));
        const withOutcome = (op: 'add' | 'cancel', entries: readonly PlanEntry[]) =>
          entries.map((e) => {
            const change = outcome.get(`${op}:${e.login.toLowerCase()}`);
            return [e.login, e.reason.text, change ? change.status + (change.last_error ? `: ${change.last_error}` : '') : 'not applied'];
          });
        out(
          [
            `plan ${row.id} for ${plan.org}: ${row.status} (${row.mode} mode, ${row.trigger} by ${row.actor}, ${new Date(row.created_at).toISOString()})`,
            `seats ${plan.seats.before.total} → ${plan.seats.after.total}; monthly cost $${plan.cost.beforeUsd} → $${plan.cost.afterUsd}; cap ${plan.cap.status}; budget ${plan.budget.status}`,
            plan.blocked ? `blocked: ${plan.blocked.reason}` : '',
            plan.toAdd.length ? `to add (${plan.toAdd.length}):\n${formatTable(['login', 'reason', 'outcome'], withOutcome('add', plan.toAdd))}` : 'to add: none',
            plan.toCancel.length ? `to cancel (${plan.toCancel.length}):\n${formatTable(['login', 'reason', 'outcome'], withOutcome('cancel', plan.toCancel))}` : 'to cancel: none',
            section('left alone', plan.leftAlone),
            section('not added', plan.notAdded),
            plan.violations.length
              ? `violations (${plan.violations.length}):\n${formatTable(['code', 'login', 'detail'], plan.violations.map((v) => [v.code, v.login ?? '', v.text]))}`
              : 'violations: none',
          ]
            .filter(Boolean)
            .join('\n\n'),
        );
      });
    });

  program
    .command('reconcile <org>')
    .description("queue a reconciliation of an organization; a running instance carries it out")
    .option('--plan-only', 'plan and store the plan, change nothing')
    .option('--full-sync', 'read members and teams from GitHub first, not only seats')
    .action(async (org: string, opts: { planOnly?: boolean; fullSync?: boolean }) => {
      await withDatabase(async (database) => {
        const installation = await findInstallationByOrg(database.db, org);
        if (!installation || installation.status !== 'active') {
          throw new CliUserError(`CEOS is not installed on ${org} (or its installation is suspended)`);
        }
        const boss = createQueue(database, log(), { background: false });
        await boss.start();
        try {
          // The queue may not exist yet when no instance has run on this database.
          await createReconcileQueues(boss);
          const jobId = await enqueueReconcile(boss, {
            org: installation.org,
            installationId: Number(installation.id),
            trigger: 'cli',
            actor: 'cli',
            refreshGraph: Boolean(opts.fullSync),
            apply: !opts.planOnly,
          });
          out(`reconciliation of ${installation.account_login} queued (job ${jobId}); see \`ceos plans list ${installation.account_login}\``);
        } finally {
          await boss.stop({ graceful: false, close: true });
        }
      });
    });
}
