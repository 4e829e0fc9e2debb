import { createHash } from 'node:crypto';
import type { Probot } from 'probot';
import { orgKey } from '../db/installations.js';
import { FIRST_RUN_DAYS, addDays, utcDay } from '../domain/usage/collection-days.js';
import { enqueueUsageCollection } from '../jobs/collect-usage-queue.js';
import type { HandlerDeps } from './handler-deps.js';
import { installationEventSchema, isEnterprise, parsePayload } from './payload-schemas.js';

/** Seconds the backfill waits for the installation's own handler to record it. */
const INSTALL_SETTLE_SECONDS = 3;

/** A uuid of a delivery's backfill: a redelivered webhook names the same job, which pg-boss keeps once. */
function backfillJobId(delivery: string): string {
  const hex = createHash('sha256').update(`usage-backfill:${delivery}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/**
 * Installing CEOS on an organization (or accepting new permissions, such as the metrics one)
 * queues a backfill of the last 28 days of usage. Enterprise and user accounts are not collected.
 */
export function registerUsageBackfillHandler(app: Probot, { boss, log }: Pick<HandlerDeps, 'boss' | 'log'>, now: () => Date = () => new Date()): void {
  app.on(['installation.created', 'installation.new_permissions_accepted'], async (context) => {
    const payload = parsePayload(installationEventSchema, `installation.${context.payload.action}`, context.payload);
    const account = payload.installation.account;
    if (account === null || isEnterprise(payload.installation) || !account.login) return;
    if ((account.type ?? payload.installation.target_type ?? 'Organization') !== 'Organization') return;
    const today = utcDay(now());
    const from = addDays(today, -FIRST_RUN_DAYS);
    const job = await enqueueUsageCollection(
      boss,
      { org: orgKey(account.login), installationId: payload.installation.id, trigger: 'install', actor: payload.sender?.login ?? 'github', from, to: addDays(today, -1) },
      // The installation is recorded by its own handler of this delivery, which runs beside this
      // one: starting a few seconds later lets it commit first (the job retries if it has not).
      { id: backfillJobId(context.id), startAfterSeconds: INSTALL_SETTLE_SECONDS },
    );
    log.info({ org: orgKey(account.login), installation: payload.installation.id, job, from, delivery: context.id }, 'usage backfill queued');
  });
}
