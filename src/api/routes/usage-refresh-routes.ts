import { fromKysely } from 'pg-boss';
import { z } from 'zod';
import { appendAudit } from '../../db/audit-log.js';
import { readUsageCollectionStatus } from '../../db/usage-collection-status.js';
import { collectionDays } from '../../domain/usage/collection-days.js';
import { enqueueUsageCollection } from '../../jobs/collect-usage-queue.js';
import { lastDataDay } from '../../db/usage-writes.js';
import { ApiError } from '../api-error.js';
import { defineRoute } from '../api-route.js';
import { iso, orgParams } from '../schemas.js';
import { tenantScoped } from './tenant-scope.js';

const day = z.iso.date('must be a day as YYYY-MM-DD');

const collectionStatus = z.object({
  status: z.enum(['ok', 'unavailable', 'never']).describe('`unavailable`: GitHub refused the reports (metrics policy off, permission missing); `never`: not collected yet'),
  http_status: z.number().int().nullable().describe("GitHub's status when unavailable (403, 404 or 422)"),
  message: z.string().nullable().describe("GitHub's message when unavailable, as it gave it"),
  status_at: z.string().nullable(),
  last_attempt_at: z.string().nullable(),
  last_data_day: z.string().nullable().describe('Newest day of the users report that had data'),
  days_with_data: z.number().int(),
  days_without_data: z.number().int().describe('Days GitHub had no report for: no data, not zero usage'),
});

/** Usage collection on demand, and where it stands. */
export const usageRefreshRoutes = [
  defineRoute({
    method: 'POST',
    url: '/orgs/:org/usage/refresh',
    permission: 'operate',
    org: true,
    tag: 'usage',
    status: 202,
    summary: 'Collect Copilot usage now',
    description:
      'Queues a collection of GitHub\'s daily usage reports. Without `from`/`to`: from the last day with data (or 28 days back) to yesterday (DECISIONS 14). Days are UTC, from 2025-10-10 and at most a year back. Answers 202 with the job id; 422 for days GitHub cannot have; 409 when collection is off (`CEOS_USAGE_COLLECTION=false`).',
    params: orgParams,
    body: z
      .strictObject({ from: day.optional().describe('First day, YYYY-MM-DD'), to: day.optional().describe('Last day, YYYY-MM-DD (yesterday at the latest)') })
      .nullish()
      .transform((b) => ({ from: b?.from, to: b?.to })),
    response: z.object({ job_id: z.string().nullable(), status: z.literal('queued'), from: day, to: day, days: z.number().int() }),
    async handler({ body, installation, principal, deps, now }) {
      if (installation.status !== 'active') throw new ApiError(409, 'not_active', `The installation on ${installation.account_login} is ${installation.status}.`);
      if (!deps.config.usage.enabled) throw new ApiError(409, 'usage_collection_off', 'Usage collection is turned off on this deployment (CEOS_USAGE_COLLECTION=false).');
      const window = collectionDays({ now, lastDataDay: await lastDataDay(deps.db, installation.org), from: body.from, to: body.to });
      if (!window.ok) throw new ApiError(422, 'invalid_days', window.problem);
      const jobId = await deps.db.transaction().execute(async (trx) => {
        const id = await enqueueUsageCollection(
          deps.boss,
          { org: installation.org, installationId: Number(installation.id), trigger: 'api', actor: principal.actor, from: window.from, to: window.to },
          { db: fromKysely(trx) },
        );
        await appendAudit(trx, {
          org: installation.org,
          actor: principal.actor,
          action: 'usage.refresh_requested',
          target: id,
          reason: `usage collection of ${window.from} to ${window.to} requested through the API`,
          details: { jobId: id, from: window.from, to: window.to, asked: { from: body.from ?? null, to: body.to ?? null } },
          at: now,
        });
        return id;
      });
      return { job_id: jobId, status: 'queued' as const, from: window.from, to: window.to, days: window.days.length };
    },
  }),
  tenantScoped(defineRoute({
    method: 'GET',
    url: '/orgs/:org/usage/collection',
    permission: 'read',
    org: true,
    tag: 'usage',
    summary: 'Where usage collection stands',
    description: 'Whether GitHub gives CEOS the organization\'s usage reports (with GitHub\'s message when it does not), the newest day collected and how many days had data.',
    params: orgParams,
    response: collectionStatus,
    async handler({ installation, deps }) {
      const s = await readUsageCollectionStatus(deps.db, installation.org);
      return {
        status: s.status,
        http_status: s.httpStatus,
        message: s.message,
        status_at: iso(s.statusAt),
        last_attempt_at: iso(s.lastAttemptAt),
        last_data_day: s.lastDataDay,
        days_with_data: s.daysWithData,
        days_without_data: s.daysWithoutData,
      };
    },
  })),
];
