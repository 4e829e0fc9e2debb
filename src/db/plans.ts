import { type Kysely, type Selectable, type Transaction, sql } from 'kysely';
import type { Plan } from '../domain/plan-types.js';
import type { PlanRunStatus, PlansTable } from './governance-schema.js';
import type { Database } from './schema.js';

type Db = Kysely<Database> | Transaction<Database>;

/** A stored plan. */
export type PlanRow = Selectable<PlansTable>;

/** Stores a plan and, when it is to be applied, its seat changes as pending. Returns its id. */
export async function storePlan(
  db: Db,
  input: {
    org: string;
    trigger: string;
    actor: string;
    plan: Plan;
    policySha: string | null;
    status: PlanRunStatus;
    /** The held plan whose confirmation this plan carries out. */
    confirmsPlanId?: string | null;
  },
): Promise<string> {
  const { plan } = input;
  const row = await db
    .insertInto('plans')
    .values({
      org: input.org,
      trigger: input.trigger,
      actor: input.actor,
      mode: plan.mode,
      status: input.status,
      policy_sha: input.policySha,
      plan: JSON.stringify(plan),
      adds: plan.toAdd.length,
      cancels: plan.toCancel.length,
      violations: plan.violations.length,
      held: plan.safeguard?.held.length ?? 0,
      confirms_plan_id: input.confirmsPlanId ?? null,
      finished_at: input.status === 'planned' || input.status === 'applying' ? null : new Date(),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  if (input.status === 'planned' || input.status === 'applying') {
    const changes = [
      ...plan.toAdd.map((e) => ({ login: e.login, op: 'add' as const })),
      ...plan.toCancel.map((e) => ({ login: e.login, op: 'cancel' as const })),
    ];
    for (let i = 0; i < changes.length; i += 5000) {
      const part = changes.slice(i, i + 5000);
      await sql`
        insert into plan_changes (plan_id, login_key, login, op, status)
        select ${row.id}::uuid, lower(t.login), t.login, t.op, 'pending'
          from unnest(${part.map((c) => c.login)}::text[], ${part.map((c) => c.op)}::text[]) as t(login, op)`.execute(db);
    }
  }
  return row.id;
}

/** Records the outcome of seat changes sent to GitHub. */
export async function recordChangeResults(
  db: Db,
  planId: string,
  results: readonly { login: string; ok: boolean; error?: string }[],
): Promise<void> {
  if (results.length === 0) return;
  await sql`
    update plan_changes c
       set status = case when t.ok then 'done' else 'failed' end,
           attempts = c.attempts + 1, last_error = t.error, updated_at = now()
      from unnest(${results.map((r) => r.login.toLowerCase())}::text[], ${results.map((r) => r.ok)}::boolean[],
                  ${results.map((r) => r.error ?? null)}::text[]) as t(login_key, ok, error)
     where c.plan_id = ${planId}::uuid and c.login_key = t.login_key`.execute(db);
}

/** Changes of a plan not yet done (pending or failed). */
export async function listUndoneChanges(db: Db, planId: string): Promise<{ login: string; op: 'add' | 'cancel' }[]> {
  return db
    .selectFrom('plan_changes')
    .select(['login', 'op'])
    .where('plan_id', '=', planId)
    .where('status', '!=', 'done')
    .orderBy('login_key')
    .execute();
}

/** Per-status counts and failures of a plan's changes. */
export async function summarizeChanges(
  db: Db,
  planId: string,
): Promise<{ done: { login: string; op: 'add' | 'cancel' }[]; failed: { login: string; op: 'add' | 'cancel'; error: string }[] }> {
  const rows = await db
    .selectFrom('plan_changes')
    .select(['login', 'op', 'status', 'last_error'])
    .where('plan_id', '=', planId)
    .orderBy('login_key')
    .execute();
  return {
    done: rows.filter((r) => r.status === 'done').map((r) => ({ login: r.login, op: r.op })),
    failed: rows.filter((r) => r.status !== 'done').map((r) => ({ login: r.login, op: r.op, error: r.last_error ?? 'not sent' })),
  };
}

/** Sets a plan's final status. */
export async function finishPlan(db: Db, planId: string, status: PlanRunStatus): Promise<void> {
  await db.updateTable('plans').set({ status, finished_at: new Date() }).where('id', '=', planId).execute();
}

/** A stored plan by id (within an organization). */
export async function findPlan(db: Db, org: string, id: string): Promise<PlanRow | undefined> {
  if (!/^[0-9a-f-]{36}$/i.test(id)) return undefined;
  return db.selectFrom('plans').selectAll().where('org', '=', org).where('id', '=', id).executeTakeFirst();
}

/** A stored plan by id, whatever its organization. */
export async function findPlanById(db: Db, id: string): Promise<PlanRow | undefined> {
  if (!/^[0-9a-f-]{36}$/i.test(id)) return undefined;
  return db.selectFrom('plans').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Every seat change of a plan with its outcome, in login order. */
export async function listPlanChanges(db: Db, planId: string) {
  return db
    .selectFrom('plan_changes')
    .select(['login', 'op', 'status', 'attempts', 'last_error', 'updated_at'])
    .where('plan_id', '=', planId)
    .orderBy('login_key')
    .execute();
}

/** The newest plans of an organization. */
export async function listPlans(
  db: Db,
  org: string,
  limit: number,
): Promise<Pick<PlanRow, 'id' | 'org' | 'trigger' | 'actor' | 'mode' | 'status' | 'policy_sha' | 'adds' | 'cancels' | 'violations' | 'held' | 'created_at' | 'finished_at'>[]> {
  return db
    .selectFrom('plans')
    .select(['id', 'org', 'trigger', 'actor', 'mode', 'status', 'policy_sha', 'adds', 'cancels', 'violations', 'held', 'created_at', 'finished_at'])
    .where('org', '=', org)
    .orderBy('created_at', 'desc')
    .limit(limit)
    .execute();
}

/** The newest plan of an organization awaiting an owner's confirmation. */
export async function newestHeldPlan(db: Db, org: string): Promise<PlanRow | undefined> {
  return db
    .selectFrom('plans')
    .selectAll()
    .where('org', '=', org)
    .where('status', '=', 'awaiting_confirmation')
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
}

/**
 * Marks every other plan of the organization still awaiting confirmation as superseded by
 * `planId`, a newer plan that holds cancellations too. Returns the ids superseded.
 */
export async function supersedeHeldPlans(db: Db, org: string, planId: string): Promise<string[]> {
  const rows = await db
    .updateTable('plans')
    .set({ status: 'superseded', superseded_by: planId })
    .where('org', '=', org)
    .where('status', '=', 'awaiting_confirmation')
    .where('id', '!=', planId)
    .returning('id')
    .execute();
  return rows.map((r) => r.id);
}

/** A plan locked for the rest of the transaction (within an organization). */
export async function lockPlan(db: Db, org: string, id: string): Promise<PlanRow | undefined> {
  if (!/^[0-9a-f-]{36}$/i.test(id)) return undefined;
  return db.selectFrom('plans').selectAll().where('org', '=', org).where('id', '=', id).forUpdate().executeTakeFirst();
}

/** Records an owner's confirmation of a held plan; false when it was no longer awaiting one. */
export async function markPlanConfirmed(db: Db, planId: string, by: string, at: Date): Promise<boolean> {
  const result = await db
    .updateTable('plans')
    .set({ status: 'confirmed', confirmed_by: by, confirmed_at: at })
    .where('id', '=', planId)
    .where('status', '=', 'awaiting_confirmation')
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}
