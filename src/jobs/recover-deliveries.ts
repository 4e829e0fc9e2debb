import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { ProbotOctokit } from 'probot';
import { storedDeliveryIds } from '../db/deliveries.js';
import { readCheckpoint, writeCheckpoint } from '../db/recovery-state.js';
import type { Database } from '../db/schema.js';

/** Queue of the missed-delivery recovery job. */
export const RECOVER_DELIVERIES_QUEUE = 'recover-deliveries';

const CHECKPOINT = 'github-deliveries';
// GitHub keeps deliveries for three days; nothing older can be redelivered.
const RETENTION_MS = 3 * 24 * 3600 * 1000;
// Rescanned behind the checkpoint: a delivery GitHub was still attempting during the last scan.
const OVERLAP_MS = 3600 * 1000;

/** One webhook delivery attempt as GitHub lists it. */
interface HookDelivery {
  id: number;
  guid: string;
  delivered_at: string;
  status_code: number;
  event: string;
}

/** What a recovery run did. */
export interface RecoveryResult {
  scanned: number;
  missing: number;
  redelivered: number;
  failed: number;
}

/**
 * Finds deliveries GitHub recorded with no successful attempt and that were never stored here
 * (the app was down, or answered with an error), and asks GitHub to deliver them again. GitHub
 * never retries on its own. The scan walks newest first and stops at the previous run's
 * checkpoint (less an overlap) or at GitHub's retention, and the checkpoint advances only when a
 * run completes, so an interrupted run is simply done again.
 */
export async function recoverDeliveries(deps: {
  octokit: InstanceType<typeof ProbotOctokit>;
  db: Kysely<Database>;
  log: Logger;
  now: Date;
}): Promise<RecoveryResult> {
  const { octokit, db, log, now } = deps;
  const checkpoint = await readCheckpoint(db, CHECKPOINT);
  const stopAt = Math.max(now.getTime() - RETENTION_MS, checkpoint ? checkpoint.getTime() - OVERLAP_MS : 0);

  const attempts = new Map<string, { ok: boolean; latestId: number; event: string }>();
  let newest: number | undefined;
  let scanned = 0;
  scan: for await (const page of octokit.paginate.iterator('GET /app/hook/deliveries', { per_page: 100 })) {
    for (const item of page.data as HookDelivery[]) {
      const deliveredAt = Date.parse(item.delivered_at);
      if (deliveredAt < stopAt) break scan;
      scanned++;
      newest = Math.max(newest ?? deliveredAt, deliveredAt);
      const ok = item.status_code >= 200 && item.status_code < 300;
      const seen = attempts.get(item.guid);
      if (!seen) attempts.set(item.guid, { ok, latestId: item.id, event: item.event });
      else {
        seen.ok ||= ok;
        // Newest first: the first attempt seen is the latest one.
      }
    }
  }

  const unsuccessful = [...attempts.entries()].filter(([, a]) => !a.ok).map(([guid]) => guid);
  const stored = await storedDeliveryIds(db, unsuccessful);
  const missing = unsuccessful.filter((guid) => !stored.has(guid));
  let redelivered = 0;
  let failed = 0;
  for (const guid of missing) {
    const attempt = attempts.get(guid)!;
    try {
      await octokit.request('POST /app/hook/deliveries/{delivery_id}/attempts', { delivery_id: attempt.latestId });
      redelivered++;
      log.info({ delivery: guid, event: attempt.event }, 'asked GitHub to redeliver a missed delivery');
    } catch (error) {
      failed++;
      log.warn({ err: error, delivery: guid }, 'redelivery request failed');
    }
  }
  if (newest !== undefined && failed === 0) await writeCheckpoint(db, CHECKPOINT, new Date(newest));
  return { scanned, missing: missing.length, redelivered, failed };
}
