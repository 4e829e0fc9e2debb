import { type Kysely, type Transaction, sql } from 'kysely';
import { type PgBoss, fromKysely } from 'pg-boss';
import { appendAudit } from '../db/audit-log.js';
import type { PlanRunStatus } from '../db/governance-schema.js';
import { lockPlan, markPlanConfirmed, newestHeldPlan } from '../db/plans.js';
import type { Database } from '../db/schema.js';
import type { AuditActorType } from '../domain/audit/audit-entry.js';
import type { Plan } from '../domain/plan-types.js';
import { type ReconcileJobData, enqueueReconcile } from '../jobs/reconcile-queue.js';

/** Who confirms, and where the run that carries the confirmation out reports. */
export interface ConfirmPlanInput {
  /** Organization key (lower-cased login). */
  org: string;
  installationId: number;
  /** The held plan to confirm, or null for the organization's newest held plan. */
  planId: string | null;
  /** Login of the organization owner confirming (or `cli`, `api-key:<id>`). */
  actor: string;
  actorType: AuditActorType;
  /** What asked: a slash command, the CLI, the API. */
  trigger: Extract<ReconcileJobData['trigger'], 'command' | 'cli' | 'api'>;
  /** Where the run reports its outcome. */
  report?: ReconcileJobData['report'];
  /** Recorded with the audit entry (command id, comment). */
  details?: Record<string, unknown>;
  at: Date;
}

/** What confirming did. */
export type ConfirmPlanOutcome =
  /** Confirmed: a run re-plans and cancels what the plan held that is still due. */
  | { kind: 'confirmed'; planId: string; held: number; jobId: string | null }
  /** No plan id was given and none awaits confirmation. */
  | { kind: 'no_held_plan' }
  /** The organization has no plan with this id. */
  | { kind: 'not_found'; planId: string }
  /** A newer plan holds cancellations; it is the one to confirm (null if it was settled since). Nothing changed. */
  | { kind: 'superseded'; planId: string; newestPlanId: string | null }
  /** The plan holds nothing to confirm (it was not held, or was confirmed already). Nothing changed. */
  | { kind: 'not_held'; planId: string; status: PlanRunStatus; confirmedBy: string | null };

/**
 * Confirms a plan the mass-cancellation safeguard held, as the slash command, the CLI and the API
 * do. In one transaction: the plan is marked confirmed, the confirmation is audited with its
 * actor, and the reconciliation run that carries it out is queued (with `inTransaction`, the
 * caller records what goes with it, e.g. a command waiting for its answer). The run plans afresh
 * and cancels only the seats that are both confirmed and still due; cancellations the fresh plan
 * adds beyond them are held again. Confirmations of one organization are taken one at a time.
 */
export async function confirmPlan(
  deps: { db: Kysely<Database>; boss: PgBoss },
  input: ConfirmPlanInput,
  inTransaction?: (trx: Transaction<Database>, outcome: ConfirmPlanOutcome) => Promise<void>,
): Promise<ConfirmPlanOutcome> {
  return deps.db.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(hashtext(${`confirm:${input.org}`}))`.execute(trx);
    const outcome = await confirmLocked(deps.boss, trx, input);
    if (inTransaction) await inTransaction(trx, outcome);
    return outcome;
  });
}

async function confirmLocked(boss: PgBoss, trx: Transaction<Database>, input: ConfirmPlanInput): Promise<ConfirmPlanOutcome> {
  const target = input.planId === null ? await newestHeldPlan(trx, input.org) : await lockPlan(trx, input.org, input.planId);
  if (target === undefined) return input.planId === null ? { kind: 'no_held_plan' } : { kind: 'not_found', planId: input.planId };
  if (target.status === 'superseded') {
    const newest = await newestHeldPlan(trx, input.org);
    return { kind: 'superseded', planId: target.id, newestPlanId: newest?.id ?? null };
  }
  if (target.status !== 'awaiting_confirmation' || !(await markPlanConfirmed(trx, target.id, input.actor, input.at))) {
    return { kind: 'not_held', planId: target.id, status: target.status, confirmedBy: target.confirmed_by };
  }
  const held = (target.plan as Plan).safeguard?.held ?? [];
  await appendAudit(trx, {
    org: input.org,
    actor: input.actor,
    actorType: input.actorType,
    action: 'plan.confirmed',
    target: target.id,
    reason: `${held.length} held cancellation${held.length === 1 ? '' : 's'} confirmed; those still due are cancelled`,
    details: { ...input.details, held: held.length, trigger: input.trigger },
    at: input.at,
  });
  const jobId = await enqueueReconcile(
    boss,
    {
      org: input.org,
      installationId: input.installationId,
      trigger: input.trigger,
      actor: input.actor,
      apply: true,
      report: input.report ?? { kind: 'none' },
      confirmPlanId: target.id,
    },
    { db: fromKysely(trx) },
  );
  return { kind: 'confirmed', planId: target.id, held: held.length, jobId };
}
