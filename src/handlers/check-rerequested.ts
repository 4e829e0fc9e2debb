import type { Probot } from 'probot';
import { CHECK_NAMES } from '../github/check-runs.js';
import { enqueuePolicyCheck } from '../jobs/policy-check-queue.js';
import { checkRunRerequestedSchema, checkSuiteRerequestedSchema, parsePayload } from './payload-schemas.js';
import { type PolicyHandlerDeps, governedPolicyRepository } from './policy-repository.js';

interface PullRequestRef {
  number: number;
  head: { sha: string };
}

/**
 * "Re-run" on CEOS's `ceos/policy` check (or on its whole check suite) in the policy repository
 * queues the check again. Each re-run is its own request, reported in a new check run, so the
 * annotations of the earlier run are not repeated on it.
 */
export function registerCheckRerequestedHandlers(app: Probot, deps: PolicyHandlerDeps): void {
  const rerun = async (
    payload: Parameters<typeof governedPolicyRepository>[1],
    headSha: string,
    pulls: readonly PullRequestRef[],
    deliveryId: string,
  ) => {
    const target = await governedPolicyRepository(deps, payload);
    if (!target) return;
    // A check suite lists the pull requests of its head commit; one whose head moved on is stale.
    const pull = pulls.find((p) => p.head.sha === headSha);
    if (!pull) {
      deps.log.info({ org: target.org, sha: headSha }, 'policy check re-run skipped: no open pull request for the commit');
      return;
    }
    await enqueuePolicyCheck(deps.boss, {
      ...target,
      pullNumber: pull.number,
      headSha,
      requestKey: `rerun:${deliveryId}`,
      trigger: 'rerequested',
    });
    deps.log.info({ org: target.org, pull: pull.number, sha: headSha }, 'policy check re-run queued');
  };

  app.on('check_run.rerequested', async (context) => {
    const payload = parsePayload(checkRunRerequestedSchema, 'check_run.rerequested', context.payload);
    const run = payload.check_run;
    if (run.name !== CHECK_NAMES.policy) return;
    await rerun(payload, run.head_sha, run.pull_requests, context.id);
  });

  app.on('check_suite.rerequested', async (context) => {
    const payload = parsePayload(checkSuiteRerequestedSchema, 'check_suite.rerequested', context.payload);
    const suite = payload.check_suite;
    await rerun(payload, suite.head_sha, suite.pull_requests, context.id);
  });
}
