import { z } from 'zod';

/** The REST API version CEOS sends (the one GitHub's description gives for these operations). */
const API_VERSION = '2022-11-28';
const TIMEOUT_MS = 10_000;

/** A failure talking to GitHub during sign-in, with a message fit to show. */
export class GitHubSignInError extends Error {
  override name = 'GitHubSignInError';
}

const tokenAnswer = z.union([
  z.object({ access_token: z.string().min(1) }).loose(),
  z.object({ error: z.string(), error_description: z.string().optional() }).loose(),
]);
const userAnswer = z.object({ login: z.string(), id: z.number().int() }).loose();
const membershipsAnswer = z.array(
  z
    .object({
      state: z.string(),
      role: z.string(),
      organization: z.object({ login: z.string() }).loose(),
    })
    .loose(),
);

/** Where GitHub is: its web host (authorize, token exchange) and its REST API. */
export interface GitHubHosts {
  webUrl: string;
  apiUrl: string;
}

/** The URL that asks a person to authorize the app (GitHub's web flow, step 1). */
export function authorizeUrl(hosts: GitHubHosts, input: { clientId: string; redirectUri: string; state: string }): string {
  const url = new URL('/login/oauth/authorize', hosts.webUrl);
  url.searchParams.set('client_id', input.clientId);
  url.searchParams.set('redirect_uri', input.redirectUri);
  url.searchParams.set('state', input.state);
  url.searchParams.set('allow_signup', 'false');
  return url.toString();
}

/** Exchanges the callback's code for a user access token (step 2: `POST {host}/login/oauth/access_token`). */
export async function exchangeCode(hosts: GitHubHosts, input: { clientId: string; clientSecret: string; code: string; redirectUri: string }): Promise<string> {
  const response = await fetch(new URL('/login/oauth/access_token', hosts.webUrl), {
    method: 'POST',
    headers: { accept: 'application/json', 'content-type': 'application/json' },
    body: JSON.stringify({ client_id: input.clientId, client_secret: input.clientSecret, code: input.code, redirect_uri: input.redirectUri }),
    signal: AbortSignal.timeout(TIMEOUT_MS),
  });
  if (!response.ok) throw new GitHubSignInError(`GitHub answered ${response.status} to the token exchange.`);
  const parsed = tokenAnswer.safeParse(await response.json());
  if (!parsed.success) throw new GitHubSignInError('GitHub\'s token answer was not understood.');
  if ('error' in parsed.data) throw new GitHubSignInError(`GitHub refused the sign-in: ${parsed.data.error_description ?? parsed.data.error}.`);
  return parsed.data.access_token;
}

async function getJson(hosts: GitHubHosts, token: string, path: string): Promise<{ body: unknown; next: string | null }> {
  const response = await fetch(path.startsWith('http') ? path : `${hosts.apiUrl}${path}`, {
    headers: { accept: 'application/vnd.github+json', authorization: `Bearer ${token}`, 'x-github-api-version': API_VERSION },
    signal: AbortSignal.timeout(TIMEOUT_MS),
  });
  if (!response.ok) throw new GitHubSignInError(`GitHub answered ${response.status} to ${path.split('?')[0]}.`);
  const next = /<([^>]+)>;\s*rel="next"/.exec(response.headers.get('link') ?? '')?.[1] ?? null;
  return { body: await response.json(), next };
}

/** The signed-in user (`GET /user`). */
export async function fetchAuthenticatedUser(hosts: GitHubHosts, token: string): Promise<{ login: string; id: number }> {
  const parsed = userAnswer.safeParse((await getJson(hosts, token, '/user')).body);
  if (!parsed.success) throw new GitHubSignInError('GitHub\'s answer about the user was not understood.');
  return { login: parsed.data.login, id: parsed.data.id };
}

/** The user's active organization memberships (`GET /user/memberships/orgs?state=active`, every page). */
export async function fetchOrgMemberships(hosts: GitHubHosts, token: string): Promise<{ org: string; role: 'admin' | 'member' }[]> {
  const found: { org: string; role: 'admin' | 'member' }[] = [];
  let path: string | null = '/user/memberships/orgs?state=active&per_page=100';
  for (let pages = 0; path !== null && pages < 50; pages++) {
    const page: { body: unknown; next: string | null } = await getJson(hosts, token, path);
    const parsed = membershipsAnswer.safeParse(page.body);
    if (!parsed.success) throw new GitHubSignInError('GitHub\'s answer about organization memberships was not understood.');
    for (const m of parsed.data) {
      if (m.state === 'active' && (m.role === 'admin' || m.role === 'member')) found.push({ org: m.organization.login, role: m.role });
    }
    path = page.next;
  }
  return found;
}
