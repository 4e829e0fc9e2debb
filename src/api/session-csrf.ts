import { timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { type OriginSettings, expectedOrigin } from './session-cookie.js';

/** The header a session's state-changing request carries its CSRF token in. */
export const CSRF_HEADER = 'x-csrf-token';

/** The form field that carries it in a plain HTML form post. */
export const CSRF_FIELD = '_csrf';

/** Methods that change nothing, which need no CSRF token. */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Whether a request's method may change state. */
export function changesState(request: FastifyRequest): boolean {
  return !SAFE_METHODS.has(request.method.toUpperCase());
}

/**
 * Why a request does not come from CEOS's own pages, or null when it does: its `Origin` (or,
 * when a browser sends none, its `Referer`) must be CEOS's origin. A request with neither is
 * refused, since every browser that could be tricked into sending one names its origin.
 */
export function originProblem(request: FastifyRequest, settings: OriginSettings): string | null {
  const expected = expectedOrigin(request, settings);
  const origin = request.headers.origin;
  if (origin !== undefined && origin !== 'null') return origin === expected ? null : `requests from ${origin} are not accepted (expected ${expected})`;
  const referer = request.headers.referer;
  if (referer === undefined) return 'the request names no Origin or Referer';
  let refererOrigin: string;
  try {
    refererOrigin = new URL(referer).origin;
  } catch {
    return 'the Referer is not a URL';
  }
  return refererOrigin === expected ? null : `requests from ${refererOrigin} are not accepted (expected ${expected})`;
}

/**
 * Why a state-changing request made with a session is refused, or null: it must come from
 * CEOS's origin and carry the session's synchronizer token (header, or form field for forms).
 */
export function csrfProblem(request: FastifyRequest, sessionToken: string, settings: OriginSettings, formToken?: string): string | null {
  const origin = originProblem(request, settings);
  if (origin) return origin;
  const header = request.headers[CSRF_HEADER];
  const sent = (Array.isArray(header) ? header[0] : header) ?? formToken;
  if (sent === undefined || sent === '') return `the request carries no CSRF token (send it as ${CSRF_HEADER})`;
  const a = Buffer.from(sent);
  const b = Buffer.from(sessionToken);
  return a.length === b.length && timingSafeEqual(a, b) ? null : 'the CSRF token does not match this session';
}
