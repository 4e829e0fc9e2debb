import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Database } from '../db/schema.js';
import type { GitHubOctokit } from '../github/github-octokit.js';
import { expireSeatRequests, tellRequester } from '../operations/seat-requests.js';

/**
 * Closes the pending seat requests older than `requests.expire_after_days` and tells each
 * requester on the issue where they asked. Run by the organization's reconciliation.
 */
export async function expireStaleRequests(deps: { db: Kysely<Database>; octokit: GitHubOctokit; log: Logger; now: () => Date }, org: string, days: number): Promise<number> {
  const closed = await expireSeatRequests(deps.db, org, days, deps.now());
  for (const row of closed) {
    await tellRequester(deps.octokit, row, `your request for a Copilot seat was closed: it waited more than ${days} days without an answer (\`requests.expire_after_days\`). Ask again with \`/copilot request\` if you still need a seat.`);
  }
  if (closed.length > 0) deps.log.info({ org, expired: closed.length }, 'stale seat requests closed');
  return closed.length;
}
