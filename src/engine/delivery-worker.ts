import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Metrics } from '../app/metrics.js';
import {
  type ClaimedDelivery,
  type DeliveryClaim,
  claimDueDeliveries,
  deadLetterAbandoned,
  extendLeases,
  giveBackDelivery,
  markFailed,
  markProcessed,
} from '../db/deliveries.js';
import type { Database } from '../db/schema.js';
import { GroupCommit } from '../intake/group-commit.js';
import { IntakePriority } from './intake-priority.js';
import { JobDeadline, runWithDeadline } from './job-deadline.js';
import { isPermanentDeliveryError } from './permanent-delivery-error.js';

/** Runs one delivery through the webhook handlers; throws to fail the attempt. */
export type ProcessDelivery = (delivery: {
  id: string;
  name: string;
  payload: unknown;
  /** The attempt number (1 for the first). */
  attempt?: number;
  /** Trace context the intake stored with it, when tracing was on. */
  traceContext?: string | null;
}) => Promise<void>;

/** Options of the delivery worker. */
export interface DeliveryWorkerOptions {
  /** Deliveries processed at once. */
  concurrency: number;
  /** Seconds a claim is leased; the lease is extended every third of it while the attempt runs. */
  leaseSeconds: number;
  /** Seconds an attempt may run before its signal is aborted and it is retried. */
  deadlineSeconds: number;
  maxAttempts: number;
  /** Base of the exponential backoff between attempts, in seconds. */
  retryBaseSeconds: number;
  /** How often to look for due work when nothing wakes the worker (retries, expired leases). */
  pollIntervalMs: number;
  /**
   * Deliveries processed at once while this process's intake is busy (it stored deliveries within
   * the last `busyWindowMs`) and its event loop saturated: the intake answers GitHub within its
   * deadline, so it goes first. Defaults to `concurrency` (no yielding).
   */
  busyConcurrency?: number;
  /** Deliveries started per second meanwhile; unbounded unless told. */
  busyRatePerSecond?: number;
  /** How recently the intake must have stored deliveries to count as busy; 100 ms unless told. */
  busyWindowMs?: number;
  /** Processing lag (age of the oldest delivery claimed) past which the worker stops yielding; 30 s unless told. */
  maxLagSeconds?: number;
  /** The event loop's utilization since last asked (tests pass their own); Node's by default. */
  utilization?: () => number;
}

/** Exponential backoff with jitter, capped at an hour: base·2^(attempt-1) ± 20 %. */
export function retryDelaySeconds(attempt: number, baseSeconds: number, random: () => number = Math.random): number {
  const raw = Math.min(3600, baseSeconds * 2 ** Math.max(0, attempt - 1));
  return Math.round(raw * (0.8 + 0.4 * random()) * 1000) / 1000;
}

/** One attempt in progress. */
interface Attempt {
  claim: DeliveryClaim;
  deadline: JobDeadline;
  /** Set when a heartbeat found the claim gone: nothing this attempt does may be recorded. */
  lost: boolean;
}

/** How an attempt's handlers ended. */
type Settled = { ok: true } | { ok: false; error: unknown };

/**
 * Drains the inbox: claims due deliveries in batches (FOR UPDATE SKIP LOCKED, so any number of
 * instances can share the table), runs each through the handlers, and records outcomes, grouping
 * completions into shared commits. It wakes on `wake()` (intake in this process, or a NOTIFY from
 * another) and otherwise polls, which is what picks up retries and deliveries whose worker died.
 *
 * Each claim is a short lease, extended by a heartbeat while its attempt runs, so the deliveries of
 * a process that died are due again within one lease. Each attempt runs under a deadline: past it,
 * or once a heartbeat finds the lease lost, the attempt's signal is aborted (every GitHub request
 * carries it). An attempt records its outcome only while it still holds its claim, so one that
 * lost it never writes over the attempt that took the delivery over.
 */
