import type { Logger } from 'pino';
import type { Plan } from '../domain/plan-types.js';
import type { UsageReport } from '../domain/usage/usage-report.js';
import type { PolicyError } from '../domain/policy/parse-policy.js';
import type { CheckRunReport } from '../domain/reports/check-run-types.js';
import { renderComplianceCheck } from '../domain/reports/render-compliance-check.js';
import { renderInvalidPushedPolicy } from '../domain/reports/render-policy-check.js';
import { renderReconcileCheck } from '../domain/reports/render-reconcile-check.js';
import { CHECK_NAMES, publishCheckRun } from '../github/check-runs.js';
import { fetchDefaultBranchHead } from '../github/fetch-default-branch-head.js';
import type { GitHubOctokit } from '../github/github-octokit.js';
import type { PolicyLocation, ReconcileResult } from '../jobs/reconcile-org.js';
import type { ReconcileJob } from '../jobs/reconcile-queue.js';
import type { ReconcileReporter } from '../jobs/reconcile-worker.js';

/** What the check-run reporter of reconciliation runs needs. */
export interface ReconcileReporterDeps {
  log: Logger;
  /** Where policies live: `ceos/compliance` goes on the policy repository's default branch. */
  policyLocation: PolicyLocation;
  /** The GitHub App's id (config.appId), to tell CEOS's check runs from other apps'. */
  appId?: number;
  now?: () => Date;
  /** Reports `command_reply` targets; without it they are not reported here. */
  commandReply?: ReconcileReporter;
  /**
   * The organization's cost and usage report (by organization key and login), shown in
   * `ceos/compliance` as `/copilot report` shows it; without it the check has no such section.
   */
  usageReport?: (org: string, orgLogin: string, now: Date) => Promise<UsageReport>;
}

/**
 * Reports finished reconciliation runs where their trigger asked: `ceos/reconcile` on a pushed
 * commit, `ceos/compliance` on the head of the policy repository's default branch. Command
 * replies go to `commandReply`. Reporting the same plan twice (a retried job) updates the run
 * it already posted instead of adding another.
 */
export function createReconcileReporter(deps: ReconcileReporterDeps): ReconcileReporter {
  const now = deps.now ?? (() => new Date());
  return async (job, result, octokit) => {
    const target = job.report;
    if (target.kind === 'command_reply') {
      if (deps.commandReply) await deps.commandReply(job, result, octokit);
      return;
    }
    if (target.kind === 'none' || result.plan === null || result.planId === null) return;
    const log = deps.log.child({ org: job.org, planId: result.planId });
    if (target.kind === 'reconcile_check') {
      const [owner, repo] = target.repo.includes('/') ? target.repo.split('/', 2) : [result.plan.org, target.repo];
      const report = reconcileReport(result, result.plan, result.planId, deps.policyLocation.path);
      const published = await publishCheckRun(
        octokit,
        { owner: owner!, repo: repo!, headSha: target.sha, name: CHECK_NAMES.reconcile },
        report,
        { externalId: result.planId, reuse: { externalId: result.planId }, now, appId: deps.appId },
      );
      log.info({ sha: target.sha, checkRun: published.id, action: published.action, conclusion: report.conclusion }, 'reconcile check reported');
      return;
    }
    await reportCompliance(deps, octokit as GitHubOctokit, job, result.plan, result.planId, result.policy?.errors ?? null, now, log);
  };
}

async function reportCompliance(
  deps: ReconcileReporterDeps,
  octokit: GitHubOctokit,
  job: ReconcileJob,
  plan: Plan,
  planId: string,
  policyErrors: readonly PolicyError[] | null,
  now: () => Date,
  log: Logger,
): Promise<void> {
  const owner = plan.org;
  const repo = deps.policyLocation.repository;
  const head = await fetchDefaultBranchHead(octokit, owner, repo);
  if (!head.found) {
    log.info({ repo: `${owner}/${repo}`, reason: head.reason, trigger: job.trigger }, 'compliance check skipped: no policy repository branch to report on');
    return;
  }
  // An invalid policy file is reported as such, at the commit the run is reported on.
  const invalidPolicy = policyErrors !== null && policyErrors.length > 0 ? { errors: policyErrors, path: deps.policyLocation.path, commitSha: head.sha } : null;
  const usage = await loadUsage(deps, plan.org, now(), log);
  const report = renderComplianceCheck({ plan, planId, invalidPolicy, usage });
  // One compliance run per commit, refreshed by every later run: a schedule must not pile them up.
  const published = await publishCheckRun(
    octokit,
    { owner, repo, headSha: head.sha, name: CHECK_NAMES.compliance },
    report,
    { externalId: planId, reuse: 'latest', now, appId: deps.appId },
  );
  log.info({ sha: head.sha, checkRun: published.id, action: published.action, violations: plan.violations.length }, 'compliance check reported');
}

/**
 * The usage report for the compliance check. The check reports the policy first: a usage read
 * that fails is logged and the check goes out without its cost section rather than not at all.
 */
async function loadUsage(deps: ReconcileReporterDeps, orgLogin: string, at: Date, log: Logger): Promise<UsageReport | null> {
  if (!deps.usageReport) return null;
  try {
    return await deps.usageReport(orgLogin.toLowerCase(), orgLogin, at);
  } catch (err) {
    log.warn({ err }, 'compliance check reported without its cost and usage section: the usage report could not be read');
    return null;
  }
}

/** The `ceos/reconcile` report of a run; a pushed policy that does not validate gets its problems. */
function reconcileReport(result: ReconcileResult, plan: Plan, planId: string, policyPath: string): CheckRunReport {
  const errors = result.policy?.errors ?? null;
  if (errors !== null && errors.length > 0) return renderInvalidPushedPolicy(errors, policyPath, plan, planId);
  return renderReconcileCheck({ plan, planId, outcome: result.outcome });
}
