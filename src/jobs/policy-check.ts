import type { Kysely } from 'kysely';
import { logJobFailures } from './log-job-failures.js';
import type { Job, PgBoss } from 'pg-boss';
import type { Logger } from 'pino';
import type { Probot } from 'probot';
import { findInstallation } from '../db/installations.js';
import { loadSnapshot, mirrorMembership } from '../db/mirror.js';
import { listActiveOverrides, toSeatOverride } from '../db/overrides.js';
import type { Database } from '../db/schema.js';
import { planWithSafeguard } from '../domain/planner/safeguard.js';
import { parsePolicy } from '../domain/policy/parse-policy.js';
import type { Policy } from '../domain/policy/policy-schema.js';
import type { CheckRunReport } from '../domain/reports/check-run-types.js';
import { renderPolicyCheck } from '../domain/reports/render-policy-check.js';
import { CHECK_NAMES, assertSummaryFits, completeCheckRun, findCheckRun, startCheckRun } from '../github/check-runs.js';
import { fetchPolicyFile } from '../github/fetch-policy-file.js';
import type { GitHubOctokit } from '../github/github-octokit.js';
import { pullRequestChangesFile } from '../github/pull-request-changes-file.js';
import { runWithinDeadline } from '../engine/run-within-deadline.js';
import { POLICY_CHECK_QUEUE, POLICY_CHECK_RETRY_LIMIT, type PolicyCheckJob, policyCheckJobSchema } from './policy-check-queue.js';
import type { PolicyLocation } from './reconcile-org.js';

/** What a `ceos/policy` check needs. */
export interface PolicyCheckDeps {
  db: Kysely<Database>;
  octokit: GitHubOctokit;
  log: Logger;
  policyLocation: PolicyLocation;
  now: () => Date;
  /** The GitHub App's id, to tell CEOS's runs from another app's of the same name. */
  appId?: number;
}

/** What a `ceos/policy` check did. */
export interface PolicyCheckResult {
  /** `reported`: a run was completed; `already_reported`: this request's run was complete already; `skipped`: not governed. */
  status: 'reported' | 'already_reported' | 'skipped';
  /** Check run id, when there is one. */
  checkRunId: number | null;
  /** The conclusion reported. */
  conclusion: CheckRunReport['conclusion'] | null;
}

/**
 * The dry run of a pull request's policy: validates the policy file at the head commit and, when
 * it is valid, plans it against the organization as mirrored now. Nothing is applied.
 */
export async function checkPullRequestPolicy(
  deps: Pick<PolicyCheckDeps, 'db' | 'octokit' | 'policyLocation' | 'now'>,
  job: PolicyCheckJob,
): Promise<CheckRunReport> {
  const { octokit, policyLocation } = deps;
  const policyPath = policyLocation.path;
  const touched = await pullRequestChangesFile(octokit, { owner: job.owner, repo: job.repo, pullNumber: job.pullNumber, path: policyPath });
  if (!touched) return renderPolicyCheck({ state: 'unchanged', policyPath });

  const file = await fetchPolicyFile(octokit as never, { owner: job.owner, repo: job.repo, path: policyPath, ref: job.headSha });
  let policy: Policy | null = null;
  if (file.found) {
    const parsed = parsePolicy(file.text);
    if (!parsed.ok) return renderPolicyCheck({ state: 'invalid', errors: parsed.errors, policyPath });
    policy = parsed.policy;
  }
  const now = deps.now();
  const snapshot = await loadSnapshot(deps.db, job.org, job.owner);
  const overrides = (await listActiveOverrides(deps.db, job.org, now)).map(toSeatOverride);
  const membership = await mirrorMembership(deps.db, job.org);
  // A pull request that deletes the policy is planned as no policy: the check says so. Its plan
  // goes through the safeguard, so the check says when applying it would be held for confirmation.
  const plan = planWithSafeguard({ policy, snapshot, overrides, now: now.toISOString(), membership });
  return renderPolicyCheck({ state: 'valid', plan });
}

/**
 * Runs one `ceos/policy` request: the check run is created in progress first, so reviewers see
 * it started, then completed with the report. A request whose run is already complete (a
 * redelivered event, a retried job) is not reported twice.
 */
