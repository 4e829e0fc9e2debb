import { type Kysely, type Transaction, sql } from 'kysely';
import type { PgBoss } from 'pg-boss';
import type { Logger } from 'pino';
import type { Probot } from 'probot';
import type { Metrics } from '../app/metrics.js';
import type { QueueSpec } from '../app/capability.js';
import { appendAuditEntries } from '../db/audit-log.js';
import { recordDomainEvents } from '../db/domain-events.js';
import { findInstallationByOrg } from '../db/installations.js';
import { createOverrides, liftedOverrideEntries } from '../db/overrides.js';
import { finishPlan, recordChangeResults, supersedeHeldPlans } from '../db/plans.js';
import type { Database } from '../db/schema.js';
import type { AuditEntryInput } from '../domain/audit/audit-entry.js';
import type { CopilotSeat, Plan } from '../domain/plan-types.js';
import { type SettledChange, settlePlanChanges } from '../domain/settlement/settle-plan-changes.js';
import { fetchCopilotSeats } from '../github/fetch-copilot-seats.js';
import type { GitHubOctokit } from '../github/github-octokit.js';
import { logJobFailures } from './log-job-failures.js';
import { actorOf } from './reconcile-org.js';
import { RECONCILE_QUEUE, type ReconcileJob } from './reconcile-queue.js';
import { enqueueReportRun } from './report-run.js';

/** Queue of the sweeper that settles plans a stopped process left `applying`. */
export const SETTLE_PLANS_QUEUE = 'settle-plans';

/** How often the sweeper looks for abandoned plans (pg-boss cron, so once per cluster). */
export const SETTLE_PLANS_SCHEDULE = '* * * * *';

/** The sweeper's queue: one sweep at a time; a failed sweep is simply the next minute's. */
export const SETTLE_PLANS_QUEUE_SPEC: QueueSpec = {
  name: SETTLE_PLANS_QUEUE,
  options: { policy: 'singleton', retryLimit: 1, retryDelay: 30, expireInSeconds: 900 },
};

/** The seat-change audit entry key a plan's change is recorded under (the run and the sweeper share it). */
export function seatChangeKey(planId: string, op: 'add' | 'cancel', login: string): string {
  return `seat:${planId}:${op}:${login.toLowerCase()}`;
}

/** The key of a plan's `reconciliation.applied` entry. */
export function planAppliedKey(planId: string): string {
  return `reconciliation:${planId}`;
}

/** What settling a plan needs. */
export interface SettleDeps {
  db: Kysely<Database>;
  log: Logger;
  now: () => Date;
  /** Queues the settled plan's report in the transaction that finishes it. */
  queueReport?: (trx: Transaction<Database>, plan: { id: string; org: string }) => Promise<void>;
}

interface ApplyingPlan {
  id: string;
  org: string;
  trigger: string;
  actor: string;
  job_id: string | null;
  created_at: Date;
}

/**
 * Settles one plan left `applying`, from a complete seat list read after its process stopped:
 * each change still pending is recorded as done or not done as the seat list shows it, with the
 * audit entries the run never wrote (marked `settled`), and the plan is finished and reported.
 * The plan row is locked and its status checked in the same transaction, so of a sweeper and a
 * run settling it at once, one does; the audit keys are the run's own, so an entry the run did
 * write is never written again. Returns false when the plan was no longer `applying`.
 */
