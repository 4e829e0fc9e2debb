import { checkHandlers } from '../../handlers/index.js';
import { createPolicyCheckQueue } from '../../jobs/policy-check-queue.js';
import { startPolicyCheckWorker } from '../../jobs/policy-check.js';
import { defineCapability } from '../capability.js';

/**
 * The `ceos/policy` check: a dry run of every pull request to the policy repository, reported as a
 * check run on its head commit, re-run on request. (`ceos/reconcile` and `ceos/compliance` report
 * reconciliation runs and belong to governance.)
 */
export const checksCapability = defineCapability({
  name: 'checks',
  register({ db, boss, log, policyLocation, appId }) {
    return {
      start: () => createPolicyCheckQueue(boss),
      handlers: checkHandlers({ db, boss, log, policyLocation }),
      startWorkers: ({ probot }) => startPolicyCheckWorker({ boss, db, probot, log, policyLocation, appId }),
    };
  },
});
