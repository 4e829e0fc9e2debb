import type { GitHubOctokit } from './github-octokit.js';

/** An issue or pull request of a repository. */
export interface IssueRef {
  /** Repository owner login. */
  owner: string;
  /** Repository name. */
  repo: string;
  /** Issue or pull request number. */
  issueNumber: number;
}

/** The reactions CEOS gives to a command comment (a subset of GitHub's reaction `content` enum). */
export type CommandReaction = 'eyes' | 'rocket' | 'confused';

/** Posts a comment on an issue or pull request; returns the new comment's id. */
export async function createIssueComment(octokit: GitHubOctokit, issue: IssueRef, body: string): Promise<number> {
  const { data } = await octokit.request('POST /repos/{owner}/{repo}/issues/{issue_number}/comments', {
    owner: issue.owner,
    repo: issue.repo,
    issue_number: issue.issueNumber,
    body,
  });
  return Number(data.id);
}

/**
 * Reacts to an issue comment. Reacting twice the same way is harmless: GitHub answers 200 with
 * the existing reaction, so a retried job may call this again.
 */
export async function reactToIssueComment(
  octokit: GitHubOctokit,
  comment: { owner: string; repo: string; commentId: number },
  content: CommandReaction,
): Promise<void> {
  await octokit.request('POST /repos/{owner}/{repo}/issues/comments/{comment_id}/reactions', {
    owner: comment.owner,
    repo: comment.repo,
    comment_id: comment.commentId,
    content,
  });
}