export async function settlePlan(deps: SettleDeps, planId: string, seats: readonly CopilotSeat[], by: 'sweeper' | 'run'): Promise<boolean> {
  const settled = await deps.db.transaction().execute(async (trx) => {
    const locked = await sql<ApplyingPlan & { status: string; plan: Plan }>`
      select id, org, trigger, actor, job_id, created_at, status, plan from plans where id = ${planId}::uuid for update`.execute(trx);
    const row = locked.rows[0];
    if (row === undefined || row.status !== 'applying') return null;
    const plan = row.plan;
    const pending = await trx.selectFrom('plan_changes').select(['login', 'op']).where('plan_id', '=', planId).where('status', '=', 'pending').execute();
    const entries = new Map([...plan.toAdd.map((e) => [`add:${e.login.toLowerCase()}`, e] as const), ...plan.toCancel.map((e) => [`cancel:${e.login.toLowerCase()}`, e] as const)]);
    const results = settlePlanChanges(
      pending.map((c) => ({ login: c.login, op: c.op, userId: entries.get(`${c.op}:${c.login.toLowerCase()}`)?.userId ?? null })),
      seats,
    );
    const at = deps.now();
    await recordChangeResults(
      trx,
      planId,
      results.map((r) => ({ login: r.login, ok: r.applied, ...(r.applied ? {} : { error: `not applied: ${r.observed} (settled after the run stopped)` }) })),
    );
    const actor = actorOf({ trigger: row.trigger as ReconcileJob['trigger'], actor: row.actor });
    await appendAuditEntries(trx, row.org, results.map((r) => seatEntry(actor, planId, row.trigger, r, entries.get(`${r.op}:${r.login.toLowerCase()}`)?.reason.text, at)));

    const counts = await trx
      .selectFrom('plan_changes')
      .select(['op', 'status', sql<number>`count(*)::int`.as('n')])
      .where('plan_id', '=', planId)
      .groupBy(['op', 'status'])
      .execute();
    const count = (op: string, status: string) => counts.find((c) => c.op === op && c.status === status)?.n ?? 0;
    const added = count('add', 'done');
    const cancelled = count('cancel', 'done');
    const failed = count('add', 'failed') + count('cancel', 'failed') + count('add', 'pending') + count('cancel', 'pending');

    // Inactivity cancellations that held stay cancelled, as after a run that finished.
    const cancelledNow = new Set(
      (await trx.selectFrom('plan_changes').select('login_key').where('plan_id', '=', planId).where('op', '=', 'cancel').where('status', '=', 'done').execute()).map(
        (c) => c.login_key,
      ),
    );
    const toRecord = plan.overridesToRecord.filter((o) => cancelledNow.has(o.login.toLowerCase()));
    const { created, lifted } = await createOverrides(
      trx,
      toRecord.map((o) => ({ org: row.org, login: o.login, kind: o.kind, actor: 'ceos', reason: o.reason, expiresAt: o.expiresAt ? new Date(o.expiresAt) : null })),
      at,
    );
    // A plan that held cancellations for confirmation still holds them after a stop: settling it
    // as applied would drop the hold that the owner must see and confirm.
    const held = plan.safeguard?.held.length ?? 0;
    const status = failed > 0 ? 'partially_applied' : held > 0 ? 'awaiting_confirmation' : 'applied';
    await appendAuditEntries(trx, row.org, [
      ...liftedOverrideEntries(lifted, 'ceos', at),
      ...created.map((o) => ({ actor: 'ceos', actorType: 'app' as const, action: 'override.created', target: o.login, reason: o.reason, details: { overrideId: o.id, kind: o.kind, planId, settled: true } })),
      {
        ...actor,
        action: 'reconciliation.applied',
        target: planId,
        reason: `${added} added, ${cancelled} cancelled, ${failed} failed (settled after the run stopped)`,
        details: { trigger: row.trigger, settled: true, settledBy: by },
        at,
        idempotencyKey: planAppliedKey(planId),
      },
    ]);
    await finishPlan(trx, planId, status);
    if (status === 'awaiting_confirmation') {
      const verdict = plan.safeguard!;
      const superseded = await supersedeHeldPlans(trx, row.org, planId);
      await recordDomainEvents(trx, [
        {
          type: 'plan.awaiting_confirmation',
          org: row.org,
          payload: { planId, held: verdict.held.length, limit: verdict.limit, seatsHeld: verdict.seatsHeld, cancellations: verdict.cancellations, superseded, settled: true },
        },
      ]);
      await appendAuditEntries(trx, row.org, [
        {
          ...actor,
          action: 'plan.held',
          target: planId,
          reason: `${verdict.held.length} cancellations held for an organization owner's confirmation (limit ${verdict.limit} of ${verdict.seatsHeld} seats held)`,
          details: { trigger: row.trigger, superseded, settled: true },
          at,
        },
      ]);
    }
    const done = results.filter((r) => r.applied);
    const events = [{ type: 'reconciliation.finished', org: row.org, payload: { planId, status, added, cancelled, failed, settled: true } }];
    if (done.length > 0) {
      events.unshift({
        type: 'seat.changed',
        org: row.org,
        payload: { planId, added: done.filter((r) => r.op === 'add').map((r) => r.login), cancelled: done.filter((r) => r.op === 'cancel').map((r) => r.login), settled: true } as never,
      });
    }
    await recordDomainEvents(trx, events);
    await deps.queueReport?.(trx, { id: planId, org: row.org });
    return { org: row.org, status, added, cancelled, failed, settledChanges: results.length };
  });
  if (settled === null) return false;
  deps.log.info({ planId, by, ...settled }, 'abandoned plan settled');
  return true;
}

function seatEntry(
  actor: Pick<AuditEntryInput, 'actor' | 'actorType'>,
  planId: string,
  trigger: string,
  result: SettledChange,
  reason: string | undefined,
  at: Date,
): AuditEntryInput {
  return {
    ...actor,
    action: result.applied ? (result.op === 'add' ? 'seat.added' : 'seat.cancelled') : 'seat.change_failed',
    target: result.login,
    reason: result.applied ? (reason ?? 'planned change') : `not applied: ${result.observed}`,
    details: { planId, op: result.op, trigger, settled: true, observed: result.observed },
    at,
    idempotencyKey: seatChangeKey(planId, result.op, result.login),
  };
}

/**
 * Settles every plan of an organization left `applying`, from the seat list a run just read. A
 * run calls it before it plans: runs of one organization are one at a time, so a plan still
 * `applying` then belongs to a run that stopped, and settling it first keeps the new run's
 * changes from being taken for the old one's.
 */
export async function settleAbandonedPlansOfOrg(deps: SettleDeps, org: string, seats: readonly CopilotSeat[]): Promise<number> {
  const plans = await deps.db.selectFrom('plans').select('id').where('org', '=', org).where('status', '=', 'applying').orderBy('created_at').execute();
  let settled = 0;
  for (const plan of plans) if (await settlePlan(deps, plan.id, seats, 'run')) settled++;
  return settled;
}

