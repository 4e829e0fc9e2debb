import type { Kysely, Transaction } from 'kysely';
import type { Plan } from '../domain/plan-types.js';
import type { PolicyError } from '../domain/policy/parse-policy.js';
import type { ApplyOutcome } from '../domain/reports/apply-outcome.js';
import type { z } from 'zod';
import { reportTargetSchema } from '../jobs/reconcile-queue.js';
import type { PlanRunStatus } from './governance-schema.js';
import { type PlanRow, summarizeChanges } from './plans.js';
import type { Database } from './schema.js';

type Db = Kysely<Database> | Transaction<Database>;

/** Where a run is reported (a reconcile job's `report`). */
export type ReportTarget = z.output<typeof reportTargetSchema>;

/** What a plan's report needs beyond the plan itself, stored with it when the run stores it. */
export interface PlanRunRecord {
  /** The reconcile job that made the plan (its pg-boss id), or null when no job did. */
  jobId: string | null;
  /** Where the run is to be reported. */
  report: ReportTarget;
  /** The policy file's problems, when it did not validate. */
  policyErrors: readonly PolicyError[] | null;
}

/** Records, with a stored plan, where it is reported and what its report needs. */
export async function recordPlanRun(db: Db, planId: string, record: PlanRunRecord): Promise<void> {
  await db
    .updateTable('plans')
    .set({
      job_id: record.jobId,
      report: JSON.stringify(record.report),
      policy_errors: record.policyErrors === null ? null : JSON.stringify(record.policyErrors),
    })
    .where('id', '=', planId)
    .execute();
}

/** A finished plan as its report reads it back. */
export interface StoredPlanRun {
  row: Omit<PlanRow, 'plan' | 'report' | 'policy_errors'>;
  status: PlanRunStatus;
  plan: Plan;
  /** Where it is reported; `none` for plans stored before reports were recorded. */
  report: ReportTarget;
  policyErrors: PolicyError[] | null;
  /** What applying it changed on GitHub, or null when it was not applied. */
  outcome: ApplyOutcome | null;
}

/** Reads a stored plan with what its report needs, or undefined when there is no such plan. */
export async function loadPlanRun(db: Db, planId: string): Promise<StoredPlanRun | undefined> {
  if (!/^[0-9a-f-]{36}$/i.test(planId)) return undefined;
  const row = await db.selectFrom('plans').selectAll().where('id', '=', planId).executeTakeFirst();
  if (row === undefined) return undefined;
  const { plan, report, policy_errors: policyErrors, ...rest } = row;
  const target = reportTargetSchema.safeParse(report ?? { kind: 'none' });
  // Seat changes are stored only for plans that plan or apply; one that did not stop at planning
  // was applied, and its changes say how that went.
  let outcome: ApplyOutcome | null = null;
  const summary = row.status === 'planned' ? null : await summarizeChanges(db, planId);
  if (summary !== null && summary.done.length + summary.failed.length > 0) {
    outcome = {
      added: summary.done.filter((c) => c.op === 'add').map((c) => c.login),
      cancelled: summary.done.filter((c) => c.op === 'cancel').map((c) => c.login),
      failed: summary.failed.map((f) => ({ login: f.login, action: f.op, message: f.error })),
    };
  }
  return {
    row: rest,
    status: row.status,
    plan: plan as Plan,
    report: target.success ? target.data : { kind: 'none' },
    policyErrors: (policyErrors as PolicyError[] | null) ?? null,
    outcome,
  };
}

/**
 * Locks a plan's row for the rest of the transaction and says whether it is still `applying`:
 * the run finishing it and the sweeper settling it take this lock, so only one of them finishes it.
 */
export async function lockApplyingPlan(db: Transaction<Database>, planId: string): Promise<boolean> {
  const row = await db.selectFrom('plans').select('status').where('id', '=', planId).forUpdate().executeTakeFirst();
  return row?.status === 'applying';
}
