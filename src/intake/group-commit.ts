/** Options of a GroupCommit. */
export interface GroupCommitOptions {
  /** Most items written in one flush. */
  maxBatch: number;
  /** Most bytes (as reported by `sizeOf`) written in one flush. */
  maxBatchBytes: number;
  /** Flushes allowed in flight at once; further items wait and are grouped. */
  maxInFlight: number;
}

interface Pending<T, R> {
  item: T;
  size: number;
  resolve: (result: R) => void;
  reject: (error: unknown) => void;
}

/**
 * Groups concurrent writes into shared flushes. An item submitted while a flush slot is free is
 * written at once (no added latency when idle); items that arrive while every slot is busy wait
 * and go out together in the next flush, so under load one commit carries many requests.
 * `flush` must return one result per item, in order, or throw to fail the whole group.
 */
export class GroupCommit<T, R> {
  #queue: Pending<T, R>[] = [];
  #inFlight = 0;
  #idleWaiters: (() => void)[] = [];

  constructor(
    private readonly flush: (items: T[]) => Promise<R[]>,
    private readonly options: GroupCommitOptions,
    private readonly sizeOf: (item: T) => number = () => 0,
  ) {}

  /** Writes `item` with the next flush; resolves once it is committed. */
  submit(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.#queue.push({ item, size: this.sizeOf(item), resolve, reject });
      this.#pump();
    });
  }

  /** Items waiting for a flush slot. */
  get waiting(): number {
    return this.#queue.length;
  }

  /** Resolves when nothing is queued or being flushed. */
  idle(): Promise<void> {
    if (this.#queue.length === 0 && this.#inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
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
      this.#inFlight++;
      void this.#run(group);
    }
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
      group.forEach((p, i) => p.resolve(results[i]!));
    } catch (error) {
      for (const p of group) p.reject(error);
    } finally {
      this.#inFlight--;
      this.#pump();
    }
  }
}
