import { DOMAIN_EVENTS_CHANNEL } from '../../db/domain-events.js';
import { NOTIFICATIONS_CHANNEL, countMessagesByState } from '../../db/notification-messages.js';
import { NotificationSender, type SenderOptions } from '../../notifications/notification-sender.js';
import { DEFAULT_RETRY_SCHEDULE_SECONDS } from '../../notifications/retry-schedule.js';
import { secretBoxOf } from '../../security/secret-box-config.js';
import { defineCapability } from '../capability.js';

/** Five days of failures disable an endpoint. */
const DISABLE_AFTER_SECONDS = 5 * 86_400;

/**
 * Notification webhooks: a sender on every instance with workers turns outbox events into
 * messages and delivers them, woken by the outbox's and its own NOTIFY and a short poll for
 * retries. Its failures never touch `/readyz`: an endpoint that is down is the endpoint's
 * problem, told by a metric and a log line. Tests may pass `notifications` (SenderOptions) in the
 * start options to shorten the schedule.
 */
export const notificationsCapability = defineCapability({
  name: 'notifications',
  register({ config, database, metrics, log, options }) {
    metrics.sources.notificationMessages = () => countMessagesByState(database.db);
    let stop: (() => Promise<void>) | undefined;
    return {
      async start() {
        if (!config.workersEnabled) return;
        const settings: SenderOptions = {
          timeoutMs: config.notifications.timeoutMs,
          perEndpoint: config.notifications.concurrencyPerEndpoint,
          maxInFlight: 64,
          leaseSeconds: Math.ceil(config.notifications.timeoutMs / 1000) + 50,
          retrySchedule: DEFAULT_RETRY_SCHEDULE_SECONDS,
          disableAfterSeconds: DISABLE_AFTER_SECONDS,
          allowPrivate: config.notifications.allowPrivateTargets,
          publicUrl: config.dashboard.publicUrl,
          pollIntervalMs: 5000,
          ...(options.notifications as Partial<SenderOptions> | undefined),
        };
        const sender = new NotificationSender(database.db, secretBoxOf(config.notifications), log.child({ component: 'notifications' }), metrics, settings);
        const unlistenEvents = await database.listen(DOMAIN_EVENTS_CHANNEL, () => sender.wake());
        const unlistenMessages = await database.listen(NOTIFICATIONS_CHANNEL, () => sender.wake());
        sender.start();
        stop = async () => {
          await unlistenEvents();
          await unlistenMessages();
          await sender.stop();
        };
      },
      shutdown: async () => stop?.(),
    };
  },
});
