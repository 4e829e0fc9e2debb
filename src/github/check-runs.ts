import { batchAnnotations } from '../domain/reports/batch-annotations.js';
import type { CheckAnnotation, CheckRunReport } from '../domain/reports/check-run-types.js';
import { CHECK_RUN_SUMMARY_LIMIT } from '../domain/reports/markdown-size.js';
import type { GitHubOctokit } from './github-octokit.js';

/** The names of CEOS's check runs, as reviewers see them. */
export const CHECK_NAMES = {
  policy: 'ceos/policy',
  reconcile: 'ceos/reconcile',
  compliance: 'ceos/compliance',
} as const;

/** One of CEOS's check run names. */
export type CheckName = (typeof CHECK_NAMES)[keyof typeof CHECK_NAMES];

/** The commit a check run is about. */
export interface CheckRunTarget {
  /** Repository owner (the organization login). */
  owner: string;
  /** Repository name. */
  repo: string;
  /** Full SHA of the commit. */
  headSha: string;
  /** Check name. */
  name: CheckName;
}

/** A check run as CEOS needs to know it again. */
export interface ExistingCheckRun {
  /** Check run id. */
  id: number;
  /** `queued`, `in_progress` or `completed` (GitHub Actions statuses are not CEOS's). */
  status: string;
  /** Conclusion once completed. */
  conclusion: string | null;
  /** CEOS's reference for the run, or null. */
  externalId: string | null;
  /** Annotations already on the run (they can only be appended, never replaced). */
  annotationsCount: number;
}

/** How to pick an earlier run of the same check on the same commit. */
export type ReuseRule =
  /** Only a run with this external id: a retry or a redelivery of the same request. */
  | { externalId: string }
  /** The newest run of the check, whatever its external id (reports without annotations). */
  | 'latest';

/** What publishing a check run did. */
export interface PublishedCheckRun {
  /** Check run id. */
  id: number;
  /** `created`: a new run; `updated`: an earlier run completed or refreshed; `unchanged`: already completed for this request. */
  action: 'created' | 'updated' | 'unchanged';
}

interface CheckRunData {
  id: number;
  status: string;
  conclusion: string | null;
  external_id: string | null;
  app?: { id?: number } | null;
  output: { annotations_count?: number };
}

function toExisting(run: CheckRunData): ExistingCheckRun {
  return {
    id: run.id,
    status: run.status,
    conclusion: run.conclusion,
    externalId: run.external_id,
    annotationsCount: run.output.annotations_count ?? 0,
  };
}

/**
 * Runs of a check on a commit, newest first, from every check suite. With `appId`, only the
 * runs of that app, so another app's run of the same name is never taken for CEOS's.
 */
export async function listCheckRuns(octokit: GitHubOctokit, target: CheckRunTarget, appId?: number): Promise<ExistingCheckRun[]> {
  const runs = (await octokit.paginate('GET /repos/{owner}/{repo}/commits/{ref}/check-runs', {
    owner: target.owner,
    repo: target.repo,
    ref: target.headSha,
    check_name: target.name,
    filter: 'all',
    per_page: 100,
    ...(appId === undefined ? {} : { app_id: appId }),
  })) as CheckRunData[];
  return runs
    .filter((run) => appId === undefined || run.app?.id === undefined || run.app.id === appId)
    .sort((a, b) => b.id - a.id)
    .map(toExisting);
}

/** The earlier run a new report should go to, by the reuse rule. */
export async function findCheckRun(
  octokit: GitHubOctokit,
  target: CheckRunTarget,
  reuse: ReuseRule,
  appId?: number,
): Promise<ExistingCheckRun | undefined> {
  const runs = await listCheckRuns(octokit, target, appId);
  return reuse === 'latest' ? runs[0] : runs.find((run) => run.externalId === reuse.externalId);
}

/** Creates a run in progress, so reviewers see the check has started. */
export async function startCheckRun(
  octokit: GitHubOctokit,
  target: CheckRunTarget,
  options: { externalId: string; title: string; summary: string; startedAt: Date },
): Promise<ExistingCheckRun> {
  const { data } = await octokit.request('POST /repos/{owner}/{repo}/check-runs', {
    owner: target.owner,
    repo: target.repo,
    name: target.name,
    head_sha: target.headSha,
    external_id: options.externalId,
    status: 'in_progress',
    started_at: options.startedAt.toISOString(),
    output: { title: options.title, summary: options.summary },
  });
  return toExisting(data as CheckRunData);
}