export class DeliveryWorker {
  readonly workerId = `worker-${randomUUID()}`;
  #active = 0;
  #claiming = false;
  #wakeAgain = false;
  #running = false;
  #timer: NodeJS.Timeout | undefined;
  #heartbeat: NodeJS.Timeout | undefined;
  #lastSweep = 0;
  #lastPollAt: number | undefined;
  #priority: IntakePriority;
  // Whether the last claim stopped for lack of room rather than of work: only then does a freed
  // slot look for more at once (otherwise a NOTIFY or the poll will).
  #backlog = false;
  #inFlight = new Set<Promise<void>>();
  #attempts = new Map<string, Attempt>();
  #completions: GroupCommit<DeliveryClaim, boolean>;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly process: ProcessDelivery,
    private readonly options: DeliveryWorkerOptions,
    private readonly metrics: Metrics,
    private readonly log: Logger,
  ) {
    this.#priority = new IntakePriority({
      concurrency: options.concurrency,
      busyConcurrency: options.busyConcurrency ?? options.concurrency,
      busyRatePerSecond: options.busyRatePerSecond ?? Number.POSITIVE_INFINITY,
      busyWindowMs: options.busyWindowMs ?? 100,
      // The intake alone keeps its event loop about 0.8 busy when saturated (it waits on PostgreSQL
      // the rest of the time), so a bound at 0.8 came and went; half is well below that and well
      // above a moderate load's (see docs/benchmarks.md).
      saturation: 0.5,
      maxLagSeconds: options.maxLagSeconds ?? 30,
      ...(options.utilization ? { utilization: options.utilization } : {}),
    });
    this.#completions = new GroupCommit(
      async (done) => {
        const marked = await markProcessed(db, done);
        return done.map((claim) => marked.has(claim.id));
      },
      { maxBatch: 1000, maxBatchBytes: Number.MAX_SAFE_INTEGER, maxInFlight: 1 },
    );
  }

  /** Whether the worker is taking work. */
  get running(): boolean {
    return this.#running;
  }

  /** When the worker last reached the database to look for work (claim or sweep), in epoch ms. */
  get lastPollAt(): number | undefined {
    return this.#lastPollAt;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    const every = Math.max(200, (this.options.leaseSeconds * 1000) / 3);
    this.#heartbeat = setInterval(() => void this.#extendLeases(), every);
    this.#heartbeat.unref();
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

  /** Told by this process's intake that it stored deliveries: look for them, yielding to it while it is busy. */
  intakeStored(): void {
    this.#priority.intakeStored();
    this.wake();
  }

  /**
   * Stops claiming and waits up to `timeoutMs` for deliveries in progress. Any still running after
   * that are aborted; their leases run out within one lease and another worker takes them over.
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
    clearInterval(this.#heartbeat);
    if (outcome === 'timeout') {
      for (const attempt of this.#attempts.values()) attempt.deadline.abort('the process is stopping');
      this.log.warn({ inProgress: this.#active }, 'stopped before deliveries in progress finished; their leases will expire');
    }
  }

  async #claim(): Promise<void> {
    this.#claiming = true;
    clearTimeout(this.#timer);
    // Set when the intake's budget, not a lack of free slots, stopped the claims: the worker looks
    // again once the budget allows a batch.
    let refillInMs: number | undefined;
    try {
      for (;;) {
        this.#wakeAgain = false;
        const { room, refillInMs: wait } = this.#priority.room(this.#active);
        refillInMs = wait;
        if (wait !== undefined) this.metrics.workerYields.inc();
        if (room <= 0) this.#backlog = true;
        if (!this.#running || room <= 0) break;
        const limit = Math.min(room, 500);
        const claimed = await claimDueDeliveries(this.db, {
          limit,
          leaseSeconds: this.options.leaseSeconds,
          workerId: this.workerId,
          maxAttempts: this.options.maxAttempts,
        });
        this.#lastPollAt = Date.now();
        this.#priority.took(claimed.length);
        // Claimed oldest first, so the first says how far processing lags.
        this.#priority.lagSeconds = claimed.length > 0 ? (Date.now() - claimed[0]!.receivedAt.getTime()) / 1000 : 0;
        for (const delivery of claimed) this.#startOne(delivery);
        this.#backlog = claimed.length === limit;
        // A short batch means nothing else is due right now, unless a wake-up came meanwhile.
        if (!this.#backlog && !this.#wakeAgain) break;
      }
      if (this.#running && Date.now() - this.#lastSweep >= this.options.pollIntervalMs) {
        this.#lastSweep = Date.now();
        const dead = await deadLetterAbandoned(this.db, this.options.maxAttempts);
        this.#lastPollAt = Date.now();
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
        this.#timer = setTimeout(() => this.wake(), Math.min(refillInMs ?? Number.POSITIVE_INFINITY, this.options.pollIntervalMs));
        this.#timer.unref();
      }
    }
  }

  /** The heartbeat: extends the lease of every attempt in progress, and stops those whose claim is gone. */
  async #extendLeases(): Promise<void> {
    const attempts = [...this.#attempts.values()].filter((a) => !a.lost);
    if (attempts.length === 0) return;
    let held: Set<string>;
    try {
      held = await extendLeases(
        this.db,
        attempts.map((a) => a.claim),
        this.options.leaseSeconds,
      );
    } catch (error) {
      // A heartbeat that could not run says nothing about the claims: stop none of them.
      this.log.warn({ err: error, inProgress: attempts.length }, 'could not extend the leases of deliveries in progress');
      return;
    }
    for (const attempt of attempts) {
      if (held.has(attempt.claim.id) || this.#attempts.get(attempt.claim.id) !== attempt) continue;
      attempt.lost = true;
      attempt.deadline.abort('the delivery was taken over by another attempt (its lease ran out)');
      this.log.warn({ delivery: attempt.claim.id, attempt: attempt.claim.attempt }, 'delivery lease lost; stopping its attempt');
    }
  }

  #startOne(delivery: ClaimedDelivery): void {
    this.#active++;
    const run = this.#runOne(delivery).finally(() => {
      this.#active--;
      this.#inFlight.delete(run);
      // A free slot: look for more only when the claim loop stopped for lack of room. On the next
      // turn of the event loop, not at once: on the embedded database every query resolves without
      // I/O, so claiming straight away would chain deliveries as microtasks and starve the HTTP
      // server, timers and log output until the whole backlog was done. While a claim or the sweep
      // is running, wake() asks for another round after it: a backlog whose batches all finished
      // during the sweep must not wait for the next poll (it drained one batch per poll interval).
      if (this.#backlog && this.#running && this.#active <= this.#priority.limit() / 2) setImmediate(() => this.wake());
    });
    this.#inFlight.add(run);
  }

  async #runOne(delivery: ClaimedDelivery): Promise<void> {
    const log = this.log.child({ delivery: delivery.id, event: delivery.event, attempt: delivery.attempts });
    const deadlineMs = this.options.deadlineSeconds * 1000;
    const attempt: Attempt = {
      claim: { id: delivery.id, workerId: this.workerId, attempt: delivery.attempts },
      deadline: new JobDeadline(Date.now() + deadlineMs),
      lost: false,
    };
    this.#attempts.set(delivery.id, attempt);
    const timer = setTimeout(
      () => attempt.deadline.abort(`the handlers did not finish within the delivery deadline of ${this.options.deadlineSeconds} s`),
      deadlineMs,
    );
    const handling = runWithDeadline(attempt.deadline, async () => {
      const payload: unknown = JSON.parse(delivery.payload);
      await this.process({ id: delivery.id, name: delivery.event, payload, attempt: delivery.attempts, traceContext: delivery.traceContext });
    });
    let settled: Settled;
    try {
      settled = await this.#settle(handling, attempt.deadline.signal, log);
    } finally {
      clearTimeout(timer);
      this.#attempts.delete(delivery.id);
    }

    if (attempt.lost) {
      log.warn('attempt stopped after losing its lease; its outcome is not recorded');
    } else if (settled.ok) {
      await this.#recordProcessed(delivery, attempt.claim, log);
    } else if (attempt.deadline.giveBackSeconds !== undefined && !attempt.deadline.signal.aborted) {
      await this.#giveBack(attempt.claim, attempt.deadline.giveBackSeconds, settled.error, log);
    } else {
      await this.#recordFailure(delivery, attempt.claim, settled.error, log);
    }
  }

  /**
   * Waits for the handlers. Once the attempt's signal is aborted they are expected to stop (their
   * GitHub requests fail at once); until they return, the heartbeat keeps the claim, so no other
   * attempt of the delivery starts beside them and `concurrency` bounds the handlers really
   * running.
   */
  async #settle(handling: Promise<void>, signal: AbortSignal, log: Logger): Promise<Settled> {
    const settled = handling.then(
      (): Settled => ({ ok: true }),
      (error: unknown): Settled => ({ ok: false, error }),
    );
    const aborted = new Promise<'aborted'>((resolve) => {
      if (signal.aborted) resolve('aborted');
      else signal.addEventListener('abort', () => resolve('aborted'), { once: true });
    });
    const first = await Promise.race([settled, aborted]);
    if (first !== 'aborted') return first;
    const warn = setTimeout(
      () => log.error({ reason: String((signal.reason as Error)?.message ?? signal.reason) }, 'handlers still running after their attempt was aborted; the delivery stays claimed until they return'),
      this.options.leaseSeconds * 1000,
    );
    await settled;
    clearTimeout(warn);
    // Past its deadline, an attempt failed, whatever its handlers did after: it is retried.
    return { ok: false, error: signal.reason };
  }

  async #recordProcessed(delivery: ClaimedDelivery, claim: DeliveryClaim, log: Logger): Promise<void> {
    try {
      const recorded = await this.#completions.submit(claim);
      if (!recorded) {
        log.warn('delivery processed, but its attempt had lost its claim; the attempt that took it over decides');
        return;
      }
      this.metrics.deliveryProcessingSeconds.observe({ outcome: 'processed' }, (Date.now() - delivery.receivedAt.getTime()) / 1000);
    } catch (error) {
      // The handlers ran but the outcome was not recorded: the lease expires and the delivery runs
      // again, which idempotent handlers tolerate.
      log.error({ err: error }, 'could not record a processed delivery');
    }
  }

  async #giveBack(claim: DeliveryClaim, seconds: number, error: unknown, log: Logger): Promise<void> {
    try {
      const given = await giveBackDelivery(this.db, {
        ...claim,
        retryInSeconds: seconds,
        reason: `handed back for ${seconds} s until GitHub takes requests again: ${describeError(error)}`,
      });
      if (given) log.warn({ err: error, retryInSeconds: seconds }, 'delivery handed back until GitHub takes requests again');
    } catch (recordError) {
      log.error({ err: recordError }, 'could not hand a delivery back; its lease will expire');
    }
  }

  async #recordFailure(delivery: ClaimedDelivery, claim: DeliveryClaim, error: unknown, log: Logger): Promise<void> {
    const message = describeError(error);
    // A payload that lacks what a handler needs fails the same way on every attempt.
    const permanent = isPermanentDeliveryError(error);
    this.metrics.jobFailures.inc({ queue: 'deliveries' });
    try {
      const status = await markFailed(this.db, {
        ...claim,
        error: message,
        retryInSeconds: retryDelaySeconds(delivery.attempts, this.options.retryBaseSeconds),
        maxAttempts: permanent ? 0 : this.options.maxAttempts,
      });
      if (status === 'dead') {
        this.metrics.deliveriesDeadLettered.inc();
        this.metrics.deliveryProcessingSeconds.observe({ outcome: 'dead' }, (Date.now() - delivery.receivedAt.getTime()) / 1000);
        log.error({ err: error }, permanent ? 'delivery dead-lettered: it can never be processed' : 'delivery dead-lettered after its last attempt');
      } else if (status === undefined) {
        log.warn({ err: error }, 'delivery attempt failed after losing its claim; the attempt that took it over decides');
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
