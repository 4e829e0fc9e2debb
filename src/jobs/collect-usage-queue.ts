import type { PgBoss } from 'pg-boss';
import { z } from 'zod';

/** Queue of usage collections, one job per organization and run. */
export const COLLECT_USAGE_QUEUE = 'collect-usage';
/** Queue of the daily run that queues a collection for every active installation. */
export const COLLECT_USAGE_ALL_QUEUE = 'collect-usage-all';

const day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a YYYY-MM-DD day').refine((d) => !Number.isNaN(Date.parse(`${d}T00:00:00Z`)), 'must be a real day');

/** A usage collection job's data, validated when it is queued and when it is taken. */
export const collectUsageJobSchema = z.object({
  org: z.string().min(1),
  installationId: z.number().int().positive(),
  trigger: z.enum(['schedule', 'install', 'api', 'cli']),
  actor: z.string().min(1),
  /** First day to collect; without it, DECISIONS 14 decides (last day with data, or 28 days back). */
  from: day.optional(),
  /** Last day to collect; yesterday without it. */
  to: day.optional(),
});

export type CollectUsageJobData = z.input<typeof collectUsageJobSchema>;
export type CollectUsageJob = z.output<typeof collectUsageJobSchema>;

/** Seconds a collection may run: 28 days of a 20,000-person organization take a few minutes. */
export const COLLECT_USAGE_EXPIRE_SECONDS = 1800;

/** The usage queues and their policies (dead letters first: the queue that names one needs it). */
export const USAGE_QUEUE_SPECS = [
  { name: `${COLLECT_USAGE_QUEUE}-dead`, options: { retentionSeconds: 30 * 24 * 3600 } },
  {
    name: COLLECT_USAGE_QUEUE,
    options: {
      retryLimit: 5,
      retryDelay: 60,
      retryBackoff: true,
      retryDelayMax: 3600,
      expireInSeconds: COLLECT_USAGE_EXPIRE_SECONDS,
      deadLetter: `${COLLECT_USAGE_QUEUE}-dead`,
      notify: true,
    },
  },
  { name: COLLECT_USAGE_ALL_QUEUE, options: { policy: 'singleton' as const, retryLimit: 2, retryDelay: 300 } },
];

/** Creates the usage queues (for processes that queue collections without running workers, as the CLI). */
export async function createUsageQueues(boss: Pick<PgBoss, 'createQueue'>): Promise<void> {
  for (const spec of USAGE_QUEUE_SPECS) await boss.createQueue(spec.name, spec.options);
}

/**
 * Queues a collection. Collections of one organization share a group that workers take one at a
 * time, so two never replace the same day at once. `id` makes queuing idempotent (a redelivered
 * installation webhook queues its backfill once). Returns the job id, or null when `id` was taken.
 */
export async function enqueueUsageCollection(
  boss: Pick<PgBoss, 'send'>,
  data: CollectUsageJobData,
  options: { db?: Parameters<PgBoss['send']>[2] extends infer O ? (O extends { db?: infer D } ? D : never) : never; id?: string; startAfterSeconds?: number } = {},
): Promise<string | null> {
  const job = collectUsageJobSchema.parse(data);
  return boss.send(COLLECT_USAGE_QUEUE, job, {
    group: { id: job.org },
    ...(options.db ? { db: options.db } : {}),
    ...(options.id ? { id: options.id } : {}),
    ...(options.startAfterSeconds ? { startAfter: options.startAfterSeconds } : {}),
  });
}
