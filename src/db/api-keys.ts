import type { Kysely, Selectable, Transaction } from 'kysely';
import { sql } from 'kysely';
import { type GeneratedApiKey, sameHash } from '../api/api-key-token.js';
import type { ApiKeyRole, ApiKeysTable } from './api-keys-schema.js';
import type { Database } from './schema.js';

type Db = Kysely<Database> | Transaction<Database>;

/** An API key row (the hash included: never send it anywhere). */
export type ApiKeyRow = Selectable<ApiKeysTable>;

/** An API key's metadata, as listings show it. */
export type ApiKeyInfo = Omit<ApiKeyRow, 'hash'>;

const INFO_COLUMNS = ['id', 'name', 'role', 'orgs', 'prefix', 'created_at', 'last_used_at', 'expires_at', 'revoked_at'] as const;

/** A key to store. */
export interface NewApiKey {
  name: string;
  role: ApiKeyRole;
  /** Organization keys the key is limited to, or null for all. */
  orgs: string[] | null;
  expiresAt: Date | null;
}

/** Stores a new key's hash and metadata. */
export async function insertApiKey(db: Db, key: NewApiKey, secret: GeneratedApiKey): Promise<ApiKeyInfo> {
  return db
    .insertInto('api_keys')
    .values({ name: key.name, role: key.role, orgs: key.orgs, prefix: secret.prefix, hash: secret.hash, expires_at: key.expiresAt })
    .returning(INFO_COLUMNS)
    .executeTakeFirstOrThrow();
}

/**
 * The key whose hash is `hash`, found through its visible prefix and compared in constant time,
 * whatever its state (the caller tells revoked and expired keys apart).
 */
export async function findApiKey(db: Db, prefix: string, hash: string): Promise<ApiKeyRow | undefined> {
  const rows = await db.selectFrom('api_keys').selectAll().where('prefix', '=', prefix).execute();
  return rows.find((row) => sameHash(row.hash, hash));
}

/** Records that a key was used, at most once a minute per key so busy scripts do not write on every request. */
export async function touchApiKey(db: Db, id: string, now: Date): Promise<void> {
  await db
    .updateTable('api_keys')
    .set({ last_used_at: now })
    .where('id', '=', id)
    .where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<', new Date(now.getTime() - 60_000))]))
    .execute();
}

/** Keys, newest first, after the key `after` (its created_at and id) when given. */
export async function listApiKeys(db: Db, options: { limit: number; after?: { createdAt: Date; id: string } }): Promise<ApiKeyInfo[]> {
  let query = db.selectFrom('api_keys').select(INFO_COLUMNS).orderBy('created_at', 'desc').orderBy('id', 'desc').limit(options.limit);
  const after = options.after;
  if (after) {
    query = query.where((eb) =>
      eb.or([eb('created_at', '<', after.createdAt), eb.and([eb('created_at', '=', after.createdAt), eb('id', '<', after.id)])]),
    );
  }
  return query.execute();
}

/** One key's metadata. */
export async function findApiKeyById(db: Db, id: string): Promise<ApiKeyInfo | undefined> {
  if (!/^[0-9a-f-]{36}$/i.test(id)) return undefined;
  return db.selectFrom('api_keys').select(INFO_COLUMNS).where('id', '=', id).executeTakeFirst();
}

/** Revokes a key; returns it, or undefined when absent or already revoked. */
export async function revokeApiKey(db: Db, id: string, now: Date): Promise<ApiKeyInfo | undefined> {
  if (!/^[0-9a-f-]{36}$/i.test(id)) return undefined;
  return db
    .updateTable('api_keys')
    .set({ revoked_at: now })
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .returning(INFO_COLUMNS)
    .executeTakeFirst();
}

/**
 * Makes sure an admin key with exactly this value exists, usable and unlimited: inserted when no
 * row has its hash, and otherwise made admin for every organization again, unrevoked and without
 * expiry. Returns the key and whether it was created.
 */
export async function ensureBootstrapKey(db: Db, secret: GeneratedApiKey, name = 'bootstrap'): Promise<{ key: ApiKeyInfo; created: boolean }> {
  const result = await db
    .insertInto('api_keys')
    .values({ name, role: 'admin', orgs: null, prefix: secret.prefix, hash: secret.hash, expires_at: null })
    .onConflict((oc) => oc.column('hash').doUpdateSet({ role: 'admin', orgs: null, revoked_at: null, expires_at: null }))
    .returning([...INFO_COLUMNS, sql<boolean>`(xmax = 0)`.as('inserted')])
    .executeTakeFirstOrThrow();
  const { inserted, ...key } = result;
  return { key, created: Boolean(inserted) };
}
