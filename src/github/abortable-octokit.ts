import type { JobDeadline } from '../engine/job-deadline.js';
import type { RequestTimeBudget, ThrottledRequest } from './rate-limit-handlers.js';

/** The part of an Octokit instance the deadline hook is installed on. */
interface HookableOctokit {
  hook: {
    wrap(name: 'request', wrapper: (request: (options: RequestOptions) => Promise<unknown>, options: RequestOptions) => Promise<unknown>): void;
  };
}

interface RequestOptions {
  method: string;
  url: string;
  request?: { signal?: AbortSignal | null; [key: string]: unknown };
}

// The deadline each request was sent under, by its options object: the throttling plugin hands the
// same object to its rate-limit callbacks, which is how they learn what time the job has left.
const deadlines = new WeakMap<object, JobDeadline>();

/**
 * Makes every request of `octokit` carry the signal of the job it is made in (`currentDeadline`,
 * read when the request is sent): a job whose deadline passed, or whose lease was lost, has its
 * requests in flight aborted and any later ones refused at once, so it cannot change anything on
 * GitHub after another attempt may have started. Installed last, so it sees each request before the
 * throttling and retry plugins do.
 */
export function abortWithDeadline(octokit: HookableOctokit, currentDeadline: () => JobDeadline | undefined): void {
  octokit.hook.wrap('request', (request, options) => {
    const deadline = currentDeadline();
    if (!deadline) return request(options);
    deadline.throwIfAborted();
    const own = options.request?.signal;
    options.request = { ...options.request, signal: own ? AbortSignal.any([own, deadline.signal]) : deadline.signal };
    deadlines.set(options, deadline);
    return request(options);
  });
}

/** The time budget of the job a throttled request was sent in, for `rateLimitHandlers`' `budgetOf`. */
export function requestBudget(request: ThrottledRequest): RequestTimeBudget | undefined {
  return deadlines.get(request);
}
