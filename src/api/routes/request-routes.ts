import { fromKysely } from 'pg-boss';
import { z } from 'zod';
import { findSeatRequest, listSeatRequests, type SeatRequestRow } from '../../db/seat-requests.js';
import { approvalRoom } from '../../domain/requests/approval-room.js';
import { enqueueReconcile } from '../../jobs/reconcile-queue.js';
import { approveSeatRequests, declineSeatRequest } from '../../operations/seat-requests.js';
import { planFromMirror } from '../../reporting/command-status.js';
import { ApiError, notFound } from '../api-error.js';
import { defineRoute } from '../api-route.js';
import { decodeCursor, page } from '../cursor.js';
import { iso, orgParam, orgParams, pageOf, pageQuery, timestamp, uuid } from '../schemas.js';
import { tenantScoped } from './tenant-scope.js';

const DAY_MS = 86_400_000;

const requestState = z.enum(['pending', 'approved', 'declined', 'expired']);

/** A seat request as the API shows it. */
export const seatRequestBody = z
  .object({
    id: z.string(),
    login: z.string().describe('The requester, as GitHub spells the login'),
    user_id: z.number().int().nullable(),
    state: requestState,
    reason: z.string().nullable().describe("The requester's reason"),
    created_at: timestamp,
    decided_by: z.string().nullable().describe('Who approved or declined it (`ceos` for automatic decisions and expiry)'),
    decided_at: timestamp.nullable(),
    decision_reason: z.string().nullable(),
  })
  .describe('A seat request made with `/copilot request`');

function requestItem(r: SeatRequestRow): z.output<typeof seatRequestBody> {
  return {
    id: r.id,
    login: r.login,
    user_id: r.user_id === null ? null : Number(r.user_id),
    state: r.state,
    reason: r.reason,
    created_at: iso(r.created_at),
    decided_by: r.decided_by,
    decided_at: iso(r.decided_at),
    decision_reason: r.decision_reason,
  };
}

const requestParams = z.strictObject({ org: orgParam, id: uuid });

/** Seat requests: list them, approve or decline one, as `/copilot approve` and `/copilot decline` do. */
export const requestRoutes = [
  tenantScoped(defineRoute({
    method: 'GET',
    url: '/orgs/:org/requests',
    permission: 'read',
    org: true,
    tag: 'requests',
    summary: 'List seat requests',
    description: 'Newest first; `state` keeps one state (`pending` for those waiting for an approver).',
    params: orgParams,
    querystring: z.strictObject({ ...pageQuery, state: requestState.optional() }),
    response: pageOf(seatRequestBody),
    async handler({ query, installation, deps }) {
      const after = decodeCursor(query.cursor, z.object({ at: z.iso.datetime(), id: z.string() }));
      const rows = await listSeatRequests(deps.db, installation.org, {
        limit: query.limit + 1,
        ...(query.state ? { state: query.state } : {}),
        ...(after ? { before: { createdAt: new Date(after.at), id: after.id } } : {}),
      });
      return page(rows, query.limit, requestItem, (r) => ({ at: iso(r.created_at), id: r.id }));
    },
  })),
  defineRoute({
    method: 'POST',
    url: '/orgs/:org/requests/:id/approve',
    permission: 'operate',
    org: true,
    tag: 'requests',
    summary: 'Approve a pending seat request',
    description:
      'As `/copilot approve`: a grant override for the requester (expiring after `expires_in_days` when given), the request closed as approved, and a reconciliation queued in the same transaction. Refused with 409 `over_cap` or `over_budget`, with the numbers, when the seat would break the cap or the budget, and with 409 `blocked` while CEOS cannot assign seats in the organization (seat management not set to selected members). In report mode nothing changes on GitHub.',
    params: requestParams,
    body: z.strictObject({ reason: z.string().trim().min(1).max(500).optional(), expires_in_days: z.number().int().min(1).max(365).optional() }).optional(),
    response: seatRequestBody.extend({ job_id: z.string().nullable().describe('The reconciliation queued; null while the installation is not active') }),
    async handler({ params, body, installation, principal, deps, now }) {
      const request = await findSeatRequest(deps.db, installation.org, params.id);
      if (request === undefined || request.state !== 'pending') throw notFound(`pending seat request ${params.id} in ${installation.account_login}`);
      const view = await planFromMirror(deps.db, installation.org, installation.account_login, now);
      const room = approvalRoom(view.input, [{ login: request.login, userId: request.user_id === null ? null : Number(request.user_id) }], principal.actor);
      if (!room.ok) throw new ApiError(409, room.problem, `The request cannot be approved: ${room.text}.`);
      const expiresAt = body?.expires_in_days === undefined ? null : new Date(now.getTime() + body.expires_in_days * DAY_MS);
      const result = await deps.db.transaction().execute(async (trx) => {
        const [closed] = await approveSeatRequests(
          trx,
          { org: installation.org, orgLogin: installation.account_login, logins: [request.login], actor: principal.actor, reason: body?.reason ?? null, expiresAt, details: { via: 'api', requestId: request.id } },
          now,
        );
        const jobId =
          installation.status === 'active'
            ? await enqueueReconcile(deps.boss, { org: installation.org, installationId: Number(installation.id), trigger: 'api', actor: principal.actor }, { db: fromKysely(trx) })
            : null;
        return { closed, jobId };
      });
      if (result.closed === undefined) throw notFound(`pending seat request ${params.id} in ${installation.account_login}`);
      return { ...requestItem(result.closed), job_id: result.jobId };
    },
  }),
  defineRoute({
    method: 'POST',
    url: '/orgs/:org/requests/:id/decline',
    permission: 'operate',
    org: true,
    tag: 'requests',
    summary: 'Decline a pending seat request',
    description: 'As `/copilot decline`: the request is closed as declined, audited with the key as actor.',
    params: requestParams,
    body: z.strictObject({ reason: z.string().trim().min(1).max(500).optional() }).optional(),
    response: seatRequestBody,
    async handler({ params, body, installation, principal, deps, now }) {
      const request = await findSeatRequest(deps.db, installation.org, params.id);
      if (request === undefined || request.state !== 'pending') throw notFound(`pending seat request ${params.id} in ${installation.account_login}`);
      const closed = await declineSeatRequest(
        deps.db,
        { org: installation.org, orgLogin: installation.account_login, login: request.login, actor: principal.actor, reason: body?.reason ?? null, details: { via: 'api', requestId: request.id } },
        now,
      );
      if (closed === null) throw notFound(`pending seat request ${params.id} in ${installation.account_login}`);
      return requestItem(closed);
    },
  }),
];
