import { fromKysely } from 'pg-boss';
import { z } from 'zod';
import { listActiveOverrides, type OverrideRow } from '../../db/overrides.js';
import { isValidGitHubLogin } from '../../domain/commands/github-login.js';
import { enqueueReconcile } from '../../jobs/reconcile-queue.js';
import { liftSeatOverride } from '../../operations/lift-seat-override.js';
import { grantSeats, revokeSeats } from '../../operations/seat-overrides.js';
import { notFound } from '../api-error.js';
import { defineRoute } from '../api-route.js';
import { decodeCursor, page } from '../cursor.js';
import { overrideBody } from '../response-schemas.js';
import { iso, orgParam, orgParams, pageOf, pageQuery, uuid } from '../schemas.js';
import { tenantScoped } from './tenant-scope.js';

const jobId = z.string().nullable().describe('The reconciliation queued (`GET /jobs/{id}`); null while the installation is not active');

const DAY_MS = 86_400_000;

/** An override as the API shows it. */
export function overrideItem(o: OverrideRow) {
  return {
    id: o.id,
    login: o.login,
    user_id: o.user_id === null ? null : Number(o.user_id),
    kind: o.kind,
    actor: o.actor,
    reason: o.reason,
    expires_at: iso(o.expires_at),
    created_at: iso(o.created_at),
    lifted_at: iso(o.lifted_at),
    lifted_by: o.lifted_by,
  };
}

/** Manual seat overrides: list those in force, record new ones, lift one. Each change queues a reconciliation. */
export const overrideRoutes = [
  tenantScoped(defineRoute({
    method: 'GET',
    url: '/orgs/:org/overrides',
    permission: 'read',
    org: true,
    tag: 'overrides',
    summary: 'List the overrides in force',
    params: orgParams,
    querystring: z.strictObject({ ...pageQuery }),
    response: pageOf(overrideBody),
    async handler({ query, installation, deps, now }) {
      const after = decodeCursor(query.cursor, z.object({ at: z.iso.datetime(), id: z.string() }));
      let rows = await listActiveOverrides(deps.db, installation.org, now);
      if (after) {
        const at = Date.parse(after.at);
        rows = rows.filter((r) => new Date(r.created_at).getTime() > at || (new Date(r.created_at).getTime() === at && r.id > after.id));
      }
      return page(rows.slice(0, query.limit + 1), query.limit, overrideItem, (r) => ({ at: iso(r.created_at), id: r.id }));
    },
  })),
  defineRoute({
    method: 'POST',
    url: '/orgs/:org/overrides',
    permission: 'operate',
    org: true,
    tag: 'overrides',
    status: 201,
    summary: 'Grant or revoke seats whatever the policy says',
    description: 'As `/copilot grant` and `/copilot revoke`: a newer override for a person replaces theirs. Audited with the key as actor; a reconciliation is queued in the same transaction. In report mode nothing changes on GitHub.',
    params: orgParams,
    body: z.strictObject({
      kind: z.enum(['grant', 'revoke']),
      logins: z
        .array(z.string().refine(isValidGitHubLogin, 'must be a GitHub login'))
        .min(1)
        .max(100),
      reason: z.string().trim().min(1).max(500),
      expires_in_days: z.number().int().min(1).max(3650).optional(),
    }),
    response: z.object({ items: z.array(overrideBody).describe('The overrides recorded, one per login'), job_id: jobId }),
    async handler({ body, installation, principal, deps, now }) {
      const expiresAt = body.expires_in_days === undefined ? null : new Date(now.getTime() + body.expires_in_days * DAY_MS);
      const record = body.kind === 'grant' ? grantSeats : revokeSeats;
      const { created, jobId } = await deps.db.transaction().execute(async (trx) => {
        const rows = await record(trx, { org: installation.org, logins: body.logins, actor: principal.actor, reason: body.reason, expiresAt, details: { via: 'api' } }, now);
        const id = await queueRun(deps.boss, trx, installation, principal.actor);
        return { created: rows, jobId: id };
      });
      return { items: created.map(overrideItem), job_id: jobId };
    },
  }),
  defineRoute({
    method: 'DELETE',
    url: '/orgs/:org/overrides/:id',
    permission: 'operate',
    org: true,
    tag: 'overrides',
    summary: 'Lift an override',
    description: 'The override stops applying at once; audited with the key as actor, and a reconciliation is queued.',
    params: z.strictObject({ org: orgParam, id: uuid }),
    response: overrideBody.extend({ job_id: jobId }),
    async handler({ params, installation, principal, deps, now }) {
      const result = await deps.db.transaction().execute(async (trx) => {
        const lifted = await liftSeatOverride(trx, { org: installation.org, id: params.id, actor: principal.actor, via: 'api' }, now);
        if (!lifted) return undefined;
        return { lifted, jobId: await queueRun(deps.boss, trx, installation, principal.actor) };
      });
      if (!result) throw notFound(`override ${params.id} in force in ${installation.account_login}`);
      return { ...overrideItem(result.lifted), job_id: result.jobId };
    },
  }),
];

async function queueRun(
  boss: Parameters<typeof enqueueReconcile>[0],
  trx: Parameters<typeof fromKysely>[0],
  installation: { org: string; id: string; status: string },
  actor: string,
): Promise<string | null> {
  // A suspended installation keeps the override for when it is active again; nothing runs now.
  if (installation.status !== 'active') return null;
  return enqueueReconcile(boss, { org: installation.org, installationId: Number(installation.id), trigger: 'api', actor }, { db: fromKysely(trx) });
}

