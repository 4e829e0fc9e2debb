import type { Logger } from 'pino';

/** Options of {@link rateLimitHandlers}. */
export interface RateLimitHandlerOptions {
  /** Where waits and give-ups are logged. */
  log: Pick<Logger, 'warn'>;
  /** Retries of one request after a rate limit, primary or secondary; 2 unless told. */
  maxRetries?: number;
  /** Longest wait accepted before a retry, in seconds; 3600 (GitHub's primary window) unless told. */
  maxWaitSeconds?: number;
  /**
   * The time budget of the job a request belongs to, if it runs in one: a wait that would end after
   * the job's time is up is not waited, and the job is handed back to be retried after it instead.
   */
  budgetOf?: (request: ThrottledRequest) => RequestTimeBudget | undefined;
}

/** What the throttling callbacks need of the job a request runs in. */
export interface RequestTimeBudget {
  /** Seconds the job has left. */
  secondsLeft(): number;
  /** Asks for the job to be handed back and retried in `seconds`. */
  giveBack(seconds: number): void;
}

// A retry sent right at the deadline would not finish before it: keep this much in hand.
const RETRY_MARGIN_SECONDS = 5;

/** The request a throttling callback is about, as `@octokit/plugin-throttling` passes it. */
export interface ThrottledRequest {
  method: string;
  url: string;
}

/** `onRateLimit` and `onSecondaryRateLimit` for `@octokit/plugin-throttling`. */
export interface RateLimitHandlers {
  /** Primary limit (x-ratelimit-remaining: 0): wait until x-ratelimit-reset, a bounded number of times. */
  onRateLimit: (retryAfter: number, options: ThrottledRequest, octokit: unknown, retryCount: number) => boolean;
  /** Secondary limit: wait `retry-after` (or the plugin's 60 s fallback), a bounded number of times. */
  onSecondaryRateLimit: (retryAfter: number, options: ThrottledRequest, octokit: unknown, retryCount: number) => boolean;
}

/**
 * Throttling callbacks that wait out GitHub's rate limits and then retry, but only a bounded number of
 * times: Probot's own defaults retry forever (or, with an app, never for secondary limits), and a
 * request that keeps hitting the limit should fail its job, to be retried later, rather than hang it.
 */
export function rateLimitHandlers({ log, maxRetries = 2, maxWaitSeconds = 3600, budgetOf }: RateLimitHandlerOptions): RateLimitHandlers {
  const decide = (kind: 'primary' | 'secondary') => (retryAfter: number, options: ThrottledRequest, _octokit: unknown, retryCount: number) => {
    const request = `${options.method} ${options.url}`;
    const budget = budgetOf?.(options);
    if (budget && retryCount < maxRetries) {
      const secondsLeft = budget.secondsLeft();
      if (retryAfter + RETRY_MARGIN_SECONDS > secondsLeft) {
        // Sleeping past the job's deadline would have it retried beside this attempt; handing it
        // back lets the retry start when GitHub takes requests again.
        budget.giveBack(retryAfter);
        log.warn(
          { kind, request, retryAfter, retryCount, secondsLeft: Math.floor(secondsLeft) },
          "GitHub rate limit outlasts the job's time; giving the job back to retry later",
        );
        return false;
      }
    }
    if (retryCount >= maxRetries || retryAfter > maxWaitSeconds) {
      log.warn({ kind, request, retryAfter, retryCount }, 'GitHub rate limit hit; giving up on the request');
      return false;
    }
    log.warn({ kind, request, retryAfter, retryCount }, 'GitHub rate limit hit; waiting before retrying');
    return true;
  };
  return { onRateLimit: decide('primary'), onSecondaryRateLimit: decide('secondary') };
}

/**
 * Options of `@octokit/plugin-retry`: its defaults plus 429, because rate limits are the throttling
 * plugin's to wait out. Left to both, a 429 would be retried by each on top of the other.
 */
export const RETRY_OPTIONS = {
  doNotRetry: [400, 401, 403, 404, 410, 422, 429, 451],
} as const;
