import { performance } from 'node:perf_hooks';

/** What decides how much the delivery worker may take while the intake shares its process. */
export interface IntakePriorityOptions {
  /** Deliveries processed at once when the intake is not saturated. */
  concurrency: number;
  /** Deliveries processed at once while it is. */
  busyConcurrency: number;
  /** Deliveries started per second while it is (a token bucket holding `busyConcurrency`); Infinity for no bound. */
  busyRatePerSecond: number;
  /** How recently the intake must have stored deliveries to count as busy, in ms. */
  busyWindowMs: number;
  /** Share of the last sampling window the event loop was busy (0–1) from which the process counts as saturated. */
  saturation: number;
  /** Processing lag (age of the oldest delivery claimed), in seconds, past which the worker stops yielding. */
  maxLagSeconds: number;
  now?: () => number;
  /** The event loop's utilization since it was last asked (0–1); Node's own by default. */
  utilization?: () => number;
}

/** How much the worker may claim now. */
export interface Room {
  /** Deliveries it may claim now (0 or more). */
  room: number;
  /** When `room` is 0 for lack of budget rather than of free slots: ms until the budget allows a batch. */
  refillInMs?: number;
}

// The event loop's utilization is sampled over windows at least this long, so a burst of short
// calls does not read the utilization of a few microseconds.
const SAMPLE_MS = 50;

/** Event loop utilization since the previous call, over at least SAMPLE_MS. */
export function eventLoopUtilizationSampler(): () => number {
  let last = performance.eventLoopUtilization();
  let lastAt = performance.now();
  let value = 0;
  return () => {
    if (performance.now() - lastAt < SAMPLE_MS) return value;
    const current = performance.eventLoopUtilization();
    value = performance.eventLoopUtilization(current, last).utilization;
    last = current;
    lastAt = performance.now();
    return value;
  };
}

/**
 * The intake goes first: answering GitHub within its timeout matters more than processing at once.
 * While this process's intake is storing deliveries and its event loop is saturated, the worker
 * runs at most `busyConcurrency` deliveries at once and starts at most `busyRatePerSecond` a
 * second, so the intake keeps the CPU. A concurrency bound alone does not do it: with handlers
 * that take a fraction of a millisecond, four at a time still process thousands a second. Under
 * a moderate load the loop is not saturated and nothing is held back; once the oldest delivery
 * claimed has waited `maxLagSeconds`, the worker works at full speed whatever the intake does, so
 * processing never falls behind without bound.
 */
export class IntakePriority {
  #intakeAt = Number.NEGATIVE_INFINITY;
  #lagSeconds = 0;
  #tokens: number;
  #tokensAt: number;
  readonly #now: () => number;
  readonly #utilization: () => number;

  constructor(private readonly options: IntakePriorityOptions) {
    this.#now = options.now ?? Date.now;
    this.#utilization = options.utilization ?? eventLoopUtilizationSampler();
    this.#tokens = options.busyConcurrency;
    this.#tokensAt = this.#now();
  }

  /** The intake stored deliveries just now. */
  intakeStored(): void {
    this.#intakeAt = this.#now();
  }

  /** How long the oldest delivery of the last claim had waited, in seconds. */
  set lagSeconds(seconds: number) {
    this.#lagSeconds = seconds;
  }

  /** Whether the worker yields now. */
  yielding(): boolean {
    if (this.#now() - this.#intakeAt >= this.options.busyWindowMs) return false;
    if (this.#lagSeconds > this.options.maxLagSeconds) return false;
    return this.#utilization() >= this.options.saturation;
  }

  /** Deliveries the worker may run at once now. */
  limit(): number {
    return this.#limit(this.yielding());
  }

  /** How many deliveries the worker may claim now, running `active` of them. */
  room(active: number): Room {
    const yielding = this.yielding();
    const free = Math.max(0, this.#limit(yielding) - active);
    if (!yielding || !Number.isFinite(this.options.busyRatePerSecond)) return { room: free };
    const tokens = Math.floor(this.#refill());
    if (free === 0 || tokens >= free) return { room: free };
    // Wait until the budget fills every free slot rather than claim one delivery per token: each
    // claim is a statement of its own.
    return { room: 0, refillInMs: Math.max(1, Math.ceil(((free - this.#tokens) / this.options.busyRatePerSecond) * 1000)) };
  }

  /** The worker claimed `count` deliveries. */
  took(count: number): void {
    if (!Number.isFinite(this.options.busyRatePerSecond)) return;
    this.#refill();
    this.#tokens = Math.max(0, this.#tokens - count);
  }

  #limit(yielding: boolean): number {
    return yielding ? Math.min(this.options.concurrency, this.options.busyConcurrency) : this.options.concurrency;
  }

  #refill(): number {
    const now = this.#now();
    const elapsed = Math.max(0, now - this.#tokensAt) / 1000;
    this.#tokens = Math.min(this.options.busyConcurrency, this.#tokens + elapsed * this.options.busyRatePerSecond);
    this.#tokensAt = now;
    return this.#tokens;
  }
}
