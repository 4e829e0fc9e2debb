/** Options of a GroupCommit. */
export interface GroupCommitOptions {
  /** Most items written in one flush. */
  maxBatch: number;
  /** Most bytes (as reported by `sizeOf`) written in one flush. */
  maxBatchBytes: number;
  /** Flushes allowed in flight at once; further items wait and are grouped. */
  maxInFlight: number;
  /** Most items waiting for a flush slot; past it `submit` refuses at once. Unbounded when absent. */
  maxWaiting?: number;
  /** Most bytes waiting for a flush slot; past it `submit` refuses at once. Unbounded when absent. */
  maxWaitingBytes?: number;
}

/** What waits for a flush slot: items and their bytes (as reported by `sizeOf`). */
export interface WaitingLoad {
  count: number;
  bytes: number;
}

/** Why a GroupCommit gave an item up without its result. */
export type OverloadReason = 'full' | 'deadline';

/**
 * Raised for an item refused because the waiting queue is full, or given up because its flush had
 * not finished by its deadline. A flush already under way still completes; only its result is
 * no longer delivered to the submitter.
 */
export class OverloadError extends Error {
  override name = 'OverloadError';
  constructor(readonly reason: OverloadReason) {
    super(reason === 'full' ? 'the commit queue is full' : 'the commit did not finish before its deadline');
  }
}

/** Options of one submission. */
export interface SubmitOptions {
  /** Milliseconds the submitter waits for the commit before it is given up (OverloadError 'deadline'). */
  timeoutMs?: number;
}

interface Pending<T, R> {
  item: T;
  size: number;
  settled: boolean;
  timer: NodeJS.Timeout | undefined;
  resolve: (result: R) => void;
  reject: (error: unknown) => void;
}

/**
 * Groups concurrent writes into shared flushes. An item submitted while a flush slot is free is
 * written at once (no added latency when idle); items that arrive while every slot is busy wait
 * and go out together in the next flush, so under load one commit carries many requests.
 * The waiting queue is bounded by count and bytes, so a stalled database costs bounded memory and
 * each caller learns at once that its item was refused.
 * `flush` must return one result per item, in order, or throw to fail the whole group.
 */
export class GroupCommit<T, R> {
  #queue: Pending<T, R>[] = [];
  #queuedBytes = 0;
  #inFlight = 0;
  #idleWaiters: (() => void)[] = [];

  constructor(
    private readonly flush: (items: T[]) => Promise<R[]>,
    private readonly options: GroupCommitOptions,
    private readonly sizeOf: (item: T) => number = () => 0,
  ) {}

  /**
   * Writes `item` with the next flush; resolves once it is committed. Rejects with OverloadError
   * when the item would have to wait and the queue is full, or when `timeoutMs` passes first.
   */
  submit(item: T, options: SubmitOptions = {}): Promise<R> {
    const size = this.sizeOf(item);
    if (!this.hasRoom(size)) return Promise.reject(new OverloadError('full'));
    return new Promise<R>((resolve, reject) => {
      const pending: Pending<T, R> = { item, size, settled: false, timer: undefined, resolve, reject };
      if (options.timeoutMs !== undefined) {
        pending.timer = setTimeout(() => this.#expire(pending), Math.max(0, options.timeoutMs));
      }
      this.#queue.push(pending);
      this.#queuedBytes += size;
      this.#pump();
    });
  }

  /**
   * Whether an item of `size` would be taken now: at once when a flush slot is free (so an item
   * larger than the waiting bound is still written when the queue is idle), else within the bounds.
   */
  hasRoom(size = 0): boolean {
    if (this.#inFlight < this.options.maxInFlight && this.#queue.length === 0) return true;
    const { maxWaiting, maxWaitingBytes } = this.options;
    if (maxWaiting !== undefined && this.#queue.length + 1 > maxWaiting) return false;
    if (maxWaitingBytes !== undefined && this.#queuedBytes + size > maxWaitingBytes) return false;
    return true;
  }

  /** Items (and their bytes) waiting for a flush slot. */
  waiting(): WaitingLoad {
    return { count: this.#queue.length, bytes: this.#queuedBytes };
  }

  /** Resolves when nothing is queued or being flushed. */
  idle(): Promise<void> {
    if (this.#queue.length === 0 && this.#inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  #expire(pending: Pending<T, R>): void {
    if (pending.settled) return;
    // Still waiting: it leaves the queue and is never written. Already in a flush: that flush
    // completes, and an item it commits is a duplicate when sent again.
    const index = this.#queue.indexOf(pending);
    if (index !== -1) {
      this.#queue.splice(index, 1);
      this.#queuedBytes -= pending.size;
    }
    this.#settle(pending, () => pending.reject(new OverloadError('deadline')));
    this.#notifyIdle();
  }

  #settle(pending: Pending<T, R>, settle: () => void): void {
    if (pending.settled) return;
    pending.settled = true;
    clearTimeout(pending.timer);
    settle();
  }

  #pump(): void {
    while (this.#inFlight < this.options.maxInFlight && this.#queue.length > 0) {
      let count = 0;
      let bytes = 0;
      while (count < this.#queue.length && count < this.options.maxBatch) {
        const next = this.#queue[count]!;
        if (count > 0 && bytes + next.size > this.options.maxBatchBytes) break;
        bytes += next.size;
        count++;
      }
      const group = this.#queue.splice(0, count);
      this.#queuedBytes -= bytes;
      this.#inFlight++;
      void this.#run(group);
    }
    this.#notifyIdle();
  }

  #notifyIdle(): void {
    if (this.#queue.length === 0 && this.#inFlight === 0) {
      for (const resolve of this.#idleWaiters.splice(0)) resolve();
    }
  }

  async #run(group: Pending<T, R>[]): Promise<void> {
    try {
      const results = await this.flush(group.map((p) => p.item));
      if (results.length !== group.length) {
        throw new Error(`group flush returned ${results.length} results for ${group.length} items`);
      }
      group.forEach((p, i) => this.#settle(p, () => p.resolve(results[i]!)));
    } catch (error) {
      for (const p of group) this.#settle(p, () => p.reject(error));
    } finally {
      this.#inFlight--;
      this.#pump();
    }
  }
}
