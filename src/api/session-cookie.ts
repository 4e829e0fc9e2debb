import { fastifyCookie } from '@fastify/cookie';
import type { FastifyRequest } from 'fastify';
import type { DashboardConfig } from '../app/config.js';

/** The session cookie: a random token, signed with the session secret. */
export const SESSION_COOKIE = 'ceos_session';

/** The cookie that carries a GitHub sign-in's `state` from /auth/github to its callback. */
export const OAUTH_STATE_COOKIE = 'ceos_oauth_state';

/** What deciding a request's scheme and origin needs from the configuration. */
export type OriginSettings = Pick<DashboardConfig, 'publicUrl' | 'trustForwardedProto'>;

/** The value of a signed cookie, or `invalid` when it was tampered with or signed with another secret. */
export function readSignedCookie(header: string | undefined, name: string, secret: string): string | null | 'invalid' {
  if (!header) return null;
  const raw = fastifyCookie.parse(header)[name];
  if (raw === undefined || raw === '') return null;
  const result = fastifyCookie.unsign(raw, secret);
  return result.valid && result.value !== null ? result.value : 'invalid';
}

/**
 * A `Set-Cookie` value for a signed, HttpOnly, SameSite=Lax cookie on the whole site. Lax keeps
 * the cookie on a link followed from elsewhere (and on GitHub's redirect back), never on a
 * cross-site POST.
 */
export function signedCookie(name: string, value: string, secret: string, options: { secure: boolean; maxAgeSeconds: number }): string {
  return fastifyCookie.serialize(name, fastifyCookie.sign(value, secret), { httpOnly: true, sameSite: 'lax', secure: options.secure, path: '/', maxAge: options.maxAgeSeconds });
}

/** A `Set-Cookie` value that removes a cookie. */
export function clearedCookie(name: string, secure: boolean): string {
  return fastifyCookie.serialize(name, '', { httpOnly: true, sameSite: 'lax', secure, path: '/', maxAge: 0, expires: new Date(0) });
}

/**
 * Whether the browser reached CEOS over HTTPS: the public URL says so, or a proxy in front that
 * CEOS is told to trust forwarded the request from HTTPS. CEOS itself serves plain HTTP.
 */
export function servedOverHttps(request: FastifyRequest, settings: OriginSettings): boolean {
  if (settings.publicUrl) return settings.publicUrl.startsWith('https:');
  return forwardedProto(request, settings) === 'https';
}

/** The origin pages are served from: the public URL, or the scheme and Host of the request. */
export function expectedOrigin(request: FastifyRequest, settings: OriginSettings): string {
  if (settings.publicUrl) return settings.publicUrl;
  return `${forwardedProto(request, settings)}://${request.headers.host ?? ''}`;
}

function forwardedProto(request: FastifyRequest, settings: OriginSettings): 'http' | 'https' {
  if (!settings.trustForwardedProto) return 'http';
  const header = request.headers['x-forwarded-proto'];
  const first = (Array.isArray(header) ? header[0] : header)?.split(',')[0]?.trim().toLowerCase();
  return first === 'https' ? 'https' : 'http';
}