/** The reconcile job of a plan, as pg-boss reports it (the fields the sweeper reads). */
export interface ReconcileJobState {
  state: 'created' | 'retry' | 'active' | 'completed' | 'cancelled' | 'failed';
  startedOn: Date | null;
  heartbeatOn: Date | null;
  heartbeatSeconds: number | null;
  expireInSeconds: number;
}

/**
 * Whether a plan left `applying` is abandoned: its job is gone or no longer active (it failed, or
 * waits for a retry that will plan anew), or it is active but its worker stopped sending
 * heartbeats (twice the interval, to allow for a slow beat) or has run past the job's expiry. A
 * plan whose job is active and alive belongs to a live run and is never touched. A plan stored
 * without a job id counts as abandoned once older than `fallbackSeconds`.
 */
export function isPlanAbandoned(
  plan: { created_at: Date; job_id: string | null },
  job: ReconcileJobState | null,
  now: Date,
  fallbackSeconds: number,
): boolean {
  if (plan.job_id === null) return now.getTime() - new Date(plan.created_at).getTime() > fallbackSeconds * 1000;
  if (job === null || job.state !== 'active') return true;
  if (job.heartbeatSeconds !== null && job.heartbeatOn !== null) {
    return now.getTime() - new Date(job.heartbeatOn).getTime() > 2 * job.heartbeatSeconds * 1000;
  }
  const started = job.startedOn === null ? new Date(plan.created_at) : new Date(job.startedOn);
  return now.getTime() - started.getTime() > job.expireInSeconds * 1000;
}

/** What the sweeper needs. */
export interface SweepDeps extends SettleDeps {
  boss: PgBoss;
  /** An installation's Octokit. */
  auth: (installationId: number) => Promise<GitHubOctokit>;
  /** Age after which a plan stored without a job id counts as abandoned (the reconcile job's expiry). */
  fallbackSeconds: number;
}

/**
 * One sweep: every plan left `applying` whose run is no longer live is settled from a fresh,
 * complete seat list of its organization. A seat list that cannot be read completely fails the
 * sweep (the next one tries again): a partial list is never taken for what happened.
 */
export async function sweepAbandonedPlans(deps: SweepDeps): Promise<{ found: number; settled: number; live: number }> {
  const applying = await deps.db
    .selectFrom('plans')
    .select(['id', 'org', 'trigger', 'actor', 'job_id', 'created_at'])
    .where('status', '=', 'applying')
    .orderBy('created_at')
    .limit(100)
    .execute();
  let settled = 0;
  let live = 0;
  const seatsOf = new Map<string, readonly CopilotSeat[]>();
  for (const plan of applying) {
    const job = plan.job_id === null ? null : ((await deps.boss.getJobById(RECONCILE_QUEUE, plan.job_id)) as ReconcileJobState | null);
    if (!isPlanAbandoned(plan, job, deps.now(), deps.fallbackSeconds)) {
      live++;
      continue;
    }
    const installation = await findInstallationByOrg(deps.db, plan.org);
    if (installation === undefined || installation.status !== 'active') {
      deps.log.warn({ org: plan.org, planId: plan.id }, 'abandoned plan left unsettled: the organization has no active installation to read its seats with');
      continue;
    }
    let seats = seatsOf.get(plan.org);
    if (seats === undefined) {
      seats = (await fetchCopilotSeats(await deps.auth(Number(installation.id)), installation.account_login)).seats;
      seatsOf.set(plan.org, seats);
    }
    const queueReport = (trx: Transaction<Database>, p: { id: string; org: string }) =>
      enqueueReportRun(deps.boss, trx, { org: p.org, installationId: Number(installation.id), planId: p.id }).then(() => undefined);
    if (await settlePlan({ ...deps, queueReport }, plan.id, seats, 'sweeper')) settled++;
  }
  return { found: applying.length, settled, live };
}

/** What the sweeper's worker needs. */
export interface SettlePlansWorkerDeps {
  boss: PgBoss;
  db: Kysely<Database>;
  probot: Probot;
  log: Logger;
  metrics: Metrics;
  fallbackSeconds: number;
  now?: () => Date;
}

/** Starts the sweeper's worker (its schedule is `SETTLE_PLANS_SCHEDULE`). */
export async function startSettlePlansWorker(deps: SettlePlansWorkerDeps): Promise<void> {
  const log = deps.log.child({ component: 'settle-plans' });
  await deps.boss.work(
    SETTLE_PLANS_QUEUE,
    { batchSize: 1 },
    logJobFailures(SETTLE_PLANS_QUEUE, { log, metrics: deps.metrics }, async () => {
      const result = await sweepAbandonedPlans({
        db: deps.db,
        boss: deps.boss,
        log,
        now: deps.now ?? (() => new Date()),
        auth: async (id) => (await deps.probot.auth(id)) as GitHubOctokit,
        fallbackSeconds: deps.fallbackSeconds,
      });
      if (result.found > 0) log.info(result, 'abandoned plans swept');
      return result;
    }),
  );
}
