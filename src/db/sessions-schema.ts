import type { ColumnType } from 'kysely';
import type { ApiKeyRole } from './api-keys-schema.js';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;

/** How a dashboard session was signed in. */
export type SessionKind = 'api_key' | 'github';

/**
 * A signed-in browser session of the dashboard. The cookie carries a random token; only its
 * SHA-256 is stored, so a copy of the table signs nobody in. Deleting the row signs out.
 */
export interface SessionsTable {
  /** SHA-256 of the session token, hex. */
  token_hash: string;
  kind: SessionKind;
  /** The API key signed in with (`api_key` sessions); its revocation or expiry ends the session. */
  api_key_id: string | null;
  /** GitHub user id (`github` sessions). */
  github_user_id: ColumnType<string | null, number | string | null | undefined, never>;
  /** GitHub login as GitHub spells it (`github` sessions). */
  github_login: string | null;
  role: ApiKeyRole;
  /** Organization keys (lower-cased logins) the session may see; null for every organization. */
  orgs: ColumnType<string[] | null, string[] | null | undefined, string[] | null>;
  /** The synchronizer token every state-changing request of this session must carry. */
  csrf_token: string;
  created_at: ColumnType<Date, Date | string | undefined, never>;
  expires_at: Timestamp;
}

/** Tables of dashboard sessions. */
export interface SessionsTables {
  sessions: SessionsTable;
}
