import { type Command, InvalidArgumentError } from 'commander';
import type { Logger } from 'pino';
import { createQueue } from '../app/queue.js';
import { findInstallationByOrg, orgKey } from '../db/installations.js';
import { findPlanById, listPlanChanges, listPlans } from '../db/plans.js';
import type { Plan, PlanEntry } from '../domain/plan-types.js';
import type { PolicyError } from '../domain/policy/parse-policy.js';
import { enqueueReconcile } from '../jobs/reconcile-queue.js';
import { createReconcileQueues } from '../jobs/reconcile-worker.js';
import { confirmPlan } from '../operations/confirm-plan.js';
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

/** The safeguard's verdict and the cancellations it holds, or nothing when it held none. */
function safeguardText(plan: Plan, row: { status: string; confirmed_by: string | null; superseded_by: string | null }): string {
  const verdict = plan.safeguard;
  if (verdict === undefined || verdict.held.length === 0) {
    return verdict?.status === 'confirmed' ? `carries out the confirmation of plan ${verdict.confirmedPlanId} by ${verdict.confirmedBy}` : '';
  }
  const state =
    row.status === 'awaiting_confirmation'
      ? 'awaiting an organization owner\'s confirmation (`/copilot confirm` or `ceos plans confirm`)'
      : row.status === 'confirmed'
        ? `confirmed by ${row.confirmed_by ?? '?'}`
        : row.status === 'superseded'
          ? `superseded by plan ${row.superseded_by ?? '?'}`
          : row.status;
  return [
    `held for confirmation (${verdict.held.length}; ${verdict.cancellations} cancellations, limit ${verdict.limit} = max(10, ${typeof verdict.setting === 'number' ? verdict.setting : `${verdict.setting} of ${verdict.seatsHeld} seats held`})): ${state}`,
    formatTable(['login', 'reason'], entryRows(verdict.held)),
  ].join('\n');
}

/** An invalid policy file's problems, each with its line; '' when the policy was valid or absent. */
function invalidPolicyText(errors: readonly PolicyError[] | null, sha: string | null): string {
  if (errors === null || errors.length === 0) return '';
  const version = sha === null ? '' : ` (file version ${sha.slice(0, 7)})`;
  return `policy INVALID${version}, nothing is changed until it is fixed (${errors.length} problem${errors.length === 1 ? '' : 's'}):\n${formatTable(
    ['line', 'key', 'problem'],
    errors.map((e) => [String(e.line), e.path, e.message]),
  )}`;
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
            ['id', 'created', 'trigger', 'actor', 'mode', 'status', 'adds', 'cancels', 'held', 'violations'],
            rows.map((r) => [r.id, new Date(r.created_at).toISOString(), r.trigger, r.actor, r.mode, r.status, String(r.adds), String(r.cancels), String(r.held), String(r.violations)]),
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
            invalidPolicyText(row.policy_errors as PolicyError[] | null, row.policy_sha),
            plan.toAdd.length ? `to add (${plan.toAdd.length}):\n${formatTable(['login', 'reason', 'outcome'], withOutcome('add', plan.toAdd))}` : 'to add: none',
            plan.toCancel.length ? `to cancel (${plan.toCancel.length}):\n${formatTable(['login', 'reason', 'outcome'], withOutcome('cancel', plan.toCancel))}` : 'to cancel: none',
            safeguardText(plan, row),
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

  plans
    .command('confirm <id>')
    .description("confirm the cancellations a plan held for being over safeguards.max_cancellations; a running instance plans again and cancels those still due")
    .option('--as <login>', 'the organization owner confirming, recorded in the audit log', 'cli')
    .action(async (id: string, opts: { as: string }) => {
      await withDatabase(async (database) => {
        const row = await findPlanById(database.db, id);
        if (!row) throw new CliUserError(`no plan ${id}`);
        const installation = await findInstallationByOrg(database.db, row.org);
        if (!installation || installation.status !== 'active') {
          throw new CliUserError(`CEOS is not installed on ${row.org} (or its installation is suspended)`);
        }
        const boss = createQueue(database, log(), { background: false });
        await boss.start();
        try {
          await createReconcileQueues(boss);
          const outcome = await confirmPlan(
            { db: database.db, boss },
            {
              org: row.org,
              installationId: Number(installation.id),
              planId: row.id,
              actor: opts.as,
              actorType: 'user',
              trigger: 'cli',
              details: { via: 'cli' },
              at: new Date(),
            },
          );
          switch (outcome.kind) {
            case 'confirmed':
              return out(
                `plan ${row.id} confirmed: ${outcome.held} held cancellations; a reconciliation (job ${outcome.jobId}) plans again and cancels those still due. See \`ceos plans list ${installation.account_login}\``,
              );
            case 'superseded':
              throw new CliUserError(
                outcome.newestPlanId === null
                  ? `plan ${row.id} was superseded, and no plan awaits confirmation now; nothing changed`
                  : `plan ${row.id} was superseded by plan ${outcome.newestPlanId}, which holds the cancellations now; nothing changed. Review it with \`ceos plans show ${outcome.newestPlanId}\``,
              );
            case 'not_held':
              throw new CliUserError(
                outcome.status === 'confirmed'
                  ? `plan ${row.id} was already confirmed${outcome.confirmedBy === null ? '' : ` by ${outcome.confirmedBy}`}; nothing changed`
                  : `plan ${row.id} holds no cancellations for confirmation (it is ${outcome.status}); nothing changed`,
              );
            default:
              throw new CliUserError(`no plan ${id}`);
          }
        } finally {
          await boss.stop({ graceful: false, close: true });
        }
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
