import type { ProbotOctokit } from 'probot';

/**
 * The Octokit the GitHub edge needs: Probot's, so throttling, retries and pagination are the
 * plugins Probot installs. Only `request` and `paginate` are used, which keeps test doubles small.
 */
export type GitHubOctokit = Pick<ProbotOctokit, 'request' | 'paginate'>;
