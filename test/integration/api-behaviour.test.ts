import { Validator } from '@seriousme/openapi-schema-validator';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { generateApiKey } from '../../src/api/api-key-token.js';
import { listAuditEntries, verifyAuditChain } from '../../src/db/audit-log.js';
import { POLICY_YAML, createKey, seedOrg } from '../helpers/api.js';
import { type TestCeos, startTestCeos } from '../helpers/ceos.js';
import { backend } from '../helpers/database.js';

let ceos: TestCeos | undefined;
afterEach(async () => {
  await ceos?.stop();
  ceos = undefined;
});

async function start(env: Record<string, string> = {}, listen = false): Promise<TestCeos> {
  ceos = await startTestCeos({ CEOS_WORKERS: 'false', ...env }, { listen });
  await seedOrg(ceos.database.db, 'Acme', 1);
  return ceos;
}

/** Every row of every CEOS table, as text: where a plaintext key must never appear. */
async function everyRowAsText(c: TestCeos): Promise<string> {
  const tables = await sql<{ table_name: string }>`
    select table_name from information_schema.tables where table_schema = ${c.database.schema} and table_type = 'BASE TABLE'`.execute(c.database.db);
  let text = '';
  for (const { table_name } of tables.rows) {
    const rows = await sql<Record<string, unknown>>`select * from ${sql.table(table_name)}`.execute(c.database.db);
    text += JSON.stringify(rows.rows);
  }
  return text;
}

