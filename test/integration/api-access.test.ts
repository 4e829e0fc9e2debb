import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiRoute } from '../../src/api/api-route.js';
import { API_ROUTES } from '../../src/api/route-table.js';
import { API_ROLES, roleAllows } from '../../src/api/roles.js';
import { revokeApiKey } from '../../src/db/api-keys.js';
import type { ApiKeyRole } from '../../src/db/api-keys-schema.js';
import { POLICY_YAML, createKey, seedOrg } from '../helpers/api.js';
import { type TestCeos, startTestCeos } from '../helpers/ceos.js';
import { backend } from '../helpers/database.js';

/** A request each route accepts from a role allowed to make it (the matrix checks access, not outcomes). */
function sampleRequest(route: ApiRoute, org = 'acme') {
  const url = `/api/v1${route.url}`
    .replace(':org', org)
    .replace(':login', 'alice')
    .replace(':guid', 'no-such-delivery')
    .replace(':id', randomUUID());
  const bodies: Record<string, { payload: unknown; type?: string }> = {
    'POST /keys': { payload: { role: 'viewer', name: 'matrix' } },
    'POST /orgs/:org/overrides': { payload: { kind: 'grant', logins: ['carol'], reason: 'matrix' } },
    'POST /orgs/:org/policy/validate': { payload: POLICY_YAML, type: 'application/yaml' },
    'POST /orgs/:org/reconcile': { payload: { apply: false } },
    'POST /dead-letters/redrive': { payload: {} },
  };
  const body = route.method === 'POST' ? (bodies[`${route.method} ${route.url}`] ?? { payload: {} }) : undefined;
  return {
    method: route.method,
    url,
    ...(body ? { payload: typeof body.payload === 'string' ? body.payload : JSON.stringify(body.payload), headers: { 'content-type': body.type ?? 'application/json' } } : { headers: {} }),
  };
}

let ceos: TestCeos;
const keys = {} as Record<ApiKeyRole, { id: string; key: string }>;
let expired: string;
let revoked: string;

beforeAll(async () => {
  // No workers: a queued run must not try to reach GitHub.
  ceos = await startTestCeos({ CEOS_WORKERS: 'false', CEOS_API_RATE_LIMIT_PER_KEY: '100000', CEOS_API_RATE_LIMIT_PER_ADDRESS: '100000' }, { listen: false });
  const { db } = ceos.database;
  await seedOrg(db, 'Acme', 1);
  await seedOrg(db, 'Globex', 2);
  for (const role of API_ROLES) keys[role] = await createKey(db, role);
  expired = (await createKey(db, 'admin', { expiresAt: new Date(Date.now() - 1000) })).key;
  const gone = await createKey(db, 'admin');
  await revokeApiKey(db, gone.id, new Date());
  revoked = gone.key;
});
afterAll(() => ceos?.stop());

describe(`management API access (${backend})`, () => {
  it('lists every route of the table in the OpenAPI document', async () => {
    const res = await ceos.server.inject({ method: 'GET', url: '/api/v1/openapi.json' });
    expect(res.statusCode).toBe(200);
    const doc = res.json() as { paths: Record<string, Record<string, unknown>> };
    for (const route of API_ROUTES) {
      const path = `/api/v1${route.url.replace(/:(\w+)/g, '{$1}')}`;
      expect(doc.paths[path]?.[route.method.toLowerCase()], `${route.method} ${path}`).toBeDefined();
    }
  });

  for (const route of API_ROUTES) {
    describe(`${route.method} ${route.url}`, () => {
      for (const role of API_ROLES) {
        const allowed = roleAllows(role, route.permission);
        it(`${role}: ${allowed ? 'allowed' : '403'}`, async () => {
          const req = sampleRequest(route);
          const res = await ceos.server.inject({ ...req, headers: { ...req.headers, authorization: `Bearer ${keys[role].key}` } });
          if (allowed) {
            expect([401, 403], res.body).not.toContain(res.statusCode);
            expect(res.statusCode, res.body).toBeLessThan(500);
          } else {
            expect(res.statusCode, res.body).toBe(403);
            expect(res.json().error.code).toBe('forbidden');
          }
        });
      }
      const bad: [string, Record<string, string>][] = [
        ['no key', {}],
        ['a made-up key', { authorization: `Bearer ceos_${'A'.repeat(43)}` }],
        ['an expired key', { authorization: `Bearer ${'EXPIRED'}` }],
        ['a revoked key', { authorization: `Bearer ${'REVOKED'}` }],
        ['a malformed header', { authorization: 'Basic abc' }],
      ];
      for (const [name, header] of bad) {
        it(`${name}: 401`, async () => {
          const req = sampleRequest(route);
          const authorization = header.authorization?.replace('EXPIRED', expired).replace('REVOKED', revoked);
          const res = await ceos.server.inject({ ...req, headers: { ...req.headers, ...(authorization ? { authorization } : {}) } });
          expect(res.statusCode, res.body).toBe(401);
          expect(res.headers['www-authenticate']).toContain('Bearer');
          expect(Object.keys(res.json().error).sort()).toEqual(['code', 'message']);
        });
      }
    });
  }

  describe('a key limited to one organization', () => {
    const orgRoutes = API_ROUTES.filter((r) => r.org);
    for (const route of orgRoutes) {
      it(`${route.method} ${route.url}: 404 alike for a foreign and a missing organization`, async () => {
        const limited = await createKey(ceos.database.db, 'admin', { orgs: ['acme'] });
        const answers = [];
        for (const org of ['globex', 'no-such-org']) {
          const req = sampleRequest(route, org);
          const res = await ceos.server.inject({ ...req, headers: { ...req.headers, ...limited.auth } });
          expect(res.statusCode, res.body).toBe(404);
          answers.push(res.json().error.message.replace(org, 'ORG'));
        }
        expect(answers[0]).toBe(answers[1]);
        // The same key reaches its own organization.
        const own = sampleRequest(route, 'acme');
        const res = await ceos.server.inject({ ...own, headers: { ...own.headers, ...limited.auth } });
        expect(res.json().error?.message ?? '').not.toMatch(/No organization/);
      });
    }

    it('sees only its organizations in installations, and cannot create a wider key', async () => {
      const limited = await createKey(ceos.database.db, 'admin', { orgs: ['acme'] });
      const list = await ceos.server.inject({ method: 'GET', url: '/api/v1/installations', headers: limited.auth });
      expect(list.json().items.map((i: { org: string }) => i.org)).toEqual(['Acme']);
      const wider = await ceos.server.inject({ method: 'POST', url: '/api/v1/keys', headers: limited.auth, payload: { role: 'viewer' } });
      expect(wider.statusCode).toBe(403);
    });
  });
});
