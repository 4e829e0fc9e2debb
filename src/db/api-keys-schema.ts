import type { ColumnType, Generated } from 'kysely';

type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;

/** What a management API key may do (see docs/api.md, "Roles"). */
export type ApiKeyRole = 'admin' | 'operator' | 'auditor' | 'viewer';

/** A management API key: its metadata and the hash of the key, never the key. */
export interface ApiKeysTable {
  id: Generated<string>;
  /** A name for people to tell keys apart. */
  name: string;
  role: ApiKeyRole;
  /** Organization keys (lower-cased logins) the key is limited to; null for every organization. */
  orgs: ColumnType<string[] | null, string[] | null | undefined, string[] | null>;
  /** The first characters of the key, shown in listings. */
  prefix: string;
  /** SHA-256 of the whole key, hex. */
  hash: string;
  created_at: ColumnType<Date, Date | string | undefined, never>;
  last_used_at: NullableTimestamp;
  expires_at: NullableTimestamp;
  revoked_at: NullableTimestamp;
}

/** A rate-limit counter shared by instances: requests of one key or client address in the current window. */
export interface ApiRateLimitsTable {
  /** `key:<id>` or `address:<ip>`. */
  key: string;
  count: number;
  window_start: ColumnType<Date, Date | string | undefined, Date | string>;
}

/** Tables of the management API. */
export interface ApiKeysTables {
  api_keys: ApiKeysTable;
  api_rate_limits: ApiRateLimitsTable;
}
