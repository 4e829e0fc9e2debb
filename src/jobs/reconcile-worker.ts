import type { Kysely } from 'kysely';
import { logJobFailures } from './log-job-failures.js';
import type { JobWithMetadata, PgBoss } from 'pg-boss';
import type { Logger } from 'pino';
import type { Probot } from 'probot';
import { listActiveInstallations } from '../db/installations.js';
import type { Database } from '../db/schema.js';
import { POLICY_DEFAULTS } from '../domain/policy/policy-schema.js';
import { currentDeadline } from '../engine/job-deadline.js';
import { runWithinDeadline } from '../engine/run-within-deadline.js';
import { measureReconciliation } from './measure-reconciliation.js';
import type { Metrics } from '../app/metrics.js';
import { type PolicyLocation, type ReconcileResult, reconcileOrg } from './reconcile-org.js';
import { createReportRunQueue, enqueueReportRun, startReportRunWorker } from './report-run.js';
import { SETTLE_PLANS_QUEUE, SETTLE_PLANS_QUEUE_SPEC, SETTLE_PLANS_SCHEDULE, startSettlePlansWorker } from './settle-plans.js';
import {
  RECONCILE_QUEUE,
  RESYNC_ALL_QUEUE,
  type ReconcileJob,
  enqueueReconcile,
  reconcileJobSchema,
} from './reconcile-queue.js';

/** Reports a finished run where its trigger asked (check runs, command replies). */
export type ReconcileReporter = (job: ReconcileJob, result: ReconcileResult, octokit: Awaited<ReturnType<Probot['auth']>>) => Promise<void>;

/** What the reconciliation workers need. */
export interface ReconcileWorkerDeps {
  boss: PgBoss;
  db: Kysely<Database>;
  probot: Probot;
  log: Logger;
  metrics: Metrics;
  policyLocation: PolicyLocation;
  batchSize: number;
  resyncSchedule: string;
  /** Hours the mirror's members and teams may age before a plan that cancels re-syncs them. */
  mirrorMaxAgeHours?: number;
  /** Publishes the report of each finished run (check runs, command replies), in the report job. */
  reporter?: ReconcileReporter;
  /** Told when a run fails its last attempt (a command waiting for its answer is answered with the failure). */
  onLastAttemptFailed?: (job: ReconcileJob, error: unknown, octokit: Awaited<ReturnType<Probot['auth']>>) => Promise<void>;
  now?: () => Date;
}

/** Seconds a reconcile job may run; a run still active after this is retried (and its plan may be settled). */
export const RECONCILE_EXPIRE_SECONDS = 3600;
/**
 * Seconds between a reconcile worker's heartbeats are expected: a job whose worker stopped (a
 * killed process) is failed and retried after about this long, instead of after the expiry.
 */
export const RECONCILE_HEARTBEAT_SECONDS = 30;

/** A run that finished with seat changes undone: its plan is stored and reported; failing the job retries it. */
export class PartiallyAppliedError extends Error {}

/** Creates the reconciliation queues (runs, their reports, the resync, the sweeper) with their retry policies. */
export async function createReconcileQueues(boss: PgBoss): Promise<void> {
  // The dead-letter queue must exist before the queue that names it.
  await boss.createQueue(`${RECONCILE_QUEUE}-dead`, { retentionSeconds: 30 * 24 * 3600 });
  await boss.createQueue(RECONCILE_QUEUE, {
    retryLimit: 5,
    retryDelay: 30,
    retryBackoff: true,
    retryDelayMax: 3600,
    // A large organization's sync and apply take minutes; a run still active after this is retried.
    expireInSeconds: RECONCILE_EXPIRE_SECONDS,
    heartbeatSeconds: RECONCILE_HEARTBEAT_SECONDS,
    deadLetter: `${RECONCILE_QUEUE}-dead`,
    notify: true,
  });
  // Creating leaves an existing queue as it was: the heartbeat is set on queues made before it existed.
  await boss.updateQueue(RECONCILE_QUEUE, { heartbeatSeconds: RECONCILE_HEARTBEAT_SECONDS });
  await boss.createQueue(RESYNC_ALL_QUEUE, { policy: 'singleton', retryLimit: 2, retryDelay: 300 });
  await createReportRunQueue(boss);
  await boss.createQueue(SETTLE_PLANS_QUEUE, SETTLE_PLANS_QUEUE_SPEC.options);
}

