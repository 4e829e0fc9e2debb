import { fromKysely } from 'pg-boss';
import { z } from 'zod';
import { appendAudit } from '../../db/audit-log.js';
import { listPlansPage } from '../../db/api-listings.js';
import { findPlan, listPlanChanges } from '../../db/plans.js';
import { readStoredPolicy } from '../../db/policies.js';
import type { Plan } from '../../domain/plan-types.js';
import { type PolicyError, parsePolicy } from '../../domain/policy/parse-policy.js';
import { RECONCILE_QUEUE, enqueueReconcile } from '../../jobs/reconcile-queue.js';
import { actorTypeOf } from '../../domain/audit/audit-entry.js';
import { confirmPlan } from '../../operations/confirm-plan.js';
import { ApiError, notFound } from '../api-error.js';
import { defineRoute } from '../api-route.js';
import { principalSeesOrg } from '../authenticate.js';
import { decodeCursor, page } from '../cursor.js';
import { dryRunPlan } from '../org-views.js';
import { planBody, planRunStatus, policyBody, policyErrorBody, reportTargetBody } from '../response-schemas.js';
import { iso, orgParam, orgParams, pageOf, pageQuery, timestamp, uuid } from '../schemas.js';
import { tenantScoped } from './tenant-scope.js';

const planSummaryFields = {
  id: z.string(),
  org: z.string(),
  trigger: z.string().describe('What asked for the run: schedule, push, command, api, cli, install, sync…'),
  actor: z.string(),
  mode: z.enum(['enforce', 'report']),
  status: planRunStatus,
  policy_sha: z.string().nullable(),
  adds: z.number().int(),
  cancels: z.number().int(),
  violations: z.number().int(),
  held: z.number().int().describe('Cancellations held for an owner\'s confirmation'),
  created_at: timestamp,
  finished_at: timestamp.nullable(),
  confirmed_by: z.string().nullable(),
  confirmed_at: timestamp.nullable(),
  superseded_by: z.string().nullable().describe('The newer held plan that superseded this one'),
  confirms_plan_id: z.string().nullable().describe('The held plan whose confirmation this plan carries out'),
};
const jobIdBody = z.string().nullable().describe('The reconciliation job (`GET /jobs/{id}`); null only if the queue declined it');

const planParams = z.strictObject({ org: orgParam, id: uuid });
const afterPlan = z.object({ at: z.iso.datetime(), id: z.string() });

