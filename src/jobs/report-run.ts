import type { Kysely, Transaction } from 'kysely';
import { type PgBoss, fromKysely } from 'pg-boss';
import type { Logger } from 'pino';
import type { Probot } from 'probot';
import type { Metrics } from '../app/metrics.js';
import { type StoredPlanRun, loadPlanRun } from '../db/plan-reports.js';
import type { Database } from '../db/schema.js';
import { z } from 'zod';
import { logJobFailures } from './log-job-failures.js';
import type { ReconcileResult } from './reconcile-org.js';
import { type ReconcileJob, reconcileJobSchema } from './reconcile-queue.js';
import type { ReconcileReporter } from './reconcile-worker.js';

/** Queue of reports of finished reconciliation runs: check runs and command replies. */
export const REPORT_RUN_QUEUE = 'report-run';

/** A report job's data, validated when the job is taken. */
export const reportRunJobSchema = z.object({
  /** Organization key: reports of one organization go out one at a time, in order. */
  org: z.string().min(1),
  /** Installation whose token publishes the report. */
  installationId: z.number().int().positive(),
  /** The finished plan to report. */
  planId: z.string().uuid('planId must be a stored plan id'),
});

/** A report job's data. */
export type ReportRunJob = z.output<typeof reportRunJobSchema>;

/** Retry policy of the report queue; tests shorten it. */
export interface ReportRunQueueOptions {
  /** Retries after the first attempt. */
  retryLimit?: number;
  /** Seconds before the first retry (doubling after). */
  retryDelay?: number;
}

/**
 * Creates the report queue and its dead-letter queue. A report that fails (GitHub answering 403
 * or 5xx) is retried for a good while, as reporting never changes seats: ten
 * retries with backoff (two to four hours in all) before it is dead-lettered.
 */
export async function createReportRunQueue(boss: PgBoss, options: ReportRunQueueOptions = {}): Promise<void> {
  // The dead-letter queue must exist before the queue that names it.
  await boss.createQueue(`${REPORT_RUN_QUEUE}-dead`, { retentionSeconds: 30 * 24 * 3600 });
  await boss.createQueue(REPORT_RUN_QUEUE, {
    retryLimit: options.retryLimit ?? 10,
    retryDelay: options.retryDelay ?? 30,
    retryBackoff: true,
    retryDelayMax: 3600,
    expireInSeconds: 900,
    deadLetter: `${REPORT_RUN_QUEUE}-dead`,
    notify: true,
  });
}

/**
 * Queues the report of a finished plan in the transaction that finishes it, so a finished plan
 * always gets its report and an unfinished one never does.
 */
export async function enqueueReportRun(boss: PgBoss, trx: Transaction<Database>, data: ReportRunJob): Promise<string | null> {
  const job = reportRunJobSchema.parse(data);
  return boss.send(REPORT_RUN_QUEUE, job, { group: { id: job.org }, db: fromKysely(trx) });
}

/** What the report worker needs. */
export interface ReportRunWorkerDeps {
  boss: PgBoss;
  db: Kysely<Database>;
  probot: Probot;
  log: Logger;
  metrics: Metrics;
  /** Publishes the report (check runs, command replies). */
  reporter: ReconcileReporter;
}

/**
 * The reconcile job and result a stored plan is reported as: the same shapes the run had, read
 * back from what it stored, so the report says what was applied whether it runs a second after
 * the apply or hours later.
 */
export function reportInputOf(run: StoredPlanRun, installationId: number): { job: ReconcileJob; result: ReconcileResult } {
  const job = reconcileJobSchema.parse({
    org: run.row.org,
    installationId,
    trigger: run.row.trigger,
    actor: run.row.actor,
    apply: run.status !== 'planned',
    report: run.report,
  });
  const result: ReconcileResult = {
    status: run.status as ReconcileResult['status'],
    planId: run.row.id,
    plan: run.plan,
    policy: { policy: null, errors: run.policyErrors, sha: run.row.policy_sha },
    outcome: run.outcome === null ? null : { added: [...run.outcome.added], cancelled: [...run.outcome.cancelled], failed: [...run.outcome.failed] },
  };
  return { job, result };
}

/**
 * Starts the report worker: reports of one organization are published one at a time across every
 * instance (a group per organization), so replies and check runs go out in order and a retried
 * report never races the next. A report that fails only fails itself: the apply it reports is
 * committed and is never repeated or audited again.
 */
export async function startReportRunWorker(deps: ReportRunWorkerDeps): Promise<void> {
  const { db, log } = deps;
  await deps.boss.work(
    REPORT_RUN_QUEUE,
    // A retry is not announced by NOTIFY: a short backstop poll starts it within seconds of its time.
    { batchSize: 1, groupConcurrency: 1, localConcurrency: 2, notifyPollingIntervalSeconds: 5 },
    logJobFailures(REPORT_RUN_QUEUE, { log, metrics: deps.metrics }, async ([job]) => {
      const parsed = reportRunJobSchema.safeParse(job!.data);
      if (!parsed.success) {
        // A malformed job can never succeed: say why and let it go to the dead-letter queue.
        throw new Error(`invalid report job: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
      }
      const data = parsed.data;
      const run = await loadPlanRun(db, data.planId);
      if (run === undefined) {
        log.warn({ org: data.org, planId: data.planId }, 'report skipped: the plan is no longer stored');
        return { reported: false };
      }
      if (run.status === 'applying') throw new Error(`plan ${data.planId} is still being applied; its report waits`);
      const { job: reconcileJob, result } = reportInputOf(run, data.installationId);
      const octokit = await deps.probot.auth(data.installationId);
      await deps.reporter(reconcileJob, result, octokit);
      log.info({ org: data.org, planId: data.planId, report: run.report.kind, status: run.status }, 'run reported');
      return { reported: true, planId: data.planId };
    }),
  );
}
