import { type NewDelivery, insertDeliveries, insertTracedDeliveries, preparedDeliveryInsert, preparedTracedDeliveryInsert } from '../../db/deliveries.js';
import { type DeliveryInbox, createDeliveryInbox } from '../../intake/delivery-inbox.js';
import { webhookRoute } from '../../intake/webhook-route.js';
import { type Capability, defineCapability } from '../capability.js';
import { traceWebhookRequests } from '../tracing-intake.js';

/** The intake capability, with the inbox it writes through (the process exposes it to tests and tools). */
export interface IntakeCapability extends Capability {
  /** The inbox, once registered. */
  inbox(): DeliveryInbox;
}

/**
 * The webhook intake: `POST /api/github/webhooks` verifies each delivery and records it in the
 * inbox through grouped commits, answering only after the commit. Runs on every instance, workers
 * or not. Stopping waits for every delivery already submitted to be committed.
 */
export function intakeCapability(): IntakeCapability {
  let inbox: DeliveryInbox | undefined;
  return {
    ...defineCapability({
      name: 'intake',
      register({ config, database, metrics, log, signals }) {
        const pool = database.pool;
        const traced = config.tracing.tracesUrl !== undefined;
        // Traced, each row carries its trace context; untraced, the insert is the intake's fastest.
        const insert = traced
          ? pool
            ? preparedTracedDeliveryInsert(pool)
            : (rows: readonly NewDelivery[]) => insertTracedDeliveries(database.db, rows)
          : pool
            ? preparedDeliveryInsert(pool)
            : (rows: readonly NewDelivery[]) => insertDeliveries(database.db, rows);
        const created = createDeliveryInbox(insert, () => signals.emit('deliveries.stored'), {
          maxBatch: config.intakeMaxBatch,
          maxBatchBytes: 8 * 1024 * 1024,
          maxInFlight: config.intakeMaxInFlight,
          maxWaiting: config.intakeMaxWaiting,
          maxWaitingBytes: config.intakeMaxWaitingBytes,
        });
        inbox = created;
        metrics.sources.intakeWaiting = () => created.waiting();
        return {
          routes: (server) =>
            webhookRoute(server, {
              traceDelivery: traced ? traceWebhookRequests(server) : undefined,
              secrets: config.webhookSecrets,
              inbox: created,
              metrics,
              log,
              maxBytes: config.webhookMaxBytes,
              commitDeadlineMs: config.intakeCommitDeadlineMs,
            }),
          shutdown: () => created.idle(),
        };
      },
    }),
    inbox() {
      if (!inbox) throw new Error('the intake capability is not registered yet');
      return inbox;
    },
  };
}
