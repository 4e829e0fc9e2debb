import type { Probot } from 'probot';
import { enqueuePolicyCheck, pullRequestRequestKey } from '../jobs/policy-check-queue.js';
import { parsePayload, pullRequestEventSchema } from './payload-schemas.js';
import { type PolicyHandlerDeps, governedPolicyRepository } from './policy-repository.js';

/**
 * `ceos/policy` on pull requests to the policy repository: every opened, updated or reopened pull
 * request queues a dry run of its policy. All events of one head commit are one request, so a
 * redelivery or a reopen with nothing new reports nothing twice.
 */
export function registerPolicyPullRequestHandlers(app: Probot, deps: PolicyHandlerDeps): void {
  app.on(['pull_request.opened', 'pull_request.synchronize', 'pull_request.reopened'], async (context) => {
    const payload = parsePayload(pullRequestEventSchema, `pull_request.${context.payload.action}`, context.payload);
    const target = await governedPolicyRepository(deps, payload);
    if (!target) return;
    const pull = payload.pull_request;
    const jobId = await enqueuePolicyCheck(deps.boss, {
      ...target,
      pullNumber: pull.number,
      headSha: pull.head.sha,
      requestKey: pullRequestRequestKey(target.owner, target.repo, pull.head.sha),
      trigger: 'pull_request',
    });
    deps.log.info({ org: target.org, pull: pull.number, sha: pull.head.sha, job: jobId, action: payload.action }, 'policy check queued');
  });
}