/** Plans (stored, dry run, confirmation), reconciliation runs, policy validation and jobs. */
export const planRoutes = [
  tenantScoped(defineRoute({
    method: 'GET',
    url: '/orgs/:org/plans',
    permission: 'read',
    org: true,
    tag: 'plans',
    summary: 'List stored plans, newest first',
    params: orgParams,
    querystring: z.strictObject({ ...pageQuery, status: z.string().regex(/^[a-z_]+$/).optional() }),
    response: pageOf(z.object(planSummaryFields)),
    async handler({ query, installation, deps }) {
      const after = decodeCursor(query.cursor, afterPlan);
      const rows = await listPlansPage(deps.db, installation.org, {
        limit: query.limit + 1,
        ...(after ? { after: { at: new Date(after.at), id: after.id } } : {}),
        ...(query.status ? { status: query.status } : {}),
      });
      return page(rows, query.limit, (r) => ({ ...r, created_at: iso(r.created_at), finished_at: iso(r.finished_at), confirmed_at: iso(r.confirmed_at) }), (r) => ({ at: iso(r.created_at), id: r.id }));
    },
  })),
  tenantScoped(defineRoute({
    method: 'GET',
    url: '/orgs/:org/plans/:id',
    permission: 'read',
    org: true,
    tag: 'plans',
    summary: 'One plan: every change with its reason and outcome',
    params: planParams,
    response: z.object({
      ...planSummaryFields,
      plan: planBody,
      report: reportTargetBody.nullable().describe("Where the run's report went"),
      policy_errors: z.array(policyErrorBody).nullable().describe("The policy file's problems, when it did not validate"),
      job_id: z.string().nullable().describe('The reconcile job that made the plan'),
      changes: z
        .array(z.object({ login: z.string(), op: z.enum(['add', 'cancel']), status: z.enum(['pending', 'done', 'failed']), attempts: z.number().int(), last_error: z.string().nullable(), updated_at: timestamp }))
        .describe('Each seat change and its outcome, in login order'),
    }),
    async handler({ params, installation, deps }) {
      const row = await findPlan(deps.db, installation.org, params.id);
      if (!row) throw notFound(`plan ${params.id} in ${installation.account_login}`);
      const changes = await listPlanChanges(deps.db, row.id);
      return {
        ...row,
        // JSON columns, written by the reconciliation in these shapes.
        plan: row.plan as Plan,
        report: row.report as z.output<typeof reportTargetBody> | null,
        policy_errors: row.policy_errors as PolicyError[] | null,
        created_at: iso(row.created_at),
        finished_at: iso(row.finished_at),
        confirmed_at: iso(row.confirmed_at),
        changes: changes.map((c) => ({ ...c, updated_at: iso(c.updated_at) })),
      };
    },
  })),
  defineRoute({
    method: 'POST',
    url: '/orgs/:org/plans',
    permission: 'operate',
    org: true,
    tag: 'plans',
    summary: 'Dry run: the plan reconciling now would make',
    description: 'Planned from CEOS\'s mirror with the stored policy and the overrides in force; nothing is stored and no seat changes.',
    params: orgParams,
    body: z.strictObject({}).nullish(),
    response: z.object({ dry_run: z.literal(true), plan: planBody }),
    async handler({ installation, deps, now }) {
      const stored = await readStoredPolicy(deps.db, installation.org);
      return { dry_run: true as const, plan: await dryRunPlan(deps.db, installation.org, installation.account_login, stored?.policy ?? null, now) };
    },
  }),
  defineRoute({
    method: 'POST',
    url: '/orgs/:org/policy/validate',
    permission: 'read',
    org: true,
    tag: 'policy',
    summary: 'Validate a policy file and show the plan it would lead to',
    description: 'Send the YAML as the body (`Content-Type: application/yaml` or `text/plain`). An invalid file is a 422 whose `errors` give line and column; nothing is stored.',
    params: orgParams,
    consumes: ['application/yaml', 'text/plain'],
    body: z.string().max(512 * 1024),
    response: z.object({ valid: z.literal(true), policy: policyBody.describe('The policy as CEOS reads it, defaults filled in'), plan: planBody.describe('The plan it would lead to now') }),
    async handler({ body, installation, deps, now }) {
      const parsed = parsePolicy(body);
      if (!parsed.ok) {
        throw new ApiError(422, 'invalid_policy', `The policy has ${parsed.errors.length} ${parsed.errors.length === 1 ? 'problem' : 'problems'}.`, { errors: parsed.errors });
      }
      return { valid: true as const, policy: parsed.policy, plan: await dryRunPlan(deps.db, installation.org, installation.account_login, parsed.policy, now) };
    },
  }),
  defineRoute({
    method: 'POST',
    url: '/orgs/:org/reconcile',
    permission: 'operate',
    org: true,
    tag: 'plans',
    status: 202,
    summary: 'Queue a reconciliation run',
    description: '`apply: false` only plans; `full_sync: true` reads members and teams from GitHub first. Answers 202 with the job id (`GET /jobs/{id}`).',
    params: orgParams,
    body: z
      .strictObject({ apply: z.boolean().optional(), full_sync: z.boolean().optional() })
      .nullish()
      .transform((b) => ({ apply: b?.apply ?? true, full_sync: b?.full_sync ?? false })),
    response: z.object({ job_id: jobIdBody, status: z.literal('queued') }),
    async handler({ body, installation, principal, deps, now }) {
      if (installation.status !== 'active') throw new ApiError(409, 'not_active', `The installation on ${installation.account_login} is ${installation.status}.`);
      const jobId = await deps.db.transaction().execute(async (trx) => {
        const id = await enqueueReconcile(
          deps.boss,
          { org: installation.org, installationId: Number(installation.id), trigger: 'api', actor: principal.actor, refreshGraph: body.full_sync, apply: body.apply },
          { db: fromKysely(trx) },
        );
        await appendAudit(trx, {
          org: installation.org,
          actor: principal.actor,
          action: 'reconciliation.requested',
          target: id,
          reason: body.apply ? 'reconciliation requested through the API' : 'plan-only reconciliation requested through the API',
          details: { jobId: id, apply: body.apply, fullSync: body.full_sync },
          at: now,
        });
        return id;
      });
      return { job_id: jobId, status: 'queued' as const };
    },
  }),
  defineRoute({
    method: 'POST',
    url: '/orgs/:org/plans/:id/confirm',
    permission: 'operate',
    org: true,
    tag: 'plans',
    status: 202,
    summary: 'Confirm a held plan',
    description: 'As `/copilot confirm <id>`: a run re-plans and cancels the seats that are both confirmed and still due. 409 when the plan holds nothing or a newer plan superseded it.',
    params: planParams,
    body: z.strictObject({}).nullish(),
    response: z.object({ plan_id: z.string(), held: z.number().int().describe('Cancellations confirmed'), job_id: jobIdBody.describe('The run that carries out the confirmation'), status: z.literal('confirmed') }),
    async handler({ params, installation, principal, deps, now }) {
      const outcome = await confirmPlan(
        { db: deps.db, boss: deps.boss },
        { org: installation.org, installationId: Number(installation.id), planId: params.id, actor: principal.actor, actorType: actorTypeOf(principal.actor), trigger: 'api', details: { via: 'api' }, at: now },
      );
      switch (outcome.kind) {
        case 'confirmed':
          return { plan_id: outcome.planId, held: outcome.held, job_id: outcome.jobId, status: 'confirmed' as const };
        case 'not_found':
        case 'no_held_plan':
          throw notFound(`plan ${params.id} in ${installation.account_login}`);
        case 'superseded':
          throw new ApiError(409, 'superseded', `Plan ${outcome.planId} was superseded; confirm the newest held plan instead.`, { newest_plan_id: outcome.newestPlanId });
        case 'not_held':
          throw new ApiError(409, 'not_held', `Plan ${outcome.planId} holds nothing to confirm (status ${outcome.status}).`, { status: outcome.status, confirmed_by: outcome.confirmedBy });
      }
    },
  }),
  defineRoute({
    method: 'GET',
    url: '/jobs/:id',
    permission: 'read',
    org: false,
    tag: 'plans',
    summary: 'A reconciliation job and its state',
    params: z.strictObject({ id: uuid }),
    response: z.object({
      id: z.string(),
      state: z.enum(['created', 'retry', 'active', 'completed', 'cancelled', 'failed']),
      org: z.string(),
      trigger: z.string().nullable(),
      actor: z.string().nullable(),
      apply: z.boolean().nullable(),
      created_at: timestamp,
      started_at: timestamp.nullable(),
      completed_at: timestamp.nullable(),
      result: z.object({ status: z.string(), planId: z.string().nullable() }).nullable().describe("A completed run's outcome and its plan"),
      error: z.string().nullable().describe("A failed run's error message"),
    }),
    async handler({ params, principal, deps }) {
      const job = await deps.boss.getJobById<{ org?: string; trigger?: string; actor?: string; apply?: boolean }>(RECONCILE_QUEUE, params.id);
      if (!job || typeof job.data.org !== 'string' || !principalSeesOrg(principal, job.data.org)) throw notFound(`job ${params.id}`);
      return {
        id: job.id,
        state: job.state,
        org: job.data.org,
        trigger: job.data.trigger ?? null,
        actor: job.data.actor ?? null,
        apply: job.data.apply ?? null,
        created_at: iso(job.createdOn),
        started_at: iso(job.startedOn),
        completed_at: iso(job.completedOn),
        // A failed job's output holds an error with its stack: only the message leaves the server.
        result: job.state === 'completed' ? ((job.output as { status: string; planId: string | null } | undefined) ?? null) : null,
        error: job.state === 'failed' ? String((job.output as { message?: unknown } | null)?.message ?? 'failed') : null,
      };
    },
  }),
];
