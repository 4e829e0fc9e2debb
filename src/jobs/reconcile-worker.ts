import type { Kysely } from 'kysely';
import type { PgBoss } from 'pg-boss';
import type { Logger } from 'pino';
import type { Probot } from 'probot';
import { listActiveInstallations } from '../db/installations.js';
import type { Database } from '../db/schema.js';
import { POLICY_DEFAULTS } from '../domain/policy/policy-schema.js';
import type { Metrics } from '../app/metrics.js';
import { type PolicyLocation, type ReconcileResult, reconcileOrg } from './reconcile-org.js';
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
  reporter?: ReconcileReporter;
  /** Told when a run fails its last attempt (a command waiting for its answer is answered with the failure). */
  onLastAttemptFailed?: (job: ReconcileJob, error: unknown, octokit: Awaited<ReturnType<Probot['auth']>>) => Promise<void>;
  now?: () => Date;
}

/** Creates the reconciliation queues with their retry policies. */
export async function createReconcileQueues(boss: PgBoss): Promise<void> {
  // The dead-letter queue must exist before the queue that names it.
  await boss.createQueue(`${RECONCILE_QUEUE}-dead`, { retentionSeconds: 30 * 24 * 3600 });
  await boss.createQueue(RECONCILE_QUEUE, {
    retryLimit: 5,
    retryDelay: 30,
    retryBackoff: true,
    retryDelayMax: 3600,
    // A large organization's sync and apply take minutes; a run still active after this is retried.
    expireInSeconds: 3600,
    deadLetter: `${RECONCILE_QUEUE}-dead`,
    notify: true,
  });
  await boss.createQueue(RESYNC_ALL_QUEUE, { policy: 'singleton', retryLimit: 2, retryDelay: 300 });
}

/**
 * Starts the workers: runs of one organization are taken one at a time across every instance
 * (a pg-boss group per organization); different organizations run side by side.
 */
export async function startReconcileWorkers(deps: ReconcileWorkerDeps): Promise<void> {
  const { boss, db, probot, log } = deps;
  await boss.work(RECONCILE_QUEUE, { batchSize: 1, groupConcurrency: 1, localConcurrency: 4, includeMetadata: true }, async ([job]) => {
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
          now: deps.now ?? (() => new Date()),
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
      if (deps.reporter && result.status !== 'skipped') await deps.reporter(data, result, octokit);
      if (result.status === 'partially_applied') {
        // Failing the job retries it with backoff; the retry plans against GitHub's new state.
        throw new Error(`reconciliation of ${data.org} left ${result.outcome?.failed.length ?? 0} seat changes undone`);
      }
      return { status: result.status, planId: result.planId };
    } catch (error) {
      deps.metrics.jobFailures.inc({ queue: RECONCILE_QUEUE });
      if (deps.onLastAttemptFailed && job!.retryCount >= job!.retryLimit) {
        await deps.onLastAttemptFailed(data, error, octokit).catch((reportError: unknown) =>
          log.error({ err: reportError, org: data.org }, 'could not report a failed reconciliation'),
        );
      }
      throw error;
    }
  });

  await boss.work(RESYNC_ALL_QUEUE, async () => {
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
  });
  await boss.schedule(RESYNC_ALL_QUEUE, deps.resyncSchedule);
}
