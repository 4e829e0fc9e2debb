import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { type DomainEventBus, dispatchPending } from '../db/domain-events.js';
import type { Database } from '../db/schema.js';

/**
 * Drains the domain-event outbox into the in-process bus: at once when a commit notifies, and on
 * a slow poll for events whose handlers failed before. Handlers run inside the claiming
 * transaction, so they must not use the database themselves (on the embedded database it has a
 * single connection): a handler that needs to write enqueues a job instead.
 */
export class DomainEventDispatcher {
  #running = false;
  #busy = false;
  #again = false;
  #timer: NodeJS.Timeout | undefined;
  #current: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: Kysely<Database>,
    private readonly bus: DomainEventBus,
    private readonly log: Logger,
    private readonly pollIntervalMs = 10_000,
  ) {}

  start(): void {
    this.#running = true;
    this.wake();
  }

  wake(): void {
    if (!this.#running) return;
    if (this.#busy) {
      this.#again = true;
      return;
    }
    this.#current = this.#drain();
  }

  async stop(): Promise<void> {
    this.#running = false;
    clearTimeout(this.#timer);
    await this.#current;
  }

  async #drain(): Promise<void> {
    this.#busy = true;
    clearTimeout(this.#timer);
    try {
      do {
        this.#again = false;
        const result = await dispatchPending(this.db, this.bus, 200);
        if (result.failed > 0) this.log.warn(result, 'some domain event handlers failed; they will be retried');
        if (result.dispatched === 200) this.#again = true;
      } while (this.#again && this.#running);
    } catch (error) {
      this.log.error({ err: error }, 'dispatching domain events failed');
    } finally {
      this.#busy = false;
      if (this.#running) {
        this.#timer = setTimeout(() => this.wake(), this.pollIntervalMs);
        this.#timer.unref();
      }
    }
  }
}
