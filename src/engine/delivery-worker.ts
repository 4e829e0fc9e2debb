import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Metrics } from '../app/metrics.js';
import {
  type ClaimedDelivery,
  claimDueDeliveries,
  deadLetterAbandoned,
  markFailed,
  markProcessed,
} from '../db/deliveries.js';
import type { Database } from '../db/schema.js';
import { GroupCommit } from '../intake/group-commit.js';
import { isPermanentDeliveryError } from './permanent-delivery-error.js';

/** Runs one delivery through the webhook handlers; throws to fail the attempt. */
export type ProcessDelivery = (delivery: { id: string; name: string; payload: unknown }) => Promise<void>;

/** Options of the delivery worker. */
export interface DeliveryWorkerOptions {
  /** Deliveries processed at once. */
  concurrency: number;
  leaseSeconds: number;
  maxAttempts: number;
  /** Base of the exponential backoff between attempts, in seconds. */
  retryBaseSeconds: number;
  /** How often to look for due work when nothing wakes the worker (retries, expired leases). */
  pollIntervalMs: number;
}

/** Exponential backoff with jitter, capped at an hour: base·2^(attempt-1) ± 20 %. */
export function retryDelaySeconds(attempt: number, baseSeconds: number, random: () => number = Math.random): number {
  const raw = Math.min(3600, baseSeconds * 2 ** Math.max(0, attempt - 1));
  return Math.round(raw * (0.8 + 0.4 * random()) * 1000) / 1000;
}

/**
 * Drains the inbox: claims due deliveries in batches (FOR UPDATE SKIP LOCKED, so any number of
 * instances can share the table), runs each through the handlers, and records outcomes, grouping
 * completions into shared commits. It wakes on `wake()` (intake in this process, or a NOTIFY from
 * another) and otherwise polls, which is what picks up retries and deliveries whose worker died.
 */
