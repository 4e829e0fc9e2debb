import { DELIVERIES_CHANNEL, oldestDueDeliveryAgeSeconds } from '../../db/deliveries.js';
import { logJobFailures } from '../../jobs/log-job-failures.js';
import { DeliveryWorker, type ProcessDelivery } from '../../engine/delivery-worker.js';
import { runWithinDeadline } from '../../engine/run-within-deadline.js';
import { RECOVER_DELIVERIES_QUEUE, recoverDeliveries } from '../../jobs/recover-deliveries.js';
import { type Capability, defineCapability } from '../capability.js';
import { hasAppCredentials } from '../config.js';
import { traceDeliveries } from '../tracing-deliveries.js';

/** The deliveries capability, with its worker when this process runs one. */
export interface DeliveriesCapability extends Capability {
  /** The delivery worker, when this process processes deliveries. */
  worker(): DeliveryWorker | undefined;
}

/**
 * Processing of stored deliveries: the delivery worker claims inbox rows and runs them through
 * the product's handlers (woken by the database's NOTIFY and by this process's intake), and the
 * scheduled recovery job asks GitHub to redeliver what never reached the inbox.
 */
export function deliveriesCapability(): DeliveriesCapability {
  let worker: DeliveryWorker | undefined;
  const stops: (() => Promise<void>)[] = [];
  return {
    ...defineCapability({
      name: 'deliveries',
      register({ config, database, metrics, options: startOptions }) {
        const pollIntervalMs = startOptions.pollIntervalMs ?? 2000;
        // Read from the shared table, so every instance reports the same lag.
        metrics.sources.oldestDueDeliverySeconds = () => oldestDueDeliveryAgeSeconds(database.db);
        return {
          queues: [
            {
              name: RECOVER_DELIVERIES_QUEUE,
              // The heartbeat has a run of a process that died retried within a minute or so, not after its expiry.
              options: { policy: 'singleton', retryLimit: 3, retryDelay: 60, retryBackoff: true, expireInSeconds: 600, heartbeatSeconds: 30 },
            },
          ],
          async startWorkers({ database, probot, metrics, log, boss, signals }) {
            const receive = probot.receive.bind(probot);
            const processDelivery: ProcessDelivery = ({ id, name, payload }) => receive({ id, name, payload } as Parameters<typeof receive>[0]);
            const active = new DeliveryWorker(
              database.db,
              config.tracing.tracesUrl ? traceDeliveries(processDelivery) : processDelivery,
              {
                concurrency: config.workerConcurrency,
                leaseSeconds: config.deliveryLeaseSeconds,
                deadlineSeconds: config.deliveryDeadlineSeconds,
                maxAttempts: config.deliveryMaxAttempts,
                retryBaseSeconds: config.deliveryRetryBaseSeconds,
                pollIntervalMs,
                busyConcurrency: config.workerBusyConcurrency,
                busyRatePerSecond: config.workerBusyRate,
                maxLagSeconds: config.workerMaxLagSeconds,
              },
              metrics,
              log.child({ component: 'deliveries' }),
            );
            worker = active;
            const unlisten = await database.listen(DELIVERIES_CHANNEL, () => active.wake());
            const unsignal = signals.on('deliveries.stored', () => active.intakeStored());
            stops.push(async () => {
              unsignal();
              await unlisten();
            });
            active.start();
            stops.push(() => active.stop(config.shutdownTimeoutSeconds * 1000));

            await boss.work(
              RECOVER_DELIVERIES_QUEUE,
              logJobFailures(
                RECOVER_DELIVERIES_QUEUE,
                { log, metrics },
                runWithinDeadline(boss, RECOVER_DELIVERIES_QUEUE, log, async () => {
                  const result = await recoverDeliveries({ octokit: await probot.auth(), db: database.db, log, now: new Date() });
                  log.info(result, 'missed-delivery recovery finished');
                  return result;
                }),
              ),
            );
            // At start too, so deliveries missed while no instance ran are asked for at once.
            await boss.send(RECOVER_DELIVERIES_QUEUE, {}, { singletonKey: 'startup', singletonSeconds: 60 });
          },
          // Scheduled in the database, so one run happens per schedule however many instances run.
          schedules: [{ queue: RECOVER_DELIVERIES_QUEUE, cron: config.recoverySchedule }],
          readiness: [
            async () => {
              const needed = config.workersEnabled && hasAppCredentials(config);
              if (!needed) return { name: 'queue', ok: true };
              if (!worker?.running) return { name: 'queue', ok: false, detail: 'workers not running' };
              // A worker polls every interval (or sooner, when woken): two intervals without one
              // successful claim or sweep mean it cannot reach its work.
              const last = worker.lastPollAt;
              const ok = last !== undefined && Date.now() - last <= 2 * pollIntervalMs + 1000;
              const detail = last === undefined ? 'workers have not polled yet' : `workers last polled ${((Date.now() - last) / 1000).toFixed(1)} s ago`;
              return { name: 'queue', ok, detail: ok ? undefined : detail };
            },
          ],
          async shutdown() {
            for (const stop of stops.reverse()) await stop();
          },
        };
      },
    }),
    worker: () => worker,
  };
}
