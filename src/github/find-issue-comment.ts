import type { IssueRef } from './comments.js';
import type { GitHubOctokit } from './github-octokit.js';

/**
 * The id of the first comment on an issue or pull request whose body contains `text`, among the
 * comments updated since `since` (all of them when null), or null when there is none. Reads every
 * page: a partial read must not pass for "not posted".
 */
export async function findIssueCommentContaining(
  octokit: GitHubOctokit,
  issue: IssueRef,
  text: string,
  since: Date | null,
): Promise<number | null> {
  const pages = octokit.paginate.iterator('GET /repos/{owner}/{repo}/issues/{issue_number}/comments', {
    owner: issue.owner,
    repo: issue.repo,
    issue_number: issue.issueNumber,
    per_page: 100,
    ...(since === null ? {} : { since: since.toISOString() }),
  });
  for await (const page of pages) {
    const found = page.data.find((comment) => (comment.body ?? '').includes(text));
    if (found) return Number(found.id);
  }
  return null;
}
