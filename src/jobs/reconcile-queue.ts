import type { PgBoss } from 'pg-boss';
import { z } from 'zod';

/** Queue of reconciliation runs (a full sync is a run that refreshes the member graph first). */
export const RECONCILE_QUEUE = 'reconcile-org';
/** Queue of the scheduled full resync of every organization. */
export const RESYNC_ALL_QUEUE = 'resync-all';

/** Where a run's outcome is reported. */
export const reportTargetSchema = z.discriminatedUnion('kind', [
  /** `ceos/reconcile` check run on a pushed commit. */
  z.object({ kind: z.literal('reconcile_check'), repo: z.string(), sha: z.string() }),
  /** `ceos/compliance` check run on the policy repository's default branch. */
  z.object({ kind: z.literal('compliance_check') }),
  /** A reply to a slash command. */
  z.object({ kind: z.literal('command_reply'), commandId: z.string() }),
  z.object({ kind: z.literal('none') }),
]);

/** A reconciliation job's data, validated when the job is taken. */
export const reconcileJobSchema = z.object({
  org: z.string().min(1),
  installationId: z.number().int().positive(),
  trigger: z.enum(['install', 'schedule', 'resync', 'webhook', 'push', 'command', 'api', 'cli']),
  actor: z.string().min(1),
  /** Read members and teams from GitHub before planning, not only seats. */
  refreshGraph: z.boolean().default(false),
  /** Apply the plan when the policy is in enforce mode; false only plans. */
  apply: z.boolean().default(true),
  report: reportTargetSchema.default({ kind: 'none' }),
  /** Carry out an owner's confirmation of this held plan: cancel what it held that is still due. */
  confirmPlanId: z.string().uuid().optional(),
});

export type ReconcileJobData = z.input<typeof reconcileJobSchema>;
export type ReconcileJob = z.output<typeof reconcileJobSchema>;

/** Seconds a burst of membership webhooks is gathered into one run. */
export const DEBOUNCE_SECONDS = 30;

/**
 * Queues a reconciliation for an organization. All runs of one organization share a group that
 * workers take one at a time, across instances. A debounced run (membership webhooks) waits
 * DEBOUNCE_SECONDS, and every further request while it waits folds into it: one run per burst,
 * however the burst falls across clock slots, and no later than DEBOUNCE_SECONDS after its first
 * change. Returns the id of the job that will run, or null.
 */
export async function enqueueReconcile(
  boss: PgBoss,
  data: ReconcileJobData,
  options: { debounce?: boolean; db?: Parameters<PgBoss['send']>[2] extends infer O ? O extends { db?: infer D } ? D : never : never } = {},
): Promise<string | null> {
  const job = reconcileJobSchema.parse(data);
  const connection = options.db ? { db: options.db } : {};
  if (options.debounce) {
    const key = `debounce:${job.org}`;
    const [waiting] = await boss.findJobs(RECONCILE_QUEUE, { key, queued: true, limit: 1, ...connection });
    if (waiting) return waiting.id;
    // Upsert, not send: pg-boss keeps one waiting job per key, so handlers racing here insert one.
    const result = await boss.upsert(RECONCILE_QUEUE, job, {
      singletonKey: key,
      startAfter: DEBOUNCE_SECONDS,
      group: { id: job.org },
      ...connection,
    });
    return result.jobs[0] ?? null;
  }
  return boss.send(RECONCILE_QUEUE, job, { group: { id: job.org }, ...connection });
}
