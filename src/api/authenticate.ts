import type { Kysely } from 'kysely';
import type { ApiKeyRole } from '../db/api-keys-schema.js';
import { findApiKey, touchApiKey } from '../db/api-keys.js';
import type { Database } from '../db/schema.js';
import { API_KEY_PATTERN, describeApiKey } from './api-key-token.js';

/** The API key a request authenticated with. */
export interface ApiPrincipal {
  /** The key's id. */
  id: string;
  name: string;
  role: ApiKeyRole;
  /** Organization keys the key may see, or null for every organization. */
  orgs: readonly string[] | null;
  /** How audit entries and overrides name the key: `api-key:<id>`. */
  actor: string;
}

/** Why a request is not authenticated. */
export type AuthFailure = { ok: false; message: string };

/** The outcome of authenticating a request. */
export type AuthResult = { ok: true; principal: ApiPrincipal } | AuthFailure;

/**
 * Authenticates `Authorization: Bearer ceos_…`. Every failure answers 401 with a message that
 * says what to do; none says whether a made-up key resembles a real one.
 */
export async function authenticate(db: Kysely<Database>, authorization: string | undefined, now: Date): Promise<AuthResult> {
  if (authorization === undefined || authorization.trim() === '') {
    return { ok: false, message: 'Send an API key as "Authorization: Bearer ceos_…" (see docs/api.md, "Authentication").' };
  }
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  if (!match) return { ok: false, message: 'The Authorization header must be "Bearer ceos_…".' };
  const token = match[1]!;
  if (!API_KEY_PATTERN.test(token)) return { ok: false, message: 'This is not a valid API key.' };
  const { prefix, hash } = describeApiKey(token);
  const row = await findApiKey(db, prefix, hash);
  if (!row) return { ok: false, message: 'This is not a valid API key.' };
  if (row.revoked_at !== null) return { ok: false, message: 'This API key was revoked.' };
  if (row.expires_at !== null && new Date(row.expires_at).getTime() <= now.getTime()) {
    return { ok: false, message: 'This API key has expired.' };
  }
  await touchApiKey(db, row.id, now);
  return { ok: true, principal: { id: row.id, name: row.name, role: row.role, orgs: row.orgs, actor: `api-key:${row.id}` } };
}

/** Whether a key may see an organization (by its key, the lower-cased login). */
export function principalSeesOrg(principal: ApiPrincipal, org: string): boolean {
  return principal.orgs === null || principal.orgs.includes(org.toLowerCase());
}
