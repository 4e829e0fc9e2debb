import type { Kysely } from 'kysely';
import { KEYS_AUDIT_ORG } from '../api/audit-actions.js';
import { generateApiKey } from '../api/api-key-token.js';
import { appendAudit } from '../db/audit-log.js';
import type { ApiKeyRole } from '../db/api-keys-schema.js';
import { type ApiKeyInfo, insertApiKey, revokeApiKey } from '../db/api-keys.js';
import { orgKey } from '../db/installations.js';
import type { Database } from '../db/schema.js';

const DAY_MS = 86_400_000;

/** A key to create, as `POST /keys` and `ceos keys create` take it. */
export interface CreateApiKeyRequest {
  role: ApiKeyRole;
  /** Organization logins the key is limited to; undefined for every organization. */
  orgs?: readonly string[];
  expiresInDays?: number;
  name?: string;
  /** Who creates it: `api-key:<id>` or `cli`. */
  actor: string;
}

/** Creates a key and audits it in one transaction; the key itself is returned here and never again. */
export async function createApiKey(db: Kysely<Database>, request: CreateApiKeyRequest, now: Date = new Date()): Promise<ApiKeyInfo & { key: string }> {
  const orgs = request.orgs ? [...new Set(request.orgs.map(orgKey))].sort() : null;
  const expiresAt = request.expiresInDays === undefined ? null : new Date(now.getTime() + request.expiresInDays * DAY_MS);
  const secret = generateApiKey();
  const created = await db.transaction().execute(async (trx) => {
    const key = await insertApiKey(trx, { name: request.name ?? `${request.role} key`, role: request.role, orgs, expiresAt }, secret);
    await appendAudit(trx, {
      org: KEYS_AUDIT_ORG,
      actor: request.actor,
      action: 'api_key.created',
      target: key.id,
      reason: `API key "${key.name}" created`,
      details: { role: key.role, orgs, prefix: key.prefix, expiresAt: expiresAt?.toISOString() ?? null },
      at: now,
    });
    return key;
  });
  return { ...created, key: secret.key };
}

/** Revokes a key and audits it; undefined when no key has that id or it was revoked already. */
export async function revokeApiKeyAudited(db: Kysely<Database>, id: string, actor: string, now: Date = new Date()): Promise<ApiKeyInfo | undefined> {
  return db.transaction().execute(async (trx) => {
    const key = await revokeApiKey(trx, id, now);
    if (!key) return undefined;
    await appendAudit(trx, { org: KEYS_AUDIT_ORG, actor, action: 'api_key.revoked', target: key.id, reason: `API key "${key.name}" revoked`, details: { prefix: key.prefix }, at: now });
    return key;
  });
}