export async function runPolicyCheck(deps: PolicyCheckDeps, job: PolicyCheckJob, options: { lastAttempt?: boolean } = {}): Promise<PolicyCheckResult> {
  const { octokit, log } = deps;
  const installation = await findInstallation(deps.db, job.installationId);
  if (!installation || installation.status !== 'active' || installation.org !== job.org) {
    log.info({ org: job.org, installation: job.installationId }, 'policy check skipped: installation not active');
    return { status: 'skipped', checkRunId: null, conclusion: null };
  }
  const target = { owner: job.owner, repo: job.repo, headSha: job.headSha, name: CHECK_NAMES.policy };
  const earlier = await findCheckRun(octokit, target, { externalId: job.requestKey }, deps.appId);
  if (earlier?.status === 'completed') {
    log.info({ org: job.org, pull: job.pullNumber, sha: job.headSha, checkRun: earlier.id }, 'policy check already reported');
    return { status: 'already_reported', checkRunId: earlier.id, conclusion: null };
  }
  const run =
    earlier ??
    (await startCheckRun(octokit, target, {
      externalId: job.requestKey,
      title: 'Checking the policy',
      summary: `CEOS is validating \`${deps.policyLocation.path}\` and planning it against the organization. Nothing is changed.`,
      startedAt: deps.now(),
    }));

  let report: CheckRunReport;
  try {
    report = await checkPullRequestPolicy(deps, job);
  } catch (error) {
    if (!options.lastAttempt) throw error;
    // Out of retries: end the run rather than leave reviewers waiting on it forever. This says
    // nothing about the policy, so it is not a success or a failure of it.
    log.error({ err: error, org: job.org, pull: job.pullNumber }, 'policy check failed');
    report = {
      conclusion: 'neutral',
      title: 'CEOS could not check the policy',
      summary: 'CEOS could not read what it needs from GitHub to check this policy, after several attempts. Re-run the check to try again.',
      annotations: [],
    };
    await completeCheckRun(octokit, { owner: job.owner, repo: job.repo, checkRunId: run.id }, report, { completedAt: deps.now(), alreadySent: run.annotationsCount });
    throw error;
  }
  assertSummaryFits(CHECK_NAMES.policy, report);
  await completeCheckRun(octokit, { owner: job.owner, repo: job.repo, checkRunId: run.id }, report, {
    completedAt: deps.now(),
    alreadySent: run.annotationsCount,
  });
  log.info(
    { org: job.org, pull: job.pullNumber, sha: job.headSha, checkRun: run.id, conclusion: report.conclusion, annotations: report.annotations.length },
    'policy check reported',
  );
  return { status: 'reported', checkRunId: run.id, conclusion: report.conclusion };
}

/** What the `policy-check` worker needs. */
export interface PolicyCheckWorkerDeps {
  boss: PgBoss;
  db: Kysely<Database>;
  probot: Probot;
  log: Logger;
  policyLocation: PolicyLocation;
  /** The GitHub App's id (config.appId), to tell CEOS's check runs from other apps'. */
  appId?: number;
  now?: () => Date;
}

/** Starts the `policy-check` worker; each job works with its installation's token. */
export async function startPolicyCheckWorker(deps: PolicyCheckWorkerDeps): Promise<void> {
  const { boss, probot, log } = deps;
  // Under its job's deadline: the check's GitHub requests carry job.signal.
  await boss.work(POLICY_CHECK_QUEUE, { batchSize: 1, localConcurrency: 4 }, logJobFailures(POLICY_CHECK_QUEUE, { log }, runWithinDeadline(boss, POLICY_CHECK_QUEUE, log, async ([job]: Job[]) => {
    const parsed = policyCheckJobSchema.safeParse(job!.data);
    if (!parsed.success) {
      // A malformed job can never succeed: say why and let it go to the dead-letter queue.
      throw new Error(`invalid policy-check job: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    }
    const data = parsed.data;
    const octokit = await probot.auth(data.installationId);
    return runPolicyCheck(
      {
        db: deps.db,
        octokit,
        log: log.child({ org: data.org, job: job!.id }),
        policyLocation: deps.policyLocation,
        now: deps.now ?? (() => new Date()),
        appId: deps.appId,
      },
      data,
      { lastAttempt: job!.retryCount >= POLICY_CHECK_RETRY_LIMIT },
    );
  })));
}