/** Refuses a summary GitHub would refuse, naming the check: a renderer that did not fit it is a bug. */
export function assertSummaryFits(name: string, report: Pick<CheckRunReport, 'summary'>): void {
  if (report.summary.length > CHECK_RUN_SUMMARY_LIMIT) {
    throw new RangeError(
      `The ${name} summary is ${report.summary.length} characters; the Checks API takes at most ${CHECK_RUN_SUMMARY_LIMIT}. Render it with fitSummary().`,
    );
  }
}

/**
 * Completes a run with a report. Annotations beyond the first 50 go in further updates, which
 * GitHub appends; they are all sent while the run is still in progress and the conclusion comes
 * with the last request, so a completed run always carries every annotation. `alreadySent`
 * annotations (from an attempt that failed part way) are not sent again.
 */
export async function completeCheckRun(
  octokit: GitHubOctokit,
  location: { owner: string; repo: string; checkRunId: number },
  report: CheckRunReport,
  options: { completedAt: Date; externalId?: string; alreadySent?: number },
): Promise<void> {
  const output = { title: report.title, summary: report.summary };
  const batches: CheckAnnotation[][] = batchAnnotations(report.annotations.slice(options.alreadySent ?? 0));
  const last = batches.pop();
  for (const batch of batches) {
    await octokit.request('PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}', {
      owner: location.owner,
      repo: location.repo,
      check_run_id: location.checkRunId,
      output: { ...output, annotations: batch },
    });
  }
  await octokit.request('PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}', {
    owner: location.owner,
    repo: location.repo,
    check_run_id: location.checkRunId,
    ...(options.externalId === undefined ? {} : { external_id: options.externalId }),
    status: 'completed',
    conclusion: report.conclusion,
    completed_at: options.completedAt.toISOString(),
    output: last === undefined ? output : { ...output, annotations: last },
  });
}

/**
 * Publishes a finished report as a check run, once. An earlier run picked by `reuse` that is
 * already completed for the same external id is left as it is; one still in progress (an attempt
 * that failed part way) is completed; otherwise a new run is created. A run with annotations is
 * never refreshed in place, since its annotations could only be appended to.
 */
export async function publishCheckRun(
  octokit: GitHubOctokit,
  target: CheckRunTarget,
  report: CheckRunReport,
  options: { externalId: string; reuse: ReuseRule; now: () => Date; appId?: number },
): Promise<PublishedCheckRun> {
  assertSummaryFits(target.name, report);
  const earlier = await findCheckRun(octokit, target, options.reuse, options.appId);
  const location = { owner: target.owner, repo: target.repo };
  if (earlier !== undefined) {
    const sameRequest = earlier.externalId === options.externalId;
    if (sameRequest && earlier.status === 'completed') return { id: earlier.id, action: 'unchanged' };
    const canReuse = sameRequest || (earlier.annotationsCount === 0 && report.annotations.length === 0);
    if (canReuse) {
      await completeCheckRun(octokit, { ...location, checkRunId: earlier.id }, report, {
        completedAt: options.now(),
        externalId: options.externalId,
        alreadySent: sameRequest ? earlier.annotationsCount : 0,
      });
      return { id: earlier.id, action: 'updated' };
    }
  }
  if (report.annotations.length <= 50) {
    const { data } = await octokit.request('POST /repos/{owner}/{repo}/check-runs', {
      ...location,
      name: target.name,
      head_sha: target.headSha,
      external_id: options.externalId,
      status: 'completed',
      conclusion: report.conclusion,
      completed_at: options.now().toISOString(),
      output: {
        title: report.title,
        summary: report.summary,
        ...(report.annotations.length === 0 ? {} : { annotations: report.annotations }),
      },
    });
    return { id: (data as CheckRunData).id, action: 'created' };
  }
  const run = await startCheckRun(octokit, target, {
    externalId: options.externalId,
    title: report.title,
    summary: report.summary,
    startedAt: options.now(),
  });
  await completeCheckRun(octokit, { ...location, checkRunId: run.id }, report, { completedAt: options.now() });
  return { id: run.id, action: 'created' };
}
