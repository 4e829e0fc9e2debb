import { fastifyCookie } from '@fastify/cookie';
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { findApiKeyById } from '../../db/api-keys.js';
import { ApiError } from '../api-error.js';
import { authenticate } from '../authenticate.js';
import { networkMatcher } from '../client-networks.js';
import { requestSession } from '../session-auth.js';
import type { SessionDeps } from '../session-auth.js';
import { SESSION_COOKIE, clearedCookie, readSignedCookie, servedOverHttps, signedCookie } from '../session-cookie.js';
import { CSRF_FIELD, csrfProblem, originProblem } from '../session-csrf.js';
import { sessionSecret } from '../session-secret.js';
import { closeSession, openSession } from '../session-store.js';

/** Where a browser signs in with a key (POST) and out (DELETE). */
export const SESSION_PATH = '/api/v1/session';

/** Where the dashboard's plain-HTML sign-out form posts. */
export const SIGN_OUT_PATH = '/sign-out';

/** What the session routes need; `signInPage` renders the form again with a message, for browsers that posted it. */
export interface SessionRouteDeps extends SessionDeps {
  signInPage(request: FastifyRequest, message: string): string;
}

const FORM = 'application/x-www-form-urlencoded';
const signInBody = z.object({ key: z.string().trim().min(1, 'send the API key as "key"').max(200) }, { error: 'send {"key":"ceos_…"}' });

/**
 * The session routes, outside the API's route table because signing in cannot need a key: the
 * key comes in the body. They keep the API's network filter, security headers and per-address
 * rate limit. `POST /api/v1/session` takes JSON (204) or the sign-in form (303 to `/`); a bad
 * key is a 401 with no cookie. Signing in from another site's page is refused (login CSRF).
 */
export async function sessionRoutes(app: FastifyInstance, deps: SessionRouteDeps): Promise<void> {
  const { db, config } = deps;
  const secret = sessionSecret(config, deps.log);
  // A failed form sign-in answers the form again from this URL: like the dashboard's pages, it
  // keeps the referrer on the same origin, so the browser's next post names its Origin.
  await app.register(helmet, { global: true, referrerPolicy: { policy: 'same-origin' } });
  // Loads the cookie codec that session-cookie.ts signs and parses with; cookies are read where needed, not on every request.
  await app.register(fastifyCookie, { hook: false });
  if (config.api.allowCidrs.length > 0) {
    const allowed = networkMatcher(config.api.allowCidrs);
    app.addHook('onRequest', async (request) => {
      if (!allowed(request.ip)) throw new ApiError(403, 'forbidden_network', 'The management API is not reachable from this network (CEOS_API_ALLOW_CIDRS).');
    });
  }
  await app.register(rateLimit, {
    global: true,
    timeWindow: 60_000,
    max: config.api.rateLimitPerAddress,
    keyGenerator: (request) => `session:${request.ip}`,
    errorResponseBuilder: (_request, context) => new ApiError(429, 'rate_limited', `Too many sign-in attempts: at most ${context.max} a minute; retry in ${context.after}.`),
  });
  app.setErrorHandler((error: Error & { statusCode?: number; code?: string }, request, reply) => {
    if (error instanceof ApiError) return reply.code(error.statusCode).send({ error: { code: error.code, message: error.message } });
    const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
    if (status === 500) request.log.error({ err: error }, 'session request failed');
    return reply.code(status).send({ error: { code: status === 500 ? 'internal' : 'bad_request', message: status === 500 ? 'Internal error.' : error.message } });
  });
  app.addContentTypeParser(FORM, { parseAs: 'string', bodyLimit: 4096 }, (_request, body, done) => done(null, Object.fromEntries(new URLSearchParams(String(body)))));

  const isForm = (request: FastifyRequest) => (request.headers['content-type'] ?? '').toLowerCase().startsWith(FORM);
  const secure = (request: FastifyRequest) => servedOverHttps(request, config.dashboard);

  app.post(SESSION_PATH, { bodyLimit: 4096 }, async (request, reply) => {
    const form = isForm(request);
    // A browser names the page it posts from; a script (curl, CI) names none and may sign in.
    if (request.headers.origin !== undefined || request.headers.referer !== undefined) {
      const problem = originProblem(request, config.dashboard);
      if (problem) throw new ApiError(403, 'csrf_failed', `Refused: ${problem}.`);
    }
    const parsed = signInBody.safeParse(request.body);
    if (!parsed.success) return refuse(reply, form, request, 400, 'invalid_request', parsed.error.issues[0]?.message ?? 'send {"key":"ceos_…"}');
    const now = new Date();
    const auth = await authenticate(db, `Bearer ${parsed.data.key}`, now);
    if (!auth.ok) return refuse(reply, form, request, 401, 'unauthorized', auth.message);
    const key = await findApiKeyById(db, auth.principal.id);
    const opened = await openSession(
      db,
      { kind: 'api_key', keyId: auth.principal.id, role: auth.principal.role, orgs: auth.principal.orgs, keyExpiresAt: key?.expires_at ?? null },
      config.dashboard.sessionHours,
      now,
    );
    const maxAgeSeconds = Math.max(1, Math.floor((opened.expiresAt.getTime() - now.getTime()) / 1000));
    void reply.header('set-cookie', signedCookie(SESSION_COOKIE, opened.token, secret, { secure: secure(request), maxAgeSeconds }));
    void reply.header('cache-control', 'no-store');
    request.log.info({ keyId: auth.principal.id, role: auth.principal.role }, 'dashboard session opened with an API key');
    if (form) return reply.code(303).header('location', '/').send();
    return reply.code(204).send();
  });

  app.delete(SESSION_PATH, async (request, reply) => endSession(request, reply, undefined));
  app.post(SIGN_OUT_PATH, { bodyLimit: 4096 }, async (request, reply) => {
    const field = (request.body as Record<string, unknown> | undefined)?.[CSRF_FIELD];
    return endSession(request, reply, typeof field === 'string' ? field : undefined);
  });

  /** Ends the cookie's session after the CSRF check; a cookie with no live session is just cleared. */
  async function endSession(request: FastifyRequest, reply: FastifyReply, formToken: string | undefined) {
    const found = await requestSession(request, deps, new Date());
    if (found?.ok) {
      const problem = csrfProblem(request, found.session.csrfToken, config.dashboard, formToken);
      if (problem) throw new ApiError(403, 'csrf_failed', `Refused: ${problem}.`);
      const token = readSignedCookie(request.headers.cookie, SESSION_COOKIE, secret);
      if (typeof token === 'string') await closeSession(db, token);
    }
    void reply.header('set-cookie', clearedCookie(SESSION_COOKIE, secure(request)));
    if (request.url.startsWith(SIGN_OUT_PATH)) return reply.code(303).header('location', '/').send();
    return reply.code(204).send();
  }

  function refuse(reply: FastifyReply, form: boolean, request: FastifyRequest, status: number, code: string, message: string) {
    if (form) return reply.code(status).type('text/html; charset=utf-8').send(deps.signInPage(request, message));
    return reply.code(status).send({ error: { code, message } });
  }
}