export class DeliveryWorker {
  readonly workerId = `worker-${randomUUID()}`;
  #active = 0;
  #claiming = false;
  #wakeAgain = false;
  #running = false;
  #timer: NodeJS.Timeout | undefined;
  #lastSweep = 0;
  // Whether the last claim stopped for lack of room rather than of work: only then does a freed
  // slot look for more at once (otherwise a NOTIFY or the poll will).
  #backlog = false;
  #inFlight = new Set<Promise<void>>();
  #completions: GroupCommit<{ id: string; workerId: string }, undefined>;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly process: ProcessDelivery,
    private readonly options: DeliveryWorkerOptions,
    private readonly metrics: Metrics,
    private readonly log: Logger,
  ) {
    this.#completions = new GroupCommit(
      async (done) => {
        await markProcessed(db, done);
        return done.map(() => undefined);
      },
      { maxBatch: 1000, maxBatchBytes: Number.MAX_SAFE_INTEGER, maxInFlight: 1 },
    );
  }

  /** Whether the worker is taking work. */
  get running(): boolean {
    return this.#running;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.wake();
  }

  /** Looks for due work now. */
  wake(): void {
    if (!this.#running) return;
    if (this.#claiming) {
      this.#wakeAgain = true;
      return;
    }
    void this.#claim();
  }

  /**
   * Stops claiming and waits up to `timeoutMs` for deliveries in progress. Any still running after
   * that keep their lease and are taken over by another worker once it expires.
   */
  async stop(timeoutMs: number): Promise<void> {
    this.#running = false;
    clearTimeout(this.#timer);
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    const finished = (async () => {
      while (this.#inFlight.size > 0 || this.#claiming) {
        await Promise.race([...this.#inFlight, new Promise((r) => setImmediate(r))]);
      }
      await this.#completions.idle();
      return 'done' as const;
    })();
    const outcome = await Promise.race([finished, deadline]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      this.log.warn({ inProgress: this.#active }, 'stopped before deliveries in progress finished; their leases will expire');
    }
  }

  async #claim(): Promise<void> {
    this.#claiming = true;
    clearTimeout(this.#timer);
    try {
      for (;;) {
        this.#wakeAgain = false;
        const room = this.options.concurrency - this.#active;
        if (room <= 0) this.#backlog = true;
        if (!this.#running || room <= 0) break;
        const claimed = await claimDueDeliveries(this.db, {
          limit: Math.min(room, 500),
          leaseSeconds: this.options.leaseSeconds,
          workerId: this.workerId,
          maxAttempts: this.options.maxAttempts,
        });
        for (const delivery of claimed) this.#startOne(delivery);
        this.#backlog = claimed.length === Math.min(room, 500);
        // A short batch means nothing else is due right now, unless a wake-up came meanwhile.
        if (!this.#backlog && !this.#wakeAgain) break;
      }
      if (this.#running && Date.now() - this.#lastSweep >= this.options.pollIntervalMs) {
        this.#lastSweep = Date.now();
        const dead = await deadLetterAbandoned(this.db, this.options.maxAttempts);
        if (dead.length > 0) {
          this.metrics.deliveriesDeadLettered.inc(dead.length);
          this.log.error({ deliveries: dead }, 'deliveries dead-lettered after their last lease expired');
        }
      }
    } catch (error) {
      this.log.error({ err: error }, 'claiming deliveries failed');
    } finally {
      this.#claiming = false;
      if (this.#running && this.#wakeAgain) setImmediate(() => this.wake());
      else if (this.#running) {
        this.#timer = setTimeout(() => this.wake(), this.options.pollIntervalMs);
        this.#timer.unref();
      }
    }
  }

  #startOne(delivery: ClaimedDelivery): void {
    this.#active++;
    const run = this.#runOne(delivery).finally(() => {
      this.#active--;
      this.#inFlight.delete(run);
      // A free slot: look for more only when the claim loop stopped for lack of room.
      if (this.#backlog && this.#running && !this.#claiming && this.#active <= this.options.concurrency / 2) this.wake();
    });
    this.#inFlight.add(run);
  }

  async #runOne(delivery: ClaimedDelivery): Promise<void> {
    const log = this.log.child({ delivery: delivery.id, event: delivery.event, attempt: delivery.attempts });
    try {
      const payload: unknown = JSON.parse(delivery.payload);
      await this.process({ id: delivery.id, name: delivery.event, payload });
    } catch (error) {
      await this.#recordFailure(delivery, error, log);
      return;
    }
    try {
      await this.#completions.submit({ id: delivery.id, workerId: this.workerId });
      this.metrics.deliveryProcessingSeconds.observe({ outcome: 'processed' }, (Date.now() - delivery.receivedAt.getTime()) / 1000);
    } catch (error) {
      // The handlers ran but the outcome was not recorded: the lease expires and the delivery runs
      // again, which idempotent handlers tolerate.
      log.error({ err: error }, 'could not record a processed delivery');
    }
  }

  async #recordFailure(delivery: ClaimedDelivery, error: unknown, log: Logger): Promise<void> {
    const message = describeError(error);
    // A payload that lacks what a handler needs fails the same way on every attempt.
    const permanent = isPermanentDeliveryError(error);
    this.metrics.jobFailures.inc({ queue: 'deliveries' });
    try {
      const status = await markFailed(this.db, {
        id: delivery.id,
        workerId: this.workerId,
        error: message,
        retryInSeconds: retryDelaySeconds(delivery.attempts, this.options.retryBaseSeconds),
        maxAttempts: permanent ? 0 : this.options.maxAttempts,
      });
      if (status === 'dead') {
        this.metrics.deliveriesDeadLettered.inc();
        this.metrics.deliveryProcessingSeconds.observe({ outcome: 'dead' }, (Date.now() - delivery.receivedAt.getTime()) / 1000);
        log.error({ err: error }, permanent ? 'delivery dead-lettered: it can never be processed' : 'delivery dead-lettered after its last attempt');
      } else {
        log.warn({ err: error }, 'delivery failed; it will be retried');
      }
    } catch (recordError) {
      log.error({ err: recordError, cause: message }, 'could not record a failed delivery; its lease will expire');
    }
  }
}

/** A one-line description of an error, including the errors Probot aggregates from handlers. */
export function describeError(error: unknown): string {
  if (error instanceof AggregateError) {
    return error.errors.map(describeError).join('; ') || error.message;
  }
  if (error instanceof Error) {
    const status = (error as { status?: unknown }).status;
    return typeof status === 'number' ? `${error.message} (HTTP ${status})` : error.message;
  }
  return String(error);
}
