import { countHeldPlans } from '../../db/held-plans.js';
import { governanceHandlers } from '../../handlers/index.js';
import { withHandedCommandReplies } from '../../jobs/answer-handed-commands.js';
import { createReconcileQueues, type ReconcileReporter, startReconcileWorkers } from '../../jobs/reconcile-worker.js';
import { createCommandReplier, failCommandRun } from '../../reporting/command-reply.js';
import { loadOrgUsageReport } from '../../reporting/org-usage-report.js';
import { createReconcileReporter } from '../../reporting/report-reconciliation.js';
import { policySchemaRoute } from '../../routes/policy-schema.js';
import { defineCapability } from '../capability.js';

/**
 * Seat governance: installations and the mirror's upkeep from webhooks, reconciliation runs (one
 * at a time per organization, each organization on its policy's schedule, a daily full resync of
 * all), and the policy's JSON Schema for editors. Option `reporter` replaces how finished runs are
 * reported (tests).
 */
export const governanceCapability = defineCapability({
  name: 'governance',
  register({ config, db, boss, log, policyLocation, appId, metrics }) {
    metrics.sources.heldPlans = () => countHeldPlans(db);
    return {
      start: () => createReconcileQueues(boss),
      handlers: governanceHandlers({ db, boss, log, policyLocation }),
      async startWorkers({ probot, metrics, options }) {
        await startReconcileWorkers({
          boss,
          db,
          probot,
          log,
          metrics,
          policyLocation,
          batchSize: config.seatBatchSize,
          resyncSchedule: config.resyncSchedule,
          mirrorMaxAgeHours: config.mirrorMaxAgeHours,
          reporter: withHandedCommandReplies(
            (options.reporter as ReconcileReporter | undefined) ??
              createReconcileReporter({
                log,
                policyLocation,
                appId,
                commandReply: createCommandReplier({ db, log }),
                usageReport: (org, orgLogin, at) => loadOrgUsageReport(db, org, orgLogin, at),
              }),
            { db, log },
          ),
          onLastAttemptFailed: (job, error, octokit) => failCommandRun({ db, log }, job, error, octokit),
        });
      },
      routes: policySchemaRoute,
    };
  },
});
