import type { GitHubOctokit } from './github-octokit.js';

/** A repository of the organization. */
export interface RepoRef {
  /** Owner login. */
  owner: string;
  /** Repository name. */
  repo: string;
}

/** An issue as CEOS needs it. */
export interface IssueSummary {
  number: number;
  state: 'open' | 'closed';
  body: string;
}

/** Opens an issue (`POST /repos/{owner}/{repo}/issues`); returns its number. */
export async function createIssue(octokit: GitHubOctokit, repo: RepoRef, issue: { title: string; body: string }): Promise<number> {
  const { data } = await octokit.request('POST /repos/{owner}/{repo}/issues', { owner: repo.owner, repo: repo.repo, title: issue.title, body: issue.body });
  return data.number;
}

/**
 * Rewrites an issue's body and sets its state (`PATCH /repos/{owner}/{repo}/issues/{issue_number}`).
 * Closing says `completed`: nothing is left to do.
 */
export async function updateIssue(octokit: GitHubOctokit, repo: RepoRef, issueNumber: number, change: { body: string; state: 'open' | 'closed' }): Promise<void> {
  await octokit.request('PATCH /repos/{owner}/{repo}/issues/{issue_number}', {
    owner: repo.owner,
    repo: repo.repo,
    issue_number: issueNumber,
    body: change.body,
    state: change.state,
    ...(change.state === 'closed' ? { state_reason: 'completed' as const } : {}),
  });
}

/**
 * Finds an issue CEOS opened earlier by its title and the hidden marker in its body, among the
 * newest 100 issues of the repository (open or closed): a run that stopped after opening the issue
 * and before recording it must not open a second one.
 */
export async function findMarkedIssue(octokit: GitHubOctokit, repo: RepoRef, title: string, marker: string): Promise<IssueSummary | null> {
  const { data } = await octokit.request('GET /repos/{owner}/{repo}/issues', {
    owner: repo.owner,
    repo: repo.repo,
    state: 'all',
    sort: 'created',
    direction: 'desc',
    per_page: 100,
  });
  const found = data.find((i) => i.pull_request === undefined && i.title === title && (i.body ?? '').includes(marker));
  return found === undefined ? null : { number: found.number, state: found.state === 'closed' ? 'closed' : 'open', body: found.body ?? '' };
}
