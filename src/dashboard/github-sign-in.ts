import { randomBytes } from 'node:crypto';
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { SessionDeps } from '../api/session-auth.js';
import { OAUTH_STATE_COOKIE, SESSION_COOKIE, clearedCookie, expectedOrigin, readSignedCookie, servedOverHttps, signedCookie } from '../api/session-cookie.js';
import { sessionSecret } from '../api/session-secret.js';
import { openSession } from '../api/session-store.js';
import { loadTeamGraph } from '../db/commands.js';
import { orgKey } from '../db/installations.js';
import { readStoredPolicy } from '../db/policies.js';
import { type OrgStanding, decideDashboardAccess } from '../domain/access/dashboard-access.js';
import { expandTeamMembers, indexTeams } from '../domain/planner/team-members.js';
import { GitHubSignInError, authorizeUrl, exchangeCode, fetchAuthenticatedUser, fetchOrgMemberships } from '../github/oauth-user.js';
import { listVisibleInstallations } from './dashboard-reads.js';
import type { PageContext } from './pages/layout.js';
import { GITHUB_SIGN_IN_PATH, refusedPage } from './pages/sign-in-page.js';

/** Where GitHub sends the person back (the callback URL to register on the GitHub App). */
export const GITHUB_CALLBACK_PATH = '/auth/github/callback';

/** Minutes a sign-in may take between leaving for GitHub and coming back. */
const STATE_MINUTES = 10;

/**
 * Sign-in with GitHub through the GitHub App's OAuth web flow. `/auth/github` sends the person to
 * GitHub with a random `state`, kept in a signed short-lived cookie; the callback checks it,
 * exchanges the code, reads the user and their organization memberships, and opens a session
 * for the organizations CEOS is installed on where they are an owner (admin) or a member of the
 * policy's `commands.teams` (operator). Everyone else gets a page saying why. The user's token is
 * used for these reads only and never stored.
 */
export async function githubSignInRoutes(app: FastifyInstance, deps: SessionDeps & { page: PageContext }): Promise<void> {
  const { config, db } = deps;
  const { githubClientId: clientId, githubClientSecret: clientSecret } = config.dashboard;
  if (!clientId || !clientSecret) return;
  const secret = sessionSecret(config, deps.log);
  const hosts = { webUrl: config.dashboard.githubWebUrl, apiUrl: config.githubApiUrl };
  await app.register(rateLimit, { global: true, timeWindow: 60_000, max: config.api.rateLimitPerAddress, keyGenerator: (request) => `oauth:${request.ip}` });

  const callbackUrl = (request: FastifyRequest) => `${expectedOrigin(request, config.dashboard)}${GITHUB_CALLBACK_PATH}`;
  const secure = (request: FastifyRequest) => servedOverHttps(request, config.dashboard);

  app.get(GITHUB_SIGN_IN_PATH, async (request, reply) => {
    const state = randomBytes(24).toString('base64url');
    void reply.header('set-cookie', signedCookie(OAUTH_STATE_COOKIE, state, secret, { secure: secure(request), maxAgeSeconds: STATE_MINUTES * 60 }));
    void reply.header('cache-control', 'no-store');
    return reply.code(302).header('location', authorizeUrl(hosts, { clientId, redirectUri: callbackUrl(request), state })).send();
  });

  app.get(GITHUB_CALLBACK_PATH, async (request, reply) => {
    const query = request.query as Record<string, unknown>;
    const expected = readSignedCookie(request.headers.cookie, OAUTH_STATE_COOKIE, secret);
    void reply.header('set-cookie', clearedCookie(OAUTH_STATE_COOKIE, secure(request)));
    void reply.header('cache-control', 'no-store').type('text/html; charset=utf-8');
    const refuse = (status: number, title: string, message: string) => reply.code(status).send(refusedPage(deps.page, title, message));
    if (typeof expected !== 'string' || typeof query.state !== 'string' || query.state !== expected) {
      return refuse(400, 'Sign-in not verified', 'This sign-in did not start here or took too long (its state does not match). Start again from the sign-in page.');
    }
    if (typeof query.error === 'string') return refuse(403, 'Sign-in cancelled', `GitHub did not sign you in: ${String(query.error_description ?? query.error)}.`);
    if (typeof query.code !== 'string' || query.code === '') return refuse(400, 'Sign-in not verified', 'GitHub sent no code back. Start again from the sign-in page.');

    let user: { login: string; id: number };
    let memberships: { org: string; role: 'admin' | 'member' }[];
    try {
      const token = await exchangeCode(hosts, { clientId, clientSecret, code: query.code, redirectUri: callbackUrl(request) });
      user = await fetchAuthenticatedUser(hosts, token);
      memberships = await fetchOrgMemberships(hosts, token);
    } catch (error) {
      if (!(error instanceof GitHubSignInError) && !(error instanceof Error && (error.name === 'TimeoutError' || error.name === 'TypeError'))) throw error;
      request.log.warn({ err: error }, 'GitHub sign-in failed');
      return refuse(502, 'Sign-in failed', error instanceof GitHubSignInError ? error.message : 'GitHub could not be reached. Try again in a moment.');
    }

    const installed = new Map((await listVisibleInstallations(db, null)).filter((i) => i.status === 'active').map((i) => [i.org, i]));
    const standings: OrgStanding[] = [];
    for (const m of memberships) {
      const org = orgKey(m.org);
      if (!installed.has(org)) continue;
      let commandTeamMember = false;
      if (m.role === 'member') {
        const teams = (await readStoredPolicy(db, org))?.policy?.commands?.teams ?? [];
        // Membership of the command teams comes from CEOS's mirror, as for `/copilot` commands.
        if (teams.length > 0) commandTeamMember = expandTeamMembers(indexTeams(await loadTeamGraph(db, org)), teams).has(user.login.toLowerCase());
      }
      standings.push({ org, role: m.role, commandTeamMember });
    }
    const access = decideDashboardAccess(user.login, standings);
    if (!access.ok) {
      request.log.info({ login: user.login }, 'GitHub sign-in refused');
      return refuse(403, 'Not allowed', access.reason);
    }
    const now = new Date();
    const opened = await openSession(db, { kind: 'github', userId: user.id, login: user.login, role: access.role, orgs: access.orgs }, config.dashboard.sessionHours, now);
    request.log.info({ login: user.login, role: access.role, orgs: access.orgs }, 'dashboard session opened with GitHub');
    // Beside the cleared state cookie set above (Fastify appends Set-Cookie headers).
    void reply.header('set-cookie', signedCookie(SESSION_COOKIE, opened.token, secret, { secure: secure(request), maxAgeSeconds: config.dashboard.sessionHours * 3600 }));
    return reply.code(303).header('location', '/').send();
  });
}
