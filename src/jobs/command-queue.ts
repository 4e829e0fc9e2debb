import { type PgBoss, fromKysely } from 'pg-boss';
import type { Transaction } from 'kysely';
import { z } from 'zod';
import type { Database } from '../db/schema.js';

/** Queue of `/copilot` comments to carry out: one job per comment. */
export const COMMAND_QUEUE = 'copilot-command';

/** A command job's data, validated when the job is taken. */
export const commandJobSchema = z.object({
  /** Organization key, for logs and grouping. */
  org: z.string().min(1),
  /** GitHub id of the comment whose commands to run (text: ids outgrow JavaScript's safe integers one day). */
  commentId: z.string().regex(/^\d+$/, 'commentId must be the comment id in digits'),
});

/** A command job's data. */
export type CommandJob = z.output<typeof commandJobSchema>;

/** Retry policy of the command queue; tests shorten it. */
export interface CommandQueueOptions {
  /** Retries after the first attempt. */
  retryLimit?: number;
  /** Seconds before the first retry (doubling after). */
  retryDelay?: number;
}

/** Creates the command queue and its dead-letter queue. */
export async function createCommandQueue(boss: PgBoss, options: CommandQueueOptions = {}): Promise<void> {
  // The dead-letter queue must exist before the queue that names it.
  await boss.createQueue(`${COMMAND_QUEUE}-dead`, { retentionSeconds: 30 * 24 * 3600 });
  await boss.createQueue(COMMAND_QUEUE, {
    retryLimit: options.retryLimit ?? 3,
    retryDelay: options.retryDelay ?? 10,
    retryBackoff: true,
    retryDelayMax: 600,
    expireInSeconds: 900,
    deadLetter: `${COMMAND_QUEUE}-dead`,
  });
}

/**
 * Queues a comment's commands in the transaction that recorded them, so the record and its job
 * commit together or not at all.
 */
export async function enqueueCommentCommands(boss: PgBoss, trx: Transaction<Database>, data: CommandJob): Promise<string | null> {
  const job = commandJobSchema.parse(data);
  return boss.send(COMMAND_QUEUE, job, { db: fromKysely(trx) });
}