async function auditCount(c: TestCeos): Promise<number> {
  const row = await c.database.db.selectFrom('audit_log').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

describe(`management API behaviour (${backend})`, () => {
  it('publishes a valid OpenAPI 3.1 document and a browsable reference, both without a key', async () => {
    const c = await start();
    const res = await c.server.inject({ method: 'GET', url: '/api/v1/openapi.json' });
    const doc = res.json() as { openapi: string };
    expect(doc.openapi).toBe('3.1.0');
    const result = await new Validator().validate(doc as never);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    // Large answers are compressed for clients that accept it.
    const gzipped = await c.server.inject({ method: 'GET', url: '/api/v1/openapi.json', headers: { 'accept-encoding': 'gzip' } });
    expect(gzipped.headers['content-encoding']).toBe('gzip');
    expect(gzipped.rawPayload.length).toBeLessThan(res.rawPayload.length / 3);
    const docs = await c.server.inject({ method: 'GET', url: '/docs/' });
    expect(docs.statusCode).toBe(200);
    expect(docs.headers['content-type']).toContain('text/html');
    // Security headers on API answers, none of them on the webhook intake's.
    const api = await c.server.inject({ method: 'GET', url: '/api/v1/installations' });
    expect(api.headers['x-content-type-options']).toBe('nosniff');
    expect(api.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('creates a key shown once, stored only as a hash, usable at once, audited, and revoked for good', async () => {
    const c = await start();
    const admin = await createKey(c.database.db, 'admin');
    const created = await c.server.inject({ method: 'POST', url: '/api/v1/keys', headers: admin.auth, payload: { role: 'viewer', orgs: ['Acme'], expires_in_days: 90, name: 'dashboard' } });
    expect(created.statusCode).toBe(201);
    const body = created.json() as { id: string; key: string; prefix: string; orgs: string[]; expires_at: string };
    expect(body.key).toMatch(/^ceos_[A-Za-z0-9_-]{43}$/);
    expect(body.key.startsWith(body.prefix)).toBe(true);
    expect(body.orgs).toEqual(['acme']);
    expect(Date.parse(body.expires_at) - Date.now()).toBeGreaterThan(89 * 86_400_000);

    const stored = await everyRowAsText(c);
    expect(stored).not.toContain(body.key);
    expect(stored).not.toContain(admin.key);

    const list = await c.server.inject({ method: 'GET', url: '/api/v1/keys', headers: admin.auth });
    expect(JSON.stringify(list.json())).not.toContain(body.key);
    expect(list.json().items.map((k: { id: string }) => k.id)).toContain(body.id);

    const seats = await c.server.inject({ method: 'GET', url: '/api/v1/orgs/acme/seats', headers: { authorization: `Bearer ${body.key}` } });
    expect(seats.statusCode).toBe(200);

    const revoked = await c.server.inject({ method: 'DELETE', url: `/api/v1/keys/${body.id}`, headers: admin.auth });
    expect(revoked.statusCode).toBe(200);
    expect((await c.server.inject({ method: 'DELETE', url: `/api/v1/keys/${body.id}`, headers: admin.auth })).statusCode).toBe(409);
    const after = await c.server.inject({ method: 'GET', url: '/api/v1/orgs/acme/seats', headers: { authorization: `Bearer ${body.key}` } });
    expect(after.statusCode).toBe(401);

    const audit = await listAuditEntries(c.database.db, { org: '_ceos', limit: 10 });
    expect(audit.map((e) => `${e.action}:${e.actor}:${e.target}`).reverse()).toEqual([`api_key.created:api-key:${admin.id}:${body.id}`, `api_key.revoked:api-key:${admin.id}:${body.id}`]);
  });

  it('audits every write with the key as actor, and the chain verifies', async () => {
    const c = await start();
    const operator = await createKey(c.database.db, 'operator');
    const actor = `api-key:${operator.id}`;
    const grant = await c.server.inject({ method: 'POST', url: '/api/v1/orgs/acme/overrides', headers: operator.auth, payload: { kind: 'grant', logins: ['carol'], reason: 'pilot', expires_in_days: 30 } });
    expect(grant.statusCode).toBe(201);
    const overrideId = grant.json().items[0].id as string;
    expect(grant.json().job_id).toEqual(expect.any(String));
    const lift = await c.server.inject({ method: 'DELETE', url: `/api/v1/orgs/acme/overrides/${overrideId}`, headers: operator.auth });
    expect(lift.statusCode).toBe(200);
    expect((await c.server.inject({ method: 'DELETE', url: `/api/v1/orgs/acme/overrides/${overrideId}`, headers: operator.auth })).statusCode).toBe(404);
    const run = await c.server.inject({ method: 'POST', url: '/api/v1/orgs/acme/reconcile', headers: operator.auth, payload: { apply: false } });
    expect(run.statusCode).toBe(202);
    const job = await c.server.inject({ method: 'GET', url: `/api/v1/jobs/${run.json().job_id}`, headers: operator.auth });
    expect(job.json()).toMatchObject({ org: 'acme', trigger: 'api', actor, apply: false });

    const entries = await listAuditEntries(c.database.db, { org: 'acme', limit: 10 });
    expect(entries.map((e) => `${e.action}:${e.actor}:${e.actorType}`).reverse()).toEqual([
      `override.created:${actor}:api_key`,
      `override.lifted:${actor}:api_key`,
      `reconciliation.requested:${actor}:api_key`,
    ]);
    const verify = await c.server.inject({ method: 'GET', url: '/api/v1/audit/verify', headers: operator.auth });
    expect(verify.json()).toMatchObject({ ok: true, checked: 3 });
    expect((await verifyAuditChain(c.database.db)).ok).toBe(true);

    const csv = await c.server.inject({ method: 'GET', url: '/api/v1/audit?org=acme', headers: { ...operator.auth, accept: 'text/csv' } });
    expect(csv.headers['content-type']).toContain('text/csv');
    expect(csv.body.trim().split('\n')).toHaveLength(4);
    const jsonl = await c.server.inject({ method: 'GET', url: '/api/v1/audit?action=override.lifted', headers: { ...operator.auth, accept: 'application/x-ndjson' } });
    expect(jsonl.body.trim().split('\n').map((l) => JSON.parse(l).action)).toEqual(['override.lifted']);
  });

  it('refuses bad input with a 4xx naming the field, and changes nothing', async () => {
    const c = await start();
    const admin = await createKey(c.database.db, 'admin');
    const before = await auditCount(c);
    const overrides = '/api/v1/orgs/acme/overrides';
    const cases: { name: string; method: 'POST' | 'GET'; url: string; payload?: string; type?: string; status: number; mentions: RegExp }[] = [
      { name: 'unknown field', method: 'POST', url: overrides, payload: JSON.stringify({ kind: 'grant', logins: ['carol'], reason: 'x', forever: true }), status: 400, mentions: /body\.forever/ },
      { name: 'wrong type', method: 'POST', url: overrides, payload: JSON.stringify({ kind: 'grant', logins: 'carol', reason: 'x' }), status: 400, mentions: /body\.logins/ },
      { name: 'bad login', method: 'POST', url: overrides, payload: JSON.stringify({ kind: 'grant', logins: ['not a login'], reason: 'x' }), status: 400, mentions: /body\.logins\.0/ },
      { name: 'not JSON', method: 'POST', url: overrides, payload: '{"kind":', status: 400, mentions: /JSON/i },
      { name: 'wrong content type', method: 'POST', url: overrides, payload: 'kind=grant', type: 'application/x-www-form-urlencoded', status: 415, mentions: /content-type/i },
      { name: 'oversized body', method: 'POST', url: overrides, payload: JSON.stringify({ kind: 'grant', logins: ['carol'], reason: 'x'.repeat(1_100_000) }), status: 413, mentions: /./ },
      { name: 'limit too large', method: 'GET', url: '/api/v1/orgs/acme/seats?limit=101', status: 400, mentions: /querystring\.limit/ },
      { name: 'unknown query parameter', method: 'GET', url: '/api/v1/orgs/acme/seats?colour=red', status: 400, mentions: /querystring\.colour/ },
      { name: 'bad cursor', method: 'GET', url: '/api/v1/orgs/acme/seats?cursor=not-a-cursor', status: 400, mentions: /cursor/ },
      { name: 'bad key role', method: 'POST', url: '/api/v1/keys', payload: JSON.stringify({ role: 'root' }), status: 400, mentions: /body\.role/ },
      { name: 'bad YAML', method: 'POST', url: '/api/v1/orgs/acme/policy/validate', payload: 'mode: [enforce\n', type: 'application/yaml', status: 422, mentions: /problem/ },
    ];
    for (const t of cases) {
      const res = await c.server.inject({ method: t.method, url: t.url, headers: { ...admin.auth, ...(t.payload !== undefined ? { 'content-type': t.type ?? 'application/json' } : {}) }, ...(t.payload !== undefined ? { payload: t.payload } : {}) });
      expect(res.statusCode, `${t.name}: ${res.body.slice(0, 300)}`).toBe(t.status);
      const error = res.json().error as { code: string; message: string };
      expect(error.message, t.name).toMatch(t.mentions);
      expect(res.body, t.name).not.toMatch(/\bat .*\.(ts|js):\d+/);
    }
    expect(await auditCount(c)).toBe(before);
    const rows = await c.database.db.selectFrom('seat_overrides').selectAll().execute();
    expect(rows).toEqual([]);
    expect(await c.database.db.selectFrom('api_keys').select('id').execute()).toHaveLength(1);
  });

  it('validates a policy with line and column, and dry-runs plans without storing them', async () => {
    const c = await start();
    const viewer = await createKey(c.database.db, 'viewer');
    const operator = await createKey(c.database.db, 'operator');
    const bad = await c.server.inject({ method: 'POST', url: '/api/v1/orgs/acme/policy/validate', headers: { ...viewer.auth, 'content-type': 'text/plain' }, payload: 'version: 1\nmode: enforce\nseats:\n  grant:\n    teams: [eng]\n  maximum: 3\n' });
    expect(bad.statusCode).toBe(422);
    const errors = bad.json().error.errors as { line: number; column: number; path: string }[];
    expect(errors[0]).toMatchObject({ line: 6, column: 3 });
    const good = await c.server.inject({ method: 'POST', url: '/api/v1/orgs/acme/policy/validate', headers: { ...viewer.auth, 'content-type': 'application/yaml' }, payload: POLICY_YAML.replace('teams: [eng]', 'users: [alice]') });
    expect(good.statusCode).toBe(200);
    expect(good.json().plan.toCancel.map((e: { login: string }) => e.login)).toEqual(['bob', 'dave']);
    const dry = await c.server.inject({ method: 'POST', url: '/api/v1/orgs/acme/plans', headers: operator.auth });
    expect(dry.statusCode, dry.body).toBe(200);
    expect(dry.json().dry_run).toBe(true);
    expect(await c.database.db.selectFrom('plans').select('id').execute()).toEqual([]);
  });

  it('lists seats with filters and pages through them with opaque cursors', async () => {
    const c = await start();
    const viewer = await createKey(c.database.db, 'viewer');
    // Carol, of the child team eng-web, holds a seat she used 30 days ago (and is pending cancellation).
    const thirtyDaysAgo = new Date(Date.now() - 30 * 86_400_000 - 60_000);
    await c.database.db
      .insertInto('copilot_seats')
      .values({ org: 'acme', login_key: 'carol', login: 'carol', user_id: 3, assigning_team_slug: null, created_at: thirtyDaysAgo, last_activity_at: thirtyDaysAgo, last_activity_editor: null, last_authenticated_at: null, pending_cancellation_date: '2026-12-31', plan_type: 'business', synced_at: new Date() })
      .execute();
    const get = (url: string) => c.server.inject({ method: 'GET', url, headers: viewer.auth }).then((r) => r.json() as { items: { login: string; inactive_days: number }[]; next: string | null });
    const logins = async (url: string) => (await get(url)).items.map((s) => s.login);
    expect(await logins('/api/v1/orgs/acme/seats?inactive_days=30')).toEqual(['bob', 'carol']);
    expect(await logins('/api/v1/orgs/acme/seats?inactive_days=31')).toEqual(['bob']);
    expect(await logins('/api/v1/orgs/acme/seats?team=eng')).toEqual(['alice', 'bob', 'carol']);
    expect(await logins('/api/v1/orgs/acme/seats?team=ENG-WEB')).toEqual(['carol']);
    // Inactive: strictly more than the policy's 30 days; active: not, and not pending cancellation.
    expect(await logins('/api/v1/orgs/acme/seats?state=inactive')).toEqual(['bob']);
    expect(await logins('/api/v1/orgs/acme/seats?state=active')).toEqual(['alice', 'dave']);
    expect(await logins('/api/v1/orgs/acme/seats?state=pending_cancellation')).toEqual(['carol']);
    expect((await c.server.inject({ method: 'GET', url: '/api/v1/orgs/acme/seats?team=nope', headers: viewer.auth })).statusCode).toBe(404);
    const summary = await c.server.inject({ method: 'GET', url: '/api/v1/orgs/acme', headers: viewer.auth });
    expect(summary.json()).toMatchObject({
      org: 'Acme',
      seats: { held: 4, active: 3, inactive: 1, inactive_after_days: 30, pending_cancellation: 1 },
      policy: { status: 'valid', mode: 'enforce', sha: 'abc123' },
      last_reconciliation: null,
      held_plans: [],
    });
    const first = await get('/api/v1/orgs/acme/seats?limit=2');
    expect(first.items.map((s) => s.login)).toEqual(['alice', 'bob']);
    const second = await get(`/api/v1/orgs/acme/seats?limit=2&cursor=${first.next}`);
    expect(second.items.map((s) => s.login)).toEqual(['carol', 'dave']);
    expect(second.next).toBeNull();
    const members = await get('/api/v1/orgs/acme/members?limit=3');
    expect(members.items).toEqual([
      { login: 'alice', user_id: 1, role: 'member', has_seat: true },
      { login: 'bob', user_id: 2, role: 'member', has_seat: true },
      { login: 'carol', user_id: 3, role: 'member', has_seat: true },
    ]);
    expect((await get(`/api/v1/orgs/acme/members?cursor=${members.next}`)).items.map((m) => m.login)).toEqual(['dave']);
    const one = await c.server.inject({ method: 'GET', url: '/api/v1/orgs/acme/seats/BOB', headers: viewer.auth });
    expect(one.json()).toMatchObject({ login: 'bob', org_member: true, inactive_days: 60 });
    expect((await c.server.inject({ method: 'GET', url: '/api/v1/orgs/acme/seats/nobody', headers: viewer.auth })).statusCode).toBe(404);
  });

  it('limits requests per key and per client address over real HTTP: 429 with Retry-After', async () => {
    const c = await start({ CEOS_API_RATE_LIMIT_PER_KEY: '5', CEOS_API_RATE_LIMIT_PER_ADDRESS: '3' }, true);
    const viewer = await createKey(c.database.db, 'viewer');
    const statuses = [];
    for (let i = 0; i < 6; i++) statuses.push((await fetch(`${c.url}/api/v1/installations`, { headers: viewer.auth })).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
    const limited = await fetch(`${c.url}/api/v1/installations`, { headers: viewer.auth });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(((await limited.json()) as { error: { code: string } }).error.code).toBe('rate_limited');
    // Without a valid key the client address is counted, with its own lower limit.
    const anonymous = [];
    for (let i = 0; i < 4; i++) anonymous.push((await fetch(`${c.url}/api/v1/installations`, { headers: { authorization: `Bearer ${generateApiKey().key}` } })).status);
    expect(anonymous).toEqual([401, 401, 401, 429]);
  });

  it('serves /api/v1 only to the allowed networks, while the webhook intake stays open', async () => {
    const c = await start({ CEOS_API_ALLOW_CIDRS: '10.0.0.0/8' }, true);
    const admin = await createKey(c.database.db, 'admin');
    const res = await fetch(`${c.url}/api/v1/installations`, { headers: admin.auth });
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('forbidden_network');
    const webhook = await fetch(`${c.url}/api/github/webhooks`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(webhook.status).not.toBe(403);
  });

  it('answers CORS preflights only for the configured origins', async () => {
    const c = await start({ CEOS_CORS_ORIGINS: 'https://dash.example.com' });
    const ok = await c.server.inject({ method: 'OPTIONS', url: '/api/v1/installations', headers: { origin: 'https://dash.example.com', 'access-control-request-method': 'GET' } });
    expect(ok.headers['access-control-allow-origin']).toBe('https://dash.example.com');
    const other = await c.server.inject({ method: 'OPTIONS', url: '/api/v1/installations', headers: { origin: 'https://evil.example.com', 'access-control-request-method': 'GET' } });
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('makes sure the bootstrap admin key exists, and never logs it', async () => {
    const bootstrap = generateApiKey().key;
    const c = await start({ CEOS_BOOTSTRAP_ADMIN_KEY: bootstrap });
    const res = await c.server.inject({ method: 'GET', url: '/api/v1/keys', headers: { authorization: `Bearer ${bootstrap}` } });
    expect(res.statusCode).toBe(200);
    expect(res.json().items).toEqual([expect.objectContaining({ name: 'bootstrap', role: 'admin', orgs: null })]);
    c.log.error({ request: { headers: { authorization: `Bearer ${bootstrap}` } }, deep: { a: { b: { webhookSecret: 'shh', privateKey: 'pem' } } } }, 'oops');
    const logged = c.logs.raw.join('\n');
    expect(logged).not.toContain(bootstrap);
    expect(logged).not.toContain('shh');
    expect(logged).toContain('bootstrap admin API key is in place');
  });
});
