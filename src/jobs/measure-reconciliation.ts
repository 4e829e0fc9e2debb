import type { Job } from 'pg-boss';
import type { Metrics } from '../app/metrics.js';

/**
 * Wraps the reconciliation work handler so each run's duration is observed by organization and
 * outcome: the status the run ended in (`applied`, `planned`, `skipped`, ...), `handed_back` when
 * it was given back to wait out a rate limit, or `failed` when it threw.
 */
export function measureReconciliation<J extends Job<any>, R>(
  metrics: Pick<Metrics, 'reconcileSeconds'>,
  handler: (jobs: J[]) => Promise<R>,
): (jobs: J[]) => Promise<R> {
  return async (jobs) => {
    const started = performance.now();
    const org = (jobs[0]?.data as { org?: unknown } | undefined)?.org;
    const observe = (outcome: string) => {
      if (typeof org === 'string') metrics.reconcileSeconds.observe({ org, outcome }, (performance.now() - started) / 1000);
    };
    try {
      const result = await handler(jobs);
      const output = result as { status?: unknown; givenBack?: unknown } | undefined;
      observe(output?.givenBack === true ? 'handed_back' : typeof output?.status === 'string' ? output.status : 'done');
      return result;
    } catch (error) {
      observe('failed');
      throw error;
    }
  };
}
