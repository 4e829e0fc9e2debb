import type { GitHubOctokit } from './github-octokit.js';

/** What GitHub said about one person's membership of an organization. */
export type MembershipAnswer =
  /** 204: a member, publicly or privately. */
  | { login: string; state: 'member' }
  /** 404 to a requester who may see the organization's members: not a member. */
  | { login: string; state: 'not_member' }
  /** No verdict: a 302 (the requester may not see private members), another status, or a failure. */
  | { login: string; state: 'unknown'; error: string };

/**
 * Asks GitHub whether `username` is a member of `org` (`GET /orgs/{org}/members/{username}`).
 * Only a 204 and a 404 are verdicts. A 302 means GitHub would only say whether the membership is
 * public, so it is not followed: a private member would look like a non-member there. Anything
 * else (5xx, 403, a timeout) is an unknown, never a verdict.
 */
export async function checkOrgMembership(octokit: GitHubOctokit, org: string, username: string): Promise<MembershipAnswer> {
  try {
    const response = await octokit.request('GET /orgs/{org}/members/{username}', {
      org,
      username,
      request: { redirect: 'manual' },
    });
    const status = response.status as number;
    if (status === 204) return { login: username, state: 'member' };
    return {
      login: username,
      state: 'unknown',
      error: status === 302 ? 'GitHub answered 302: CEOS may not see the private members of the organization' : `GitHub answered ${status}`,
    };
  } catch (error) {
    const status = (error as { status?: unknown }).status;
    if (status === 404) return { login: username, state: 'not_member' };
    return {
      login: username,
      state: 'unknown',
      error: typeof status === 'number' ? `GitHub answered ${status}` : error instanceof Error ? error.message : String(error),
    };
  }
}

/**
 * Asks GitHub about several people, a few at a time. Every lookup is answered; failures are
 * `unknown` answers, so the caller can hold exactly those.
 */
export async function checkOrgMemberships(
  octokit: GitHubOctokit,
  org: string,
  usernames: readonly string[],
  concurrency = 8,
): Promise<MembershipAnswer[]> {
  const answers: MembershipAnswer[] = new Array(usernames.length);
  let next = 0;
  const worker = async () => {
    while (next < usernames.length) {
      const i = next++;
      answers[i] = await checkOrgMembership(octokit, org, usernames[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, usernames.length) }, worker));
  return answers;
}
