import type { FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Config } from '../app/config.js';
import { touchApiKey } from '../db/api-keys.js';
import type { Database } from '../db/schema.js';
import { ApiError } from './api-error.js';
import type { AuthResult } from './authenticate.js';
import { SESSION_COOKIE, readSignedCookie } from './session-cookie.js';
import { changesState, csrfProblem } from './session-csrf.js';
import { type SessionLookup, lookUpSession } from './session-store.js';
import { sessionSecret } from './session-secret.js';

/** What reading a request's session needs. */
export interface SessionDeps {
  db: Kysely<Database>;
  config: Config;
  log: Logger;
}

/** The session a request's cookie names: none, one that is not live (and why), or a live one. */
export async function requestSession(request: FastifyRequest, deps: SessionDeps, now: Date): Promise<SessionLookup | null> {
  const token = readSignedCookie(request.headers.cookie, SESSION_COOKIE, sessionSecret(deps.config, deps.log));
  if (token === null) return null;
  if (token === 'invalid') return { ok: false, message: 'The session cookie is not valid; sign in again at /.' };
  return lookUpSession(deps.db, token, now);
}

/**
 * Authenticates an API request by its dashboard session, for requests that send no
 * `Authorization` header (a key, when sent, always wins): null when there is no session cookie.
 * A state-changing request must come from CEOS's own origin and carry the session's CSRF token,
 * or it is refused with 403 before anything else happens.
 */
export async function authenticateSession(request: FastifyRequest, deps: SessionDeps): Promise<AuthResult | null> {
  if (request.headers.authorization !== undefined) return null;
  const found = await requestSession(request, deps, new Date());
  if (found === null) return null;
  if (!found.ok) return found;
  if (changesState(request)) {
    const problem = csrfProblem(request, found.session.csrfToken, deps.config.dashboard);
    if (problem) throw new ApiError(403, 'csrf_failed', `Refused: ${problem}. A signed-in browser must send the page's CSRF token.`);
  }
  // A key used through a session is used: its last_used_at moves as with a Bearer request.
  if (found.session.kind === 'api_key') await touchApiKey(deps.db, found.session.principal.id, new Date());
  return { ok: true, principal: found.session.principal };
}