/**
 * Starts the workers: runs of one organization are taken one at a time across every instance
 * (a pg-boss group per organization); different organizations run side by side. A run stores
 * its plan and queues its report in the transaction that finishes it; the report job publishes
 * it, so a failing report never fails, repeats or re-audits the apply. The sweeper settles plans
 * that a stopped process left `applying`.
 */
export async function startReconcileWorkers(deps: ReconcileWorkerDeps): Promise<void> {
  const { boss, db, probot, log } = deps;
  // Each run under its job's deadline (GitHub requests carry job.signal), timed per organization.
  await boss.work(RECONCILE_QUEUE, { batchSize: 1, groupConcurrency: 1, localConcurrency: 4, includeMetadata: true }, logJobFailures(RECONCILE_QUEUE, { log }, measureReconciliation(deps.metrics, runWithinDeadline(boss, RECONCILE_QUEUE, log, async ([job]: JobWithMetadata[]) => {
    const parsed = reconcileJobSchema.safeParse(job!.data);
    if (!parsed.success) {
      // A malformed job can never succeed: say why and let it go to the dead-letter queue.
      throw new Error(`invalid reconcile job: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    }
    const data = parsed.data;
    const octokit = await probot.auth(data.installationId);
    try {
      const result = await reconcileOrg(
        {
          db,
          octokit,
          graphql: octokit.graphql as never,
          log: log.child({ org: data.org, job: job!.id }),
          policyLocation: deps.policyLocation,
          batchSize: deps.batchSize,
          mirrorMaxAgeHours: deps.mirrorMaxAgeHours,
          now: deps.now ?? (() => new Date()),
          jobId: job!.id,
          queueReport: async (trx, planId) => {
            await enqueueReportRun(boss, trx, { org: data.org, installationId: data.installationId, planId });
          },
        },
        data,
      );
      if (result.status !== 'skipped') {
        // The organization's own schedule comes from its policy; pg-boss keeps one per org, in the database.
        const cron = result.policy?.policy?.schedule ?? POLICY_DEFAULTS.schedule;
        await boss.schedule(
          RECONCILE_QUEUE,
          cron,
          { org: data.org, installationId: data.installationId, trigger: 'schedule', actor: 'schedule', report: { kind: 'compliance_check' } },
          { key: data.org, group: { id: data.org } },
        );
      }
      if (result.status === 'partially_applied') {
        // Failing the job retries it with backoff; the retry plans against GitHub's new state.
        throw new PartiallyAppliedError(`reconciliation of ${data.org} left ${result.outcome?.failed.length ?? 0} seat changes undone`);
      }
      return { status: result.status, planId: result.planId };
    } catch (error) {
      // A run handed back until GitHub takes requests again has not failed: runWithinDeadline
      // queues its copy, and neither the failure count nor a failure reply applies to it.
      if (currentDeadline()?.giveBackSeconds !== undefined) throw error;
      deps.metrics.jobFailures.inc({ queue: RECONCILE_QUEUE });
      // A run that stored its plan has its report queued, which answers the command with what was applied.
      if (deps.onLastAttemptFailed && job!.retryCount >= job!.retryLimit && !(error instanceof PartiallyAppliedError)) {
        await deps.onLastAttemptFailed(data, error, octokit).catch((reportError: unknown) =>
          log.error({ err: reportError, org: data.org }, 'could not report a failed reconciliation'),
        );
      }
      throw error;
    }
  }))));

  await boss.work(RESYNC_ALL_QUEUE, logJobFailures(RESYNC_ALL_QUEUE, { log, metrics: deps.metrics }, runWithinDeadline(boss, RESYNC_ALL_QUEUE, log, async () => {
    const installations = await listActiveInstallations(db);
    for (const installation of installations) {
      await enqueueReconcile(boss, {
        org: installation.org,
        installationId: Number(installation.id),
        trigger: 'resync',
        actor: 'schedule',
        refreshGraph: true,
        report: { kind: 'compliance_check' },
      });
    }
    return { organizations: installations.length };
  })));
  await boss.schedule(RESYNC_ALL_QUEUE, deps.resyncSchedule);

  await startReportRunWorker({ boss, db, probot, log, metrics: deps.metrics, reporter: deps.reporter ?? (async () => undefined) });
  await startSettlePlansWorker({ boss, db, probot, log, metrics: deps.metrics, fallbackSeconds: RECONCILE_EXPIRE_SECONDS, now: deps.now });
  // Kept by pg-boss in the database, so one sweep runs per schedule however many instances run.
  await boss.schedule(SETTLE_PLANS_QUEUE, SETTLE_PLANS_SCHEDULE);
}
