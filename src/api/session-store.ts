import { createHash, randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { ApiKeyRole } from '../db/api-keys-schema.js';
import type { Database } from '../db/schema.js';
import { type SessionWithKey, deleteSession, findSession, insertSession } from '../db/sessions.js';
import type { ApiPrincipal } from './authenticate.js';

/** Who a new session signs in: the API key presented, or the GitHub user with the role and orgs CEOS gave them. */
export type SessionIdentity =
  | { kind: 'api_key'; keyId: string; role: ApiKeyRole; orgs: readonly string[] | null; keyExpiresAt: Date | null }
  | { kind: 'github'; userId: number; login: string; role: ApiKeyRole; orgs: readonly string[] };

/** A session just opened: the token for its cookie (never stored) and its CSRF token. */
export interface OpenedSession {
  token: string;
  csrfToken: string;
  expiresAt: Date;
}

/** A live session and the principal it acts as, through the same checks as an API key. */
export interface LiveSession {
  principal: ApiPrincipal;
  csrfToken: string;
  expiresAt: Date;
  /** How the session signed in, for the page header. */
  kind: 'api_key' | 'github';
}

/** Why a presented session is not live. */
export type SessionLookup = { ok: true; session: LiveSession } | { ok: false; message: string };

function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** Opens a session lasting `hours`, but never past the key's own expiry. */
export async function openSession(db: Kysely<Database>, identity: SessionIdentity, hours: number, now: Date): Promise<OpenedSession> {
  const token = randomBytes(32).toString('base64url');
  const csrfToken = randomBytes(32).toString('base64url');
  let expiresAt = new Date(now.getTime() + hours * 3_600_000);
  if (identity.kind === 'api_key' && identity.keyExpiresAt && identity.keyExpiresAt < expiresAt) expiresAt = identity.keyExpiresAt;
  await insertSession(
    db,
    {
      tokenHash: hashToken(token),
      kind: identity.kind,
      ...(identity.kind === 'api_key' ? { apiKeyId: identity.keyId } : { githubUserId: identity.userId, githubLogin: identity.login }),
      role: identity.role,
      orgs: identity.orgs === null ? null : [...identity.orgs],
      csrfToken,
      expiresAt,
    },
    now,
  );
  return { token, csrfToken, expiresAt };
}

/** Ends the session of a token; whether there was one. */
export async function closeSession(db: Kysely<Database>, token: string): Promise<boolean> {
  return deleteSession(db, hashToken(token));
}

/**
 * The live session of a token. A session ends when it expires, when it is signed out, and when
 * the key it was opened with is revoked or expires; an ended session is deleted when seen.
 */
export async function lookUpSession(db: Kysely<Database>, token: string, now: Date): Promise<SessionLookup> {
  const row = await findSession(db, hashToken(token));
  const ended = { ok: false as const, message: 'Your session has ended; sign in again at /.' };
  if (!row) return ended;
  const reason = endReason(row, now);
  if (reason) {
    await deleteSession(db, row.token_hash);
    return { ok: false, message: reason };
  }
  return { ok: true, session: { principal: principalOf(row), csrfToken: row.csrf_token, expiresAt: row.expires_at, kind: row.kind } };
}

function endReason(row: SessionWithKey, now: Date): string | null {
  if (row.expires_at.getTime() <= now.getTime()) return 'Your session has expired; sign in again at /.';
  if (row.kind === 'api_key') {
    if (row.key_revoked_at !== null) return 'The API key this session signed in with was revoked; sign in again at /.';
    if (row.key_expires_at !== null && row.key_expires_at.getTime() <= now.getTime()) return 'The API key this session signed in with has expired.';
  }
  return null;
}

function principalOf(row: SessionWithKey): ApiPrincipal {
  if (row.kind === 'api_key') {
    const id = row.api_key_id ?? '';
    return { id, name: row.key_name ?? id, role: row.role, orgs: row.orgs, actor: `api-key:${id}` };
  }
  // A person signed in with GitHub acts under their login, as their `/copilot` commands do.
  const login = row.github_login ?? '';
  return { id: `github:${row.github_user_id ?? ''}`, name: login, role: row.role, orgs: row.orgs, actor: login };
}
