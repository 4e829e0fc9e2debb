import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Metrics } from '../app/metrics.js';
import { type ClaimedMessage, claimDueMessages, pruneMessages, recordAttempt } from '../db/notification-messages.js';
import { findSubscription } from '../db/notification-subscriptions.js';
import type { Database } from '../db/schema.js';
import type { SecretBox } from '../security/secret-box.js';
import { fanOutPending } from './fan-out.js';
import { retryDelaySeconds } from './retry-schedule.js';
import { type SendOutcome, sendRequest } from './send-request.js';
import { standardHeaders } from './sign-standard.js';
import { openSubscriptionSecrets, openSubscriptionUrl } from './subscription-secrets.js';
import { type Resolver, UnsafeTargetError, parseWebhookUrl, resolveSafeTarget } from './target-safety.js';

/** How the sender behaves; every duration can be shortened for tests. */
export interface SenderOptions {
  /** Milliseconds one request may take (10 s by default). */
  timeoutMs: number;
  /** Requests in flight per endpoint, across every instance. */
  perEndpoint: number;
  /** Requests in flight in this process. */
  maxInFlight: number;
  /** Seconds a claim holds a message before another instance may take it (its process died). */
  leaseSeconds: number;
  /** Seconds before each retry (DEFAULT_RETRY_SCHEDULE_SECONDS). */
  retrySchedule: readonly number[];
  /** Seconds of uninterrupted failure after which an endpoint is disabled (five days). */
  disableAfterSeconds: number;
  allowPrivate: boolean;
  /** CEOS's public origin, for the dashboard links of chat messages. */
  publicUrl: string | undefined;
  /** How often to look for retries that came due. */
  pollIntervalMs: number;
  /** Days delivered and dead messages are kept (30). */
  retainDays?: number;
  resolver?: Resolver;
}

/**
 * Sends notifications: fans outbox events out into messages, then claims due messages and sends
 * each (signed, to a checked address, with a timeout), recording every attempt. Sends run side by
 * side up to `maxInFlight`, at most `perEndpoint` per endpoint, so a slow endpoint holds its own
 * slots and no one else's. Any number of instances may run it on one database.
 */
export class NotificationSender {
  readonly workerId = `notify-${randomUUID()}`;
  #running = false;
  #pumping = false;
  #again = false;
  #timer: NodeJS.Timeout | undefined;
  readonly #inFlight = new Set<Promise<void>>();
  #pump: Promise<void> = Promise.resolve();
  #prunedAt = 0;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly box: SecretBox | undefined,
    private readonly log: Logger,
    private readonly metrics: Metrics,
    private readonly options: SenderOptions,
  ) {}

  start(): void {
    this.#running = true;
    this.wake();
  }

  /** Looks for work now (an event was recorded, a message replayed, a send finished). */
  wake(): void {
    if (!this.#running) return;
    if (this.#pumping) {
      this.#again = true;
      return;
    }
    this.#pump = this.#run();
  }

  /** Stops claiming and waits for the sends in flight (each ends within its timeout). */
  async stop(): Promise<void> {
    this.#running = false;
    clearTimeout(this.#timer);
    await this.#pump;
    await Promise.allSettled([...this.#inFlight]);
  }

  async #run(): Promise<void> {
    this.#pumping = true;
    clearTimeout(this.#timer);
    try {
      do {
        this.#again = false;
        const fanned = await fanOutPending(this.db, { publicUrl: this.options.publicUrl });
        if (fanned.events === 500) this.#again = true;
        const room = this.options.maxInFlight - this.#inFlight.size;
        const claimed = await claimDueMessages(this.db, {
          workerId: this.workerId,
          limit: room,
          perEndpoint: this.options.perEndpoint,
          leaseSeconds: this.options.leaseSeconds,
        });
        for (const message of claimed) {
          const sending: Promise<void> = this.#send(message)
            .catch((error: unknown) => this.log.error({ err: error, subscription: message.subscriptionId, message: message.id }, 'sending a notification failed unexpectedly'))
            .finally(() => {
              this.#inFlight.delete(sending);
              this.wake();
            });
          this.#inFlight.add(sending);
        }
      } while (this.#again && this.#running);
      // Old history goes in small deletes every ten minutes; whichever instance runs it, once is enough.
      if (Date.now() - this.#prunedAt > 600_000) {
        this.#prunedAt = Date.now();
        const pruned = await pruneMessages(this.db, this.options.retainDays ?? 30);
        if (pruned > 0) this.log.info({ pruned }, 'old notification messages pruned');
      }
    } catch (error) {
      this.log.error({ err: error }, 'notification fan-out or claim failed; retrying on the next poll');
    } finally {
      this.#pumping = false;
      if (this.#running) {
        this.#timer = setTimeout(() => this.wake(), this.options.pollIntervalMs);
        this.#timer.unref();
      }
    }
  }

  async #send(message: ClaimedMessage): Promise<void> {
    const subscription = await findSubscription(this.db, message.subscriptionId);
    if (!subscription) return; // Deleted meanwhile; its messages went with it.
    const started = performance.now();
    let outcome: SendOutcome;
    try {
      if (!this.box) throw new UnsafeTargetError('CEOS_ENCRYPTION_KEY is not set, so the stored URL cannot be opened');
      const url = parseWebhookUrl(openSubscriptionUrl(this.box, subscription));
      // Resolved and checked at every send: the name may point elsewhere than when it was created.
      const target = await resolveSafeTarget(url, this.options.allowPrivate, this.options.resolver);
      const headers =
        subscription.format === 'standard'
          ? standardHeaders(openSubscriptionSecrets(this.box, subscription, new Date()), message.id, Math.floor(Date.now() / 1000), message.body)
          : {};
      outcome = await sendRequest(url, target, headers, message.body, this.options.timeoutMs);
    } catch (error) {
      outcome = { status: null, error: error instanceof Error ? error.message : String(error) };
    }
    const ok = outcome.status !== null && outcome.status >= 200 && outcome.status < 300;
    const retryInSeconds = ok ? null : retryDelaySeconds(this.options.retrySchedule, message.attempt);
    const recorded = await recordAttempt(this.db, {
      messageId: message.id,
      subscriptionId: message.subscriptionId,
      workerId: this.workerId,
      attempt: message.attempt,
      status: outcome.status,
      error: outcome.error,
      durationMs: performance.now() - started,
      retryInSeconds,
      disableAfterSeconds: this.options.disableAfterSeconds,
    });
    const format = subscription.format;
    this.metrics.notificationAttempts.inc({ format, outcome: ok ? 'delivered' : 'failed' });
    const context = { subscription: subscription.id, message: message.id, type: message.type, attempt: message.attempt, status: outcome.status };
    if (ok) {
      this.log.debug(context, 'notification delivered');
    } else if (recorded.state === 'dead') {
      this.metrics.notificationsDeadLettered.inc({ format });
      this.log.error({ ...context, error: outcome.error }, 'notification dead-lettered after its last attempt; replay it once the endpoint works');
    } else if (recorded.state === 'pending') {
      this.log.warn({ ...context, error: outcome.error, retryInSeconds: Math.round(retryInSeconds ?? 0) }, 'notification attempt failed; it will be retried');
    }
    if (recorded.disabled) {
      this.metrics.notificationEndpointsDisabled.inc();
      this.log.error(
        { subscription: subscription.id, format, disableAfterHours: Math.round(this.options.disableAfterSeconds / 3600) },
        'notification endpoint disabled: every attempt failed for days; replay a delivery to turn it back on',
      );
    }
  }
}

