import type { PgBoss } from 'pg-boss';
import { z } from 'zod';

/** Queue of `ceos/policy` checks of pull requests to the policy repository. */
export const POLICY_CHECK_QUEUE = 'policy-check';

/** A `ceos/policy` check to run, validated when the job is taken. */
export const policyCheckJobSchema = z.object({
  /** Organization key (lower-case login). */
  org: z.string().min(1),
  installationId: z.number().int().positive(),
  /** Owner of the policy repository, as GitHub spells it. */
  owner: z.string().min(1),
  /** The policy repository's name. */
  repo: z.string().min(1),
  pullNumber: z.number().int().positive(),
  /** The pull request's head commit: the check is reported on it and reads the policy there. */
  headSha: z.string().regex(/^[0-9a-f]{40}([0-9a-f]{24})?$/, 'must be a full commit SHA'),
  /**
   * Which request this is: every pull_request event for one head commit is the same request
   * (one check run however often it is delivered); each re-run asked for is a new one.
   */
  requestKey: z.string().min(1).max(200),
  /** What asked for it. */
  trigger: z.enum(['pull_request', 'rerequested']),
});

export type PolicyCheckJobData = z.input<typeof policyCheckJobSchema>;
export type PolicyCheckJob = z.output<typeof policyCheckJobSchema>;

/** Retries of a policy check before its run is ended as not checked. */
export const POLICY_CHECK_RETRY_LIMIT = 4;

/** Creates the `policy-check` queue: one job per request queued or running at a time. */
export async function createPolicyCheckQueue(boss: PgBoss): Promise<void> {
  await boss.createQueue(`${POLICY_CHECK_QUEUE}-dead`, { retentionSeconds: 7 * 24 * 3600 });
  await boss.createQueue(POLICY_CHECK_QUEUE, {
    // A duplicate delivery of the same request, while the first is still queued or running, is dropped.
    policy: 'exclusive',
    retryLimit: POLICY_CHECK_RETRY_LIMIT,
    retryDelay: 15,
    retryBackoff: true,
    retryDelayMax: 600,
    expireInSeconds: 600,
    deadLetter: `${POLICY_CHECK_QUEUE}-dead`,
    // Reviewers wait on the check: workers are woken at once rather than at their next poll.
    notify: true,
  });
}

/** The key shared by every pull_request event of one head commit. */
export function pullRequestRequestKey(owner: string, repo: string, headSha: string): string {
  return `${owner.toLowerCase()}/${repo.toLowerCase()}@${headSha}`;
}

/** Queues a `ceos/policy` check; returns null when the same request is already queued or running. */
export async function enqueuePolicyCheck(boss: PgBoss, data: PolicyCheckJobData): Promise<string | null> {
  const job = policyCheckJobSchema.parse(data);
  return boss.send(POLICY_CHECK_QUEUE, job, { singletonKey: job.requestKey });
}
