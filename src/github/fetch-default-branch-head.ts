import type { GitHubOctokit } from './github-octokit.js';

/** The head of a repository's default branch, or why there is none. */
export type DefaultBranchHead =
  | { found: true; branch: string; sha: string }
  | { found: false; reason: 'no_repository' | 'no_branch' };

/**
 * Reads which commit a repository's default branch points at. A missing repository or branch
 * (an empty repository has none) is an answer; any other failure is thrown so the caller retries.
 */
export async function fetchDefaultBranchHead(octokit: GitHubOctokit, owner: string, repo: string): Promise<DefaultBranchHead> {
  let branch: string;
  try {
    const { data } = await octokit.request('GET /repos/{owner}/{repo}', { owner, repo });
    branch = data.default_branch;
  } catch (error) {
    if ((error as { status?: number }).status === 404) return { found: false, reason: 'no_repository' };
    throw error;
  }
  try {
    const { data } = await octokit.request('GET /repos/{owner}/{repo}/branches/{branch}', { owner, repo, branch });
    return { found: true, branch, sha: data.commit.sha };
  } catch (error) {
    if ((error as { status?: number }).status === 404) return { found: false, reason: 'no_branch' };
    throw error;
  }
}
