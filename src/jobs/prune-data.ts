import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { RetentionConfig } from '../app/config.js';
import {
  MIRROR_TABLES,
  deleteDeadLetters,
  deleteDispatchedEvents,
  deleteMirrorRows,
  deleteOldPlans,
  deleteProcessedDeliveries,
  dropDeliveryPayloads,
  uninstalledOrgs,
} from '../db/retention.js';
import type { Database } from '../db/schema.js';

/** The pg-boss queue of the prune job; scheduled in the database, so it runs once per cluster. */
export const PRUNE_DATA_QUEUE = 'prune-data';

/** What one kind of data lost in a run: rows changed and the batches it took. */
export interface PruneStep {
  rows: number;
  batches: number;
}

/** The outcome of one prune run, per kind of data. */
export interface PruneResult {
  payloadsDropped: PruneStep;
  deliveriesDeleted: PruneStep;
  deadLettersDeleted: PruneStep;
  domainEventsDeleted: PruneStep;
  plansDeleted: PruneStep;
  /** Organizations whose mirror was purged, after their grace period. */
  mirrorsPurged: string[];
  mirrorRowsDeleted: PruneStep;
}

/** What the prune needs: the database, the retention settings, the clock, and a way to stop early. */
export interface PruneDeps {
  db: Kysely<Database>;
  retention: RetentionConfig;
  log: Logger;
  now: Date;
  /** Aborted when the job runs out of time: the run stops between batches (the next run resumes). */
  signal?: AbortSignal;
}

const DAY_MS = 24 * 3600 * 1000;

function daysBefore(now: Date, days: number): Date {
  return new Date(now.getTime() - days * DAY_MS);
}

/** Runs `step` batch after batch until a batch comes back short (nothing left) or the run is aborted. */
async function inBatches(limit: number, signal: AbortSignal | undefined, step: () => Promise<number>): Promise<PruneStep> {
  const total: PruneStep = { rows: 0, batches: 0 };
  while (!signal?.aborted) {
    const rows = await step();
    total.batches++;
    total.rows += rows;
    if (rows < limit) break;
  }
  return total;
}

/**
 * Applies the retention settings: drops the payloads of old processed deliveries, deletes old
 * processed deliveries, old dead letters, dispatched domain events and old plans, and purges the
 * mirror of organizations that uninstalled the app longer ago than the grace period. Each delete
 * is a batch of its own (see src/db/retention.ts). The audit log is never pruned.
 */
export async function pruneData(deps: PruneDeps): Promise<PruneResult> {
  const { db, retention: r, now, signal } = deps;
  const n = r.batchSize;
  // Rows first: a payload is not worth rewriting in the run that deletes its row.
  const deliveriesDeleted = await inBatches(n, signal, () => deleteProcessedDeliveries(db, daysBefore(now, r.deliveryDays), n));
  const payloadsDropped = await inBatches(n, signal, () => dropDeliveryPayloads(db, daysBefore(now, r.deliveryPayloadDays), n));
  const deadLettersDeleted = await inBatches(n, signal, () => deleteDeadLetters(db, daysBefore(now, r.deadLetterDays), n));
  const domainEventsDeleted = await inBatches(n, signal, () => deleteDispatchedEvents(db, daysBefore(now, r.domainEventDays), n));
  const plansDeleted = await inBatches(n, signal, () => deleteOldPlans(db, daysBefore(now, r.planDays), n));

  const mirrorRowsDeleted: PruneStep = { rows: 0, batches: 0 };
  const mirrorsPurged: string[] = [];
  for (const org of await uninstalledOrgs(db, daysBefore(now, r.uninstalledMirrorDays))) {
    let rows = 0;
    for (const table of MIRROR_TABLES) {
      const step = await inBatches(n, signal, () => deleteMirrorRows(db, table, org, n));
      mirrorRowsDeleted.batches += step.batches;
      rows += step.rows;
    }
    mirrorRowsDeleted.rows += rows;
    // Purging is idempotent: an organization already purged finds nothing and is not reported.
    if (rows > 0) {
      mirrorsPurged.push(org);
      deps.log.info({ org, rows }, 'mirror of an uninstalled organization purged');
    }
  }
  return { payloadsDropped, deliveriesDeleted, deadLettersDeleted, domainEventsDeleted, plansDeleted, mirrorsPurged, mirrorRowsDeleted };
}
