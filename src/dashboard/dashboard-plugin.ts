import compress from '@fastify/compress';
import { fastifyCookie } from '@fastify/cookie';
import helmet from '@fastify/helmet';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { principalSeesOrg } from '../api/authenticate.js';
import { networkMatcher } from '../api/client-networks.js';
import { roleAllows } from '../api/roles.js';
import { type SessionDeps, requestSession } from '../api/session-auth.js';
import { SESSION_COOKIE, clearedCookie, servedOverHttps } from '../api/session-cookie.js';
import { findInstallationByOrg } from '../db/installations.js';
import { html } from './html.js';
import { listVisibleInstallations } from './dashboard-reads.js';
import { githubSignInRoutes } from './github-sign-in.js';
import { loadOrgPage, loadOrgSummaries } from './org-overview.js';
import { homePage } from './pages/home-page.js';
import { type PageContext, type PageSession, layout } from './pages/layout.js';
import { orgPage } from './pages/org-page.js';
import { signInPage } from './pages/sign-in-page.js';
import type { StaticAssets } from './static-assets.js';

/** What the dashboard needs. */
export interface DashboardDeps extends SessionDeps {
  assets: StaticAssets;
}

/**
 * The Content-Security-Policy of every dashboard page: scripts, styles and requests only from
 * CEOS itself (uPlot and the page script are static assets, chart data is a JSON block, never
 * inline code), no frames, no plugins, forms posting only back to CEOS.
 */
export const DASHBOARD_CSP = {
  defaultSrc: ["'none'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'"],
  imgSrc: ["'self'", 'data:'],
  connectSrc: ["'self'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
  baseUri: ["'none'"],
  upgradeInsecureRequests: null,
};

const orgParams = z.object({ org: z.string().regex(/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/) });

/**
 * The dashboard's pages: `/` (sign-in, or the organizations the session may see) and
 * `/orgs/{org}`, with the static assets and GitHub sign-in. A page acts with its session's role
 * and organizations through the API's own checks: the same permissions, and an organization
 * the session may not see is the same 404 as one that does not exist.
 */
export async function dashboardPlugin(app: FastifyInstance, deps: DashboardDeps): Promise<void> {
  const { db, config } = deps;
  // Referrer-Policy same-origin, not helmet's no-referrer: with no-referrer a browser sends
  // `Origin: null` on the pages' own form posts, and the CSRF check could not tell them apart.
  await app.register(helmet, { global: true, contentSecurityPolicy: { useDefaults: false, directives: DASHBOARD_CSP }, referrerPolicy: { policy: 'same-origin' } });
  // Loads the cookie codec that session-cookie.ts signs and parses with; cookies are read where needed, not on every request.
  await app.register(fastifyCookie, { hook: false });
  if (config.api.allowCidrs.length > 0) {
    // The dashboard shows what the API shows, so it is reachable from the same networks only.
    const allowed = networkMatcher(config.api.allowCidrs);
    app.addHook('onRequest', async (request, reply) => {
      if (!allowed(request.ip)) return reply.code(403).type('text/plain; charset=utf-8').send('The dashboard is not reachable from this network (CEOS_API_ALLOW_CIDRS).');
    });
  }
  deps.assets.routes(app);
  const github = Boolean(config.dashboard.githubClientId && config.dashboard.githubClientSecret);
  const context = (session: PageSession | null): PageContext => ({ assets: deps.assets.urls, session });

  await app.register(githubSignInRoutes, { ...deps, page: context(null) });

  await app.register(async (pages) => {
    await pages.register(compress, { global: true, threshold: 1024 });
    pages.addHook('onSend', async (_request, reply) => {
      // Pages carry the session's CSRF token and its organizations' data: never stored by caches.
      void reply.header('cache-control', 'no-store');
    });

    /** The request's live session; a cookie whose session ended is cleared. */
    async function session(request: FastifyRequest, reply: FastifyReply): Promise<{ session: PageSession | null; message?: string }> {
      const found = await requestSession(request, deps, new Date());
      if (found === null) return { session: null };
      if (!found.ok) {
        void reply.header('set-cookie', clearedCookie(SESSION_COOKIE, servedOverHttps(request, config.dashboard)));
        return { session: null, message: found.message };
      }
      return { session: { principal: found.session.principal, csrfToken: found.session.csrfToken, kind: found.session.kind } };
    }

    pages.get('/', async (request, reply) => {
      const { session: live, message } = await session(request, reply);
      void reply.type('text/html; charset=utf-8');
      if (!live) return signInPage(context(null), { github, ...(message ? { message } : {}) });
      const installations = await listVisibleInstallations(db, live.principal.orgs);
      return homePage(context(live), await loadOrgSummaries(db, installations, new Date()));
    });

    pages.get('/orgs/:org', async (request, reply) => {
      const { session: live } = await session(request, reply);
      if (!live) return reply.code(303).header('location', '/').send();
      const parsed = orgParams.safeParse(request.params);
      const org = parsed.success ? parsed.data.org : '';
      const installation = parsed.success && principalSeesOrg(live.principal, org) ? await findInstallationByOrg(db, org) : undefined;
      void reply.type('text/html; charset=utf-8');
      if (!installation || installation.account_type === 'Enterprise') {
        return reply.code(404).send(layout(context(live), 'Not found', html`<h1>Not found</h1><section class="card"><p>No organization ${org} is governed by CEOS.</p><p><a href="/">All organizations</a></p></section>`));
      }
      const rights = { operate: roleAllows(live.principal.role, 'operate'), readSensitive: roleAllows(live.principal.role, 'read_sensitive') };
      const data = await loadOrgPage(db, installation, { sensitive: rights.readSensitive, now: new Date() });
      return orgPage(context(live), data, rights);
    });
  });
}

/** The sign-in page for the session routes to answer a failed form sign-in with. */
export function signInPageFor(deps: Pick<DashboardDeps, 'assets' | 'config'>) {
  return (_request: FastifyRequest, message: string) =>
    signInPage({ assets: deps.assets.urls, session: null }, { github: Boolean(deps.config.dashboard.githubClientId && deps.config.dashboard.githubClientSecret), message });
}
