import { z } from 'zod';
import { type ApiKeyInfo, findApiKeyById, listApiKeys } from '../../db/api-keys.js';
import { createApiKey, revokeApiKeyAudited } from '../../operations/manage-api-keys.js';
import { orgKey } from '../../db/installations.js';
import { ApiError, notFound } from '../api-error.js';
import { defineRoute } from '../api-route.js';
import type { ApiPrincipal } from '../authenticate.js';
import { decodeCursor, page } from '../cursor.js';
import { API_ROLES } from '../roles.js';
import { keyBody } from '../response-schemas.js';
import { iso, orgParam, pageOf, pageQuery, uuid } from '../schemas.js';

/** A key's metadata as the API shows it (never its hash). */
export function keyItem(k: ApiKeyInfo) {
  return {
    id: k.id,
    name: k.name,
    role: k.role,
    orgs: k.orgs,
    prefix: k.prefix,
    created_at: iso(k.created_at),
    last_used_at: iso(k.last_used_at),
    expires_at: iso(k.expires_at),
    revoked_at: iso(k.revoked_at),
  };
}

/** Whether a key limited to some organizations may manage `key`: only keys limited to some of those. */
function manages(principal: ApiPrincipal, orgs: readonly string[] | null): boolean {
  if (principal.orgs === null) return true;
  return orgs !== null && orgs.every((o) => principal.orgs!.includes(o));
}

/** API keys: list, create (shown once), revoke. Admin keys only. */
export const keyRoutes = [
  defineRoute({
    method: 'GET',
    url: '/keys',
    permission: 'admin',
    org: false,
    tag: 'keys',
    summary: 'List API keys (metadata only)',
    querystring: z.strictObject({ ...pageQuery }),
    response: pageOf(keyBody),
    async handler({ query, principal, deps }) {
      const after = decodeCursor(query.cursor, z.object({ at: z.iso.datetime(), id: z.string() }));
      const rows = await listApiKeys(deps.db, { limit: query.limit + 1, ...(after ? { after: { createdAt: new Date(after.at), id: after.id } } : {}) });
      // An org-limited admin sees the keys it could manage; the page stays keyed by the unfiltered rows.
      const result = page(rows, query.limit, keyItem, (r) => ({ at: iso(r.created_at), id: r.id }));
      return { ...result, items: result.items.filter((k) => manages(principal, k.orgs)) };
    },
  }),
  defineRoute({
    method: 'POST',
    url: '/keys',
    permission: 'admin',
    org: false,
    tag: 'keys',
    status: 201,
    summary: 'Create an API key',
    description: 'Answers with the key\'s metadata and the key itself in `key`: the only time it is ever shown. CEOS keeps only its hash.',
    body: z.strictObject({
      role: z.enum(API_ROLES as [string, ...string[]]).transform((r) => r as ApiKeyInfo['role']),
      orgs: z.array(orgParam).min(1).max(100).optional(),
      expires_in_days: z.number().int().min(1).max(3650).optional(),
      name: z.string().trim().min(1).max(100).optional(),
    }),
    response: keyBody.extend({ key: z.string().describe('The key itself, `ceos_…`: shown this once, never again') }),
    async handler({ body, principal, deps, now }) {
      const orgs = body.orgs ? [...new Set(body.orgs.map(orgKey))].sort() : null;
      if (!manages(principal, orgs)) {
        throw new ApiError(403, 'forbidden', 'A key limited to some organizations can only create keys limited to some of them.');
      }
      const created = await createApiKey(
        deps.db,
        { role: body.role, ...(orgs ? { orgs } : {}), ...(body.expires_in_days ? { expiresInDays: body.expires_in_days } : {}), ...(body.name ? { name: body.name } : {}), actor: principal.actor },
        now,
      );
      return { ...keyItem(created), key: created.key };
    },
  }),
  defineRoute({
    method: 'DELETE',
    url: '/keys/:id',
    permission: 'admin',
    org: false,
    tag: 'keys',
    summary: 'Revoke an API key',
    params: z.strictObject({ id: uuid }),
    response: keyBody,
    async handler({ params, principal, deps, now }) {
      const existing = await findApiKeyById(deps.db, params.id);
      if (!existing || !manages(principal, existing.orgs)) throw notFound(`API key ${params.id}`);
      const revoked = await revokeApiKeyAudited(deps.db, params.id, principal.actor, now);
      if (!revoked) throw new ApiError(409, 'already_revoked', `API key ${params.id} was revoked already.`);
      return keyItem(revoked);
    },
  }),
];
