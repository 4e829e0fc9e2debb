import { PRUNE_DATA_QUEUE, pruneData } from '../../jobs/prune-data.js';
import { logJobFailures } from '../../jobs/log-job-failures.js';
import { defineCapability } from '../capability.js';

const DAY_SECONDS = 24 * 3600;

/**
 * Data lifecycle: the prune job applies the retention settings (`config.retention`) on its
 * schedule, kept by pg-boss in the database so one instance runs it per cluster, and pg-boss keeps
 * finished jobs for `retention.jobDays`. It needs only the database, so it runs on every instance
 * with workers, configured for GitHub or not. List it after the capabilities whose queues it tunes.
 */
export const lifecycleCapability = defineCapability({
  name: 'lifecycle',
  register({ config, boss, db, log, metrics }) {
    const jobRetention = { deleteAfterSeconds: config.retention.jobDays * DAY_SECONDS };
    return {
      queues: [
        {
          name: PRUNE_DATA_QUEUE,
          // One run at a time; an hour is far more than a run needs, and a run that is stopped
          // between batches loses nothing (the next one resumes).
          options: { policy: 'singleton', retryLimit: 2, retryDelay: 300, expireInSeconds: 3600, ...jobRetention },
        },
      ],
      async start() {
        // pg-boss deletes completed and failed jobs this long after they finish (its default is 7
        // days); set on every queue, so the setting is one decision rather than each queue's.
        for (const queue of await boss.getQueues()) {
          if (queue.deleteAfterSeconds !== jobRetention.deleteAfterSeconds) await boss.updateQueue(queue.name, jobRetention);
        }
        if (!config.workersEnabled) return;
        const pruneLog = log.child({ component: 'prune' });
        await boss.work(
          PRUNE_DATA_QUEUE,
          { batchSize: 1 },
          logJobFailures(PRUNE_DATA_QUEUE, { log, metrics }, async ([job]) => {
            const result = await pruneData({ db, retention: config.retention, log: pruneLog, now: new Date(), signal: job?.signal });
            pruneLog.info(result, 'prune finished');
            return result;
          }),
        );
        await boss.schedule(PRUNE_DATA_QUEUE, config.pruneSchedule);
      },
    };
  },
});
