import type { Kysely, Selectable } from 'kysely';
import type { ApiKeyRole } from './api-keys-schema.js';
import type { Database } from './schema.js';
import type { SessionKind, SessionsTable } from './sessions-schema.js';

/** A stored session. */
export type SessionRow = Selectable<SessionsTable>;

/** A session to open. */
export interface NewSession {
  tokenHash: string;
  kind: SessionKind;
  apiKeyId?: string;
  githubUserId?: number;
  githubLogin?: string;
  role: ApiKeyRole;
  orgs: string[] | null;
  csrfToken: string;
  expiresAt: Date;
}

/** A live session with what its key says now (null for GitHub sessions). */
export interface SessionWithKey extends SessionRow {
  key_name: string | null;
  key_revoked_at: Date | null;
  key_expires_at: Date | null;
}

/** Opens a session; sessions already expired are deleted on the way, so the table stays small. */
export async function insertSession(db: Kysely<Database>, session: NewSession, now: Date): Promise<void> {
  await db.deleteFrom('sessions').where('expires_at', '<=', now).execute();
  await db
    .insertInto('sessions')
    .values({
      token_hash: session.tokenHash,
      kind: session.kind,
      api_key_id: session.apiKeyId ?? null,
      github_user_id: session.githubUserId ?? null,
      github_login: session.githubLogin ?? null,
      role: session.role,
      orgs: session.orgs,
      csrf_token: session.csrfToken,
      expires_at: session.expiresAt,
    })
    .execute();
}

/** The session with this token hash, joined with its key's current state; expiry is the caller's to judge. */
export async function findSession(db: Kysely<Database>, tokenHash: string): Promise<SessionWithKey | undefined> {
  return db
    .selectFrom('sessions')
    .leftJoin('api_keys', 'api_keys.id', 'sessions.api_key_id')
    .selectAll('sessions')
    .select(['api_keys.name as key_name', 'api_keys.revoked_at as key_revoked_at', 'api_keys.expires_at as key_expires_at'])
    .where('sessions.token_hash', '=', tokenHash)
    .executeTakeFirst();
}

/** Ends a session (sign-out); whether there was one. */
export async function deleteSession(db: Kysely<Database>, tokenHash: string): Promise<boolean> {
  const result = await db.deleteFrom('sessions').where('token_hash', '=', tokenHash).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}
