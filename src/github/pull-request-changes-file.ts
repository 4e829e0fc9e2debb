import type { GitHubOctokit } from './github-octokit.js';

/**
 * Whether a pull request adds, changes, removes or renames a file (to or from the path). GitHub
 * lists at most 3,000 files of a pull request; every page is read.
 */
export async function pullRequestChangesFile(
  octokit: GitHubOctokit,
  location: { owner: string; repo: string; pullNumber: number; path: string },
): Promise<boolean> {
  const wanted = location.path.replace(/^\/+/, '');
  const pages = octokit.paginate.iterator('GET /repos/{owner}/{repo}/pulls/{pull_number}/files', {
    owner: location.owner,
    repo: location.repo,
    pull_number: location.pullNumber,
    per_page: 100,
  });
  for await (const page of pages) {
    if (page.data.some((file) => file.filename === wanted || file.previous_filename === wanted)) return true;
  }
  return false;
}
