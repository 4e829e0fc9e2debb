import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Why a job's signal was aborted. Named `AbortError`, as what `fetch` rejects with when aborted,
 * so Octokit passes it through unwrapped and its retry plugin does not retry the request.
 */
export class JobAbortedError extends Error {
  override name = 'AbortError';
}

/**
 * The time one attempt of a job (a delivery, a pg-boss job) may run, and the signal that stops it.
 * The signal is aborted when the attempt's deadline passes, its lease is lost or the process stops;
 * every GitHub request made while the attempt runs carries it (see `src/app/probot.ts`). A wait
 * the attempt cannot afford (a rate limit that resets after its deadline) is recorded with
 * `giveBack`, and whoever runs the attempt then hands it back to its queue with that delay.
 */
export class JobDeadline {
  readonly #controller = new AbortController();
  /** Aborted when the attempt must stop. */
  readonly signal: AbortSignal;
  #giveBackSeconds: number | undefined;

  constructor(
    /** When the attempt's time is up, in epoch milliseconds. */
    readonly endsAt: number,
    parent?: AbortSignal,
  ) {
    this.signal = parent ? AbortSignal.any([parent, this.#controller.signal]) : this.#controller.signal;
  }

  /** Seconds left before the deadline (0 once it has passed or the signal is aborted). */
  secondsLeft(now = Date.now()): number {
    if (this.signal.aborted) return 0;
    return Math.max(0, (this.endsAt - now) / 1000);
  }

  /** Stops the attempt: aborts its signal with `reason`. */
  abort(reason: string): void {
    if (!this.#controller.signal.aborted) this.#controller.abort(new JobAbortedError(reason));
  }

  /** Asks for the attempt to be handed back and tried again in `seconds` (the longest asked wins). */
  giveBack(seconds: number): void {
    this.#giveBackSeconds = Math.max(this.#giveBackSeconds ?? 0, Math.ceil(seconds));
  }

  /** The delay asked for by `giveBack`, if it was. */
  get giveBackSeconds(): number | undefined {
    return this.#giveBackSeconds;
  }

  /** Throws the abort reason when the signal is aborted; for loops and waits of a handler's own. */
  throwIfAborted(): void {
    this.signal.throwIfAborted();
  }
}

// The deadline of the attempt running in the current async context. Probot creates the Octokit of
// each delivery inside `probot.receive`, out of the worker's reach, so the attempt's deadline
// travels with the async context rather than as an argument.
const current = new AsyncLocalStorage<JobDeadline>();

/** Runs `fn` with `deadline` as the current attempt's deadline. */
export function runWithDeadline<T>(deadline: JobDeadline, fn: () => Promise<T>): Promise<T> {
  return current.run(deadline, fn);
}

/** The deadline of the attempt running in this async context, if any. */
export function currentDeadline(): JobDeadline | undefined {
  return current.getStore();
}
