import { z } from 'zod';
import { appendAudit } from '../../db/audit-log.js';
import { listDeliveriesPage } from '../../db/api-listings.js';
import { REDRIVE_BATCH, redriveDeadLetters } from '../../operations/redrive-dead-letters.js';
import { getDelivery, replayDelivery } from '../../db/deliveries.js';
import { ApiError, notFound } from '../api-error.js';
import { defineRoute } from '../api-route.js';
import { KEYS_AUDIT_ORG } from '../audit-actions.js';
import { type ApiPrincipal, principalSeesOrg } from '../authenticate.js';
import { decodeCursor, page } from '../cursor.js';
import { iso, pageOf, pageQuery, timestamp } from '../schemas.js';

const STATUSES = ['received', 'processing', 'processed', 'failed', 'dead'] as const;
const guid = z.string().regex(/^[A-Za-z0-9-]{1,100}$/, 'must be a delivery GUID');

const deliverySummaryFields = {
  id: z.string().describe('The X-GitHub-Delivery GUID'),
  event: z.string(),
  action: z.string().nullable(),
  installation_id: z.number().int().nullable(),
  org: z.string().nullable(),
  repository: z.string().nullable(),
  sender: z.string().nullable(),
  received_at: timestamp,
  status: z.enum(STATUSES),
  attempts: z.number().int(),
  last_error: z.string().nullable(),
  next_attempt_at: timestamp,
  processed_at: timestamp.nullable(),
};

/** A delivery is visible to a key limited to organizations only when it belongs to one of them. */
function sees(principal: ApiPrincipal, org: string | null): boolean {
  return principal.orgs === null || (org !== null && principalSeesOrg(principal, org));
}

/** Webhook deliveries: list, show, replay one, redrive dead letters. */
export const deliveryRoutes = [
  defineRoute({
    method: 'GET',
    url: '/deliveries',
    permission: 'read_sensitive',
    org: false,
    tag: 'deliveries',
    summary: 'List webhook deliveries, newest first',
    querystring: z.strictObject({ ...pageQuery, status: z.enum(STATUSES).optional(), event: z.string().regex(/^[a-z_]{1,60}$/).optional() }),
    response: pageOf(z.object(deliverySummaryFields)),
    async handler({ query, principal, deps }) {
      const after = decodeCursor(query.cursor, z.object({ at: z.iso.datetime(), id: z.string() }));
      const rows = await listDeliveriesPage(deps.db, {
        limit: query.limit + 1,
        ...(query.status ? { status: query.status } : {}),
        ...(query.event ? { event: query.event } : {}),
        ...(principal.orgs !== null ? { orgs: principal.orgs } : {}),
        ...(after ? { after: { at: new Date(after.at), id: after.id } } : {}),
      });
      return page(
        rows,
        query.limit,
        (r) => ({ ...r, installation_id: r.installation_id === null ? null : Number(r.installation_id), received_at: iso(r.received_at), next_attempt_at: iso(r.next_attempt_at), processed_at: iso(r.processed_at) }),
        (r) => ({ at: iso(r.received_at), id: r.id }),
      );
    },
  }),
  defineRoute({
    method: 'GET',
    url: '/deliveries/:guid',
    permission: 'read_sensitive',
    org: false,
    tag: 'deliveries',
    summary: 'One delivery with its payload',
    params: z.strictObject({ guid }),
    response: z.object({
      ...deliverySummaryFields,
      payload: z.unknown().describe("GitHub's payload as received; null once the retention settings dropped it"),
      payload_dropped: z.boolean(),
    }),
    async handler({ params, principal, deps }) {
      const row = await getDelivery(deps.db, params.guid);
      if (!row || !sees(principal, row.org)) throw notFound(`delivery ${params.guid}`);
      // Which worker holds it and the trace it continues are the engine's own bookkeeping.
      const { claimed_by: _claimedBy, trace_context: _traceContext, ...rest } = row;
      // The retention settings empty old payloads; the row says so rather than failing to parse.
      const payload = row.payload === '' ? null : (JSON.parse(row.payload) as unknown);
      return {
        ...rest,
        installation_id: row.installation_id === null ? null : Number(row.installation_id),
        received_at: iso(row.received_at),
        next_attempt_at: iso(row.next_attempt_at),
        processed_at: iso(row.processed_at),
        payload,
        payload_dropped: payload === null,
      };
    },
  }),
  defineRoute({
    method: 'POST',
    url: '/deliveries/:guid/replay',
    permission: 'operate',
    org: false,
    tag: 'deliveries',
    status: 202,
    summary: 'Process a stored delivery again',
    description: '409 while a worker processes it, or when its payload was dropped by the retention settings.',
    params: z.strictObject({ guid }),
    body: z.strictObject({}).nullish(),
    response: z.object({ id: z.string(), status: z.literal('received').describe('Back in line for a worker') }),
    async handler({ params, principal, deps, now }) {
      const row = await getDelivery(deps.db, params.guid);
      if (!row || !sees(principal, row.org)) throw notFound(`delivery ${params.guid}`);
      const result = await deps.db.transaction().execute(async (trx) => {
        const replay = await replayDelivery(trx, params.guid);
        if (replay.replayed) {
          await appendAudit(trx, {
            org: row.org ?? KEYS_AUDIT_ORG,
            actor: principal.actor,
            action: 'delivery.replayed',
            target: row.id,
            reason: 'replayed through the API',
            details: { event: row.event, action: row.action, previousStatus: row.status },
            at: now,
          });
        }
        return replay;
      });
      if (!result.replayed) {
        if (result.reason === 'not_found') throw notFound(`delivery ${params.guid}`);
        throw new ApiError(409, result.reason, result.message);
      }
      return { id: row.id, status: 'received' as const };
    },
  }),
  defineRoute({
    method: 'POST',
    url: '/dead-letters/redrive',
    permission: 'operate',
    org: false,
    tag: 'deliveries',
    summary: 'Put dead letters back in line',
    description: `Every dead letter, or those of one \`event\` or \`org\`, up to ${REDRIVE_BATCH} per call (\`more\` says whether any are left). Audited per organization.`,
    body: z
      .strictObject({ event: z.string().regex(/^[a-z_]{1,60}$/).optional(), org: z.string().min(1).max(100).optional() })
      .nullish()
      .transform((b) => b ?? {}),
    response: z.object({ redriven: z.number().int(), ids: z.array(z.string()).describe('The deliveries put back in line'), more: z.boolean().describe('Whether dead letters matching the filter are left') }),
    async handler({ body, principal, deps, now }) {
      const orgs = body.org !== undefined ? (sees(principal, body.org.toLowerCase()) ? [body.org.toLowerCase()] : []) : principal.orgs ?? undefined;
      const result = await redriveDeadLetters(deps.db, { ...(body.event ? { event: body.event } : {}), ...(orgs ? { orgs } : {}), actor: principal.actor, details: { via: 'api', filter: body } }, now);
      return { redriven: result.ids.length, ids: result.ids, more: result.more };
    },
  }),
];
