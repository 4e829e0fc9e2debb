import { trace } from '@opentelemetry/api';
import type { Job } from 'pg-boss';
import type { Logger } from 'pino';
import type { Metrics } from '../app/metrics.js';

/** What a failed job is reported with: where to log it, and the counter of failures per queue. */
export interface JobFailureReporting {
  log: Logger;
  metrics?: Pick<Metrics, 'jobFailures'>;
}

function orgOf(job: Job<unknown>): string | undefined {
  const data = job.data as { org?: unknown } | null | undefined;
  return typeof data?.org === 'string' ? data.org : undefined;
}

/**
 * Wraps a pg-boss work handler so that every failure is logged with its queue, organization, job
 * and attempt, and counted, before pg-boss records it and retries: pg-boss itself only stores the
 * error on the job row, where nobody looks. The error is rethrown unchanged.
 */
export function logJobFailures<J extends Job<any>, R>(
  queue: string,
  reporting: JobFailureReporting,
  handler: (jobs: J[]) => Promise<R>,
): (jobs: J[]) => Promise<R> {
  return async (jobs) => {
    // pg-boss runs the handler in the job's span (when tracing): it says which organization too.
    const org = jobs.length === 1 ? orgOf(jobs[0]!) : undefined;
    if (org !== undefined) trace.getActiveSpan()?.setAttribute('ceos.org', org);
    try {
      return await handler(jobs);
    } catch (error) {
      reporting.metrics?.jobFailures.inc({ queue });
      for (const job of jobs) {
        reporting.log.error({ queue, org: orgOf(job), job: job.id, attempt: job.retryCount + 1, err: error }, 'job failed');
      }
      throw error;
    }
  };
}
