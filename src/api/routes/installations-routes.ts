import { z } from 'zod';
import { listInstallationsPage } from '../../db/api-listings.js';
import { defineRoute } from '../api-route.js';
import { decodeCursor, page } from '../cursor.js';
import { iso, pageOf, pageQuery, timestamp } from '../schemas.js';

const installationItem = z.object({
  id: z.number().int().describe('GitHub installation id'),
  org: z.string().describe('Organization login'),
  account_type: z.string().describe('`Organization` or `Enterprise`'),
  status: z.enum(['active', 'suspended', 'deleted']),
  created_at: timestamp,
  updated_at: timestamp,
});

/** `GET /installations`: the organizations CEOS is installed on that the key may see. */
export const installationRoutes = [
  defineRoute({
    method: 'GET',
    url: '/installations',
    permission: 'read',
    org: false,
    tag: 'organizations',
    summary: 'List installations',
    querystring: z.strictObject({ ...pageQuery }),
    response: pageOf(installationItem),
    async handler({ query, principal, deps }) {
      const after = decodeCursor(query.cursor, z.object({ org: z.string() }));
      const rows = await listInstallationsPage(deps.db, { limit: query.limit + 1, ...(after ? { afterOrg: after.org } : {}), ...(principal.orgs !== null ? { orgs: principal.orgs } : {}) });
      return page(
        rows,
        query.limit,
        (r) => ({ id: Number(r.id), org: r.account_login, account_type: r.account_type, status: r.status, created_at: iso(r.created_at), updated_at: iso(r.updated_at) }),
        (r) => ({ org: r.org }),
      );
    },
  }),
];
