import type { Job, PgBoss } from 'pg-boss';
import type { Logger } from 'pino';
import { JobDeadline, runWithDeadline } from './job-deadline.js';

/** What a job handed back to its queue resolves to (stored as the finished job's output). */
export interface GivenBack {
  givenBack: true;
  /** Seconds until the copy sent back to the queue may start. */
  retryInSeconds: number;
  /** Ids of the copies. */
  jobs: (string | null)[];
}

/**
 * Wraps a pg-boss work handler so that the attempt runs under a {@link JobDeadline} built from the
 * job: pg-boss aborts `job.signal` when the job exceeds `expireInSeconds` (and fails it, to be
 * retried), and every GitHub request the handler makes carries that signal, so an expired attempt
 * cannot go on changing GitHub beside its retry. A rate-limit wait that would outlast the job's
 * time is not slept: the job is handed back, a copy with the same data and group sent to the queue
 * to start once GitHub takes requests again, and this attempt ends without counting as a failure.
 */
export function runWithinDeadline<J extends Job<any>, R>(
  boss: Pick<PgBoss, 'send'>,
  queue: string,
  log: Pick<Logger, 'warn'>,
  handler: (jobs: J[]) => Promise<R>,
): (jobs: J[]) => Promise<R | GivenBack> {
  return async (jobs) => {
    const seconds = Math.min(...jobs.map((job) => job.expireInSeconds));
    const signal = jobs.length === 1 ? jobs[0]!.signal : AbortSignal.any(jobs.map((job) => job.signal));
    const deadline = new JobDeadline(Date.now() + seconds * 1000, signal);
    try {
      return await runWithDeadline(deadline, () => handler(jobs));
    } catch (error) {
      const retryInSeconds = deadline.giveBackSeconds;
      // An attempt pg-boss already expired has been failed and will be retried: nothing to hand back.
      if (retryInSeconds === undefined || deadline.signal.aborted) throw error;
      const copies: (string | null)[] = [];
      for (const job of jobs) {
        const group = job.groupId ? { group: { id: job.groupId, ...(job.groupTier ? { tier: job.groupTier } : {}) } } : {};
        copies.push(await boss.send(queue, job.data as object, { startAfter: retryInSeconds, ...group }));
      }
      log.warn({ queue, jobs: jobs.map((j) => j.id), retryInSeconds, copies, err: error }, 'job handed back until GitHub takes requests again');
      return { givenBack: true, retryInSeconds, jobs: copies };
    }
  };
}
