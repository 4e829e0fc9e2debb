import type { UsageReportKind } from '../domain/usage/parse-usage-records.js';
import type { GitHubOctokit } from './github-octokit.js';
import type { DownloadFile, DownloadedFile } from './usage-file-download.js';
import { ndjsonLines } from './usage-ndjson-lines.js';

/**
 * The REST API version sent with the report calls. The description carries these operations in
 * its 2022-11-28 version unchanged (its only breaking-change version, 2026-03-10, touches none of
 * them), so the default version is the one it documents them under.
 */
export const USAGE_API_VERSION = '2022-11-28';

const PATHS = {
  organization: 'GET /orgs/{org}/copilot/metrics/reports/organization-1-day',
  users: 'GET /orgs/{org}/copilot/metrics/reports/users-1-day',
  user_teams: 'GET /orgs/{org}/copilot/metrics/reports/user-teams-1-day',
} as const;

/** GitHub refused the organization's reports (403, 404, 422): metrics policy off or permission missing. */
export class UsageUnavailableError extends Error {
  override name = 'UsageUnavailableError';
  constructor(
    readonly httpStatus: number,
    /** GitHub's message, as it gave it. */
    readonly githubMessage: string,
  ) {
    super(`GitHub answered ${httpStatus}: ${githubMessage}`);
  }
}

/** A report day's download links, or no data (204, or no links). */
export type ReportLinks = { kind: 'links'; links: string[]; reportDay: string } | { kind: 'no_data' };

function statusOf(error: unknown): number | undefined {
  const status = (error as { status?: unknown }).status;
  return typeof status === 'number' ? status : undefined;
}

function messageOf(error: unknown): string {
  const data = (error as { response?: { data?: { message?: unknown } } }).response?.data;
  if (typeof data?.message === 'string' && data.message !== '') return data.message;
  return error instanceof Error ? error.message : String(error);
}

/** Asks GitHub for a report of one day (`GET /orgs/{org}/copilot/metrics/reports/<report>-1-day?day=`). */
export async function requestReportLinks(octokit: GitHubOctokit, org: string, report: UsageReportKind, day: string): Promise<ReportLinks> {
  try {
    const response = await octokit.request(PATHS[report], { org, day, headers: { 'x-github-api-version': USAGE_API_VERSION } });
    if ((response.status as number) === 204) return { kind: 'no_data' };
    const data = response.data as { download_links?: string[]; report_day?: string } | undefined;
    const links = data?.download_links ?? [];
    if (links.length === 0) return { kind: 'no_data' };
    return { kind: 'links', links, reportDay: data?.report_day ?? day };
  } catch (error) {
    const status = statusOf(error);
    // Metrics policy off, the permission not granted, no Copilot: an answer about the org, not a failure.
    if (status === 403 || status === 404 || status === 422) throw new UsageUnavailableError(status, messageOf(error));
    throw error;
  }
}

/** What downloading a report needs: the Octokit for report calls, `download` for the files. */
export interface UsageDownloadDeps {
  octokit: GitHubOctokit;
  download: DownloadFile;
  /** Aborts downloads with the job (the Octokit's requests carry the job's signal already). */
  signal?: AbortSignal;
}

/** What a streamed report turned out to be. */
export interface StreamedReport {
  status: 'data' | 'no_data';
  links: number;
  lines: number;
}

/** A file host's refusal of a download link. */
export class UsageDownloadError extends Error {
  override name = 'UsageDownloadError';
}

/**
 * Streams every line of a day's report to `onLine`, file by file, in the order GitHub lists the
 * links. Links are signed URLs to a file host: they are fetched without the installation token. A
 * link that has expired (the host answers 403) is replaced by the same link of a fresh report
 * call, once per link; a second refusal fails. `onLine` is awaited, so a slow writer slows the
 * download instead of buffering it.
 */
export async function streamUsageReport(
  deps: UsageDownloadDeps,
  input: { org: string; report: UsageReportKind; day: string },
  onLine: (text: string, line: number) => Promise<void> | void,
): Promise<StreamedReport> {
  let answer = await requestReportLinks(deps.octokit, input.org, input.report, input.day);
  if (answer.kind === 'no_data') return { status: 'no_data', links: 0, lines: 0 };
  const count = answer.links.length;
  let lines = 0;
  for (let index = 0; index < count; index++) {
    let response = await deps.download(answer.links[index]!, deps.signal);
    if (response.status === 403) {
      response.discard();
      answer = await requestReportLinks(deps.octokit, input.org, input.report, input.day);
      if (answer.kind === 'no_data' || answer.links.length !== count) {
        throw new UsageDownloadError(`the ${input.report} report of ${input.day} changed while it was downloaded; collect the day again`);
      }
      response = await deps.download(answer.links[index]!, deps.signal);
    }
    if (response.status !== 200) {
      response.discard();
      throw new UsageDownloadError(`downloading file ${index + 1} of ${count} of the ${input.report} report of ${input.day} failed: HTTP ${response.status}`);
    }
    for await (const { text } of ndjsonLines(response.body)) {
      lines += 1;
      await onLine(text, lines);
    }
  }
  // Links to empty files are still a report: GitHub said the day has data, and it is none.
  return { status: 'data', links: count, lines };
}

export type { DownloadedFile };
