import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiRoute } from '../../src/api/api-route.js';
import { dryRunPlan } from '../../src/api/org-views.js';
import { API_ROUTES } from '../../src/api/route-table.js';
import { upsertPendingRequest } from '../../src/db/seat-requests.js';
import { insertDeliveries } from '../../src/db/deliveries.js';
import { storePlan } from '../../src/db/plans.js';
import { readStoredPolicy, savePolicy } from '../../src/db/policies.js';
import { RECONCILE_QUEUE } from '../../src/jobs/reconcile-queue.js';
import { POLICY_YAML, createKey, seedOrg } from '../helpers/api.js';
import { type TestCeos, startTestCeos } from '../helpers/ceos.js';
import { backend } from '../helpers/database.js';

// Every success answer of the API against the schema the OpenAPI document gives it: a field the
// document lacks, or one it promises that the answer lacks or types otherwise, fails here.

let ceos: TestCeos;
let auth: { authorization: string };
/** Live success answers seen, by route. */
const seen = new Map<ApiRoute, number>();

function routeOf(method: string, url: string): ApiRoute {
  const path = url.split('?')[0]!.replace(/^\/api\/v1/, '');
  const route = API_ROUTES.find((r) => r.method === method && new RegExp(`^${r.url.replace(/:\w+/g, '[^/]+')}$`).test(path));
  if (!route) throw new Error(`no route for ${method} ${url}`);
  return route;
}

/** Makes a request as an admin, expects the route's success status, and checks the body against its schema. */
async function call(method: 'GET' | 'POST' | 'DELETE', url: string, payload?: unknown, type = 'application/json') {
  const res = await ceos.server.inject({
    method,
    url,
    headers: { ...auth, ...(payload !== undefined ? { 'content-type': type } : {}) },
    ...(payload !== undefined ? { payload: typeof payload === 'string' ? payload : JSON.stringify(payload) } : {}),
  });
  const route = routeOf(method, url);
  expect(res.statusCode, `${method} ${url}: ${res.body}`).toBe(route.status ?? 200);
  const body = res.json() as unknown;
  const parsed = route.response!.safeParse(body);
  expect(parsed.success ? [] : parsed.error.issues, `${method} ${url} answers what its schema says`).toEqual([]);
  // Object schemas drop keys they do not name: a key the document does not list shows as a difference.
  expect(parsed.data, `${method} ${url} has no field its schema lacks`).toEqual(body);
  seen.set(route, (seen.get(route) ?? 0) + 1);
  return body as Record<string, any>;
}

beforeAll(async () => {
  ceos = await startTestCeos(
    { CEOS_WORKERS: 'false', CEOS_API_RATE_LIMIT_PER_KEY: '100000', CEOS_ENCRYPTION_KEY: randomBytes(32).toString('base64'), CEOS_WEBHOOK_ALLOW_PRIVATE: 'true' },
    { listen: false },
  );
  const { db } = ceos.database;
  await seedOrg(db, 'Acme', 1);
  await seedOrg(db, 'Globex', 2);
  // Globex's file has a problem: its policy answers carry errors with lines.
  await savePolicy(db, 'globex', { sha: 'def456', ref: 'refs/heads/main', text: 'version: 2\n', policy: null, errors: [{ line: 1, column: 10, path: 'version', message: 'version must be 1' }] }, new Date());
  auth = (await createKey(db, 'admin')).auth;
});
afterAll(() => ceos?.stop());

describe(`management API success bodies (${backend})`, () => {
  it('every route declares a response schema, and the OpenAPI document shows it under the success status', async () => {
    expect(API_ROUTES.filter((r) => r.response === undefined).map((r) => `${r.method} ${r.url}`)).toEqual([]);
    const doc = (await ceos.server.inject({ method: 'GET', url: '/api/v1/openapi.json' })).json() as {
      paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema?: { type?: string } }> }> }>>;
    };
    for (const route of API_ROUTES) {
      const op = doc.paths[`/api/v1${route.url.replace(/:(\w+)/g, '{$1}')}`]?.[route.method.toLowerCase()];
      const success = op?.responses[String(route.status ?? 200)];
      expect(success?.content?.['application/json']?.schema, `${route.method} ${route.url}`).toBeDefined();
      expect(op?.responses['4XX'], `${route.method} ${route.url} keeps its error schema`).toBeDefined();
    }
  });

  it('reads: organizations, seats, members, teams and policy answer as documented', async () => {
    await call('GET', '/api/v1/installations');
    await call('GET', '/api/v1/installations?limit=1');
    await call('GET', '/api/v1/orgs/acme');
    await call('GET', '/api/v1/orgs/globex');
    const seats = await call('GET', '/api/v1/orgs/acme/seats');
    expect(seats.items.length).toBe(3);
    await call('GET', '/api/v1/orgs/acme/seats?state=inactive&team=eng&limit=1');
    for (const login of ['alice', 'bob', 'carol']) await call('GET', `/api/v1/orgs/acme/seats/${login}`);
    await call('GET', '/api/v1/orgs/acme/members?limit=2');
    await call('GET', '/api/v1/orgs/acme/teams');
    const policy = await call('GET', '/api/v1/orgs/acme/policy');
    expect(policy.policy.mode).toBe('enforce');
    const broken = await call('GET', '/api/v1/orgs/globex/policy');
    expect(broken.errors).toHaveLength(1);
  });

  it('plans: dry runs, validation, stored plans with their changes, confirmation, runs and jobs answer as documented', async () => {
    const { db } = ceos.database;
    const dry = await call('POST', '/api/v1/orgs/acme/plans', {});
    expect(dry.plan.toCancel.length + dry.plan.leftAlone.length).toBeGreaterThan(0);
    await call('POST', '/api/v1/orgs/acme/policy/validate', POLICY_YAML, 'application/yaml');

    const stored = await readStoredPolicy(db, 'acme');
    const plan = await dryRunPlan(db, 'acme', 'Acme', stored!.policy, new Date());
    const applying = await storePlan(db, { org: 'acme', trigger: 'api', actor: 'test', plan, policySha: 'abc123', status: 'planned' });
    const held = await storePlan(db, {
      org: 'acme',
      trigger: 'schedule',
      actor: 'schedule',
      plan: { ...plan, safeguard: { setting: 1, seatsHeld: 3, limit: 10, cancellations: plan.toCancel.length, status: 'held', held: plan.toCancel, confirmedPlanId: null, confirmedBy: null } },
      policySha: 'abc123',
      status: 'awaiting_confirmation',
    });
    const list = await call('GET', '/api/v1/orgs/acme/plans');
    expect(list.items.map((p: { id: string }) => p.id)).toEqual(expect.arrayContaining([applying, held]));
    const shown = await call('GET', `/api/v1/orgs/acme/plans/${applying}`);
    expect(shown.changes.length).toBeGreaterThan(0);
    await call('GET', `/api/v1/orgs/acme/plans/${held}`);
    await call('POST', `/api/v1/orgs/acme/plans/${held}/confirm`, {});

    const run = await call('POST', '/api/v1/orgs/acme/reconcile', { apply: false });
    const queued = await call('GET', `/api/v1/jobs/${run.job_id}`);
    expect(queued.state).toBe('created');
    // A completed run, as a worker leaves it: its outcome is part of the answer.
    const [job] = await ceos.boss.fetch(RECONCILE_QUEUE);
    await ceos.boss.complete(RECONCILE_QUEUE, job!.id, { status: 'report_only', planId: applying });
    const completed = await call('GET', `/api/v1/jobs/${job!.id}`);
    expect(completed).toMatchObject({ state: 'completed', result: { status: 'report_only', planId: applying } });
  });

  it('overrides, audit, deliveries and keys answer as documented', async () => {
    const { db } = ceos.database;
    const granted = await call('POST', '/api/v1/orgs/acme/overrides', { kind: 'grant', logins: ['carol'], reason: 'pairing', expires_in_days: 7 });
    await call('GET', '/api/v1/orgs/acme/overrides');
    await call('DELETE', `/api/v1/orgs/acme/overrides/${granted.items[0].id}`);

    const audit = await call('GET', '/api/v1/audit?org=acme&limit=5');
    expect(audit.items.length).toBeGreaterThan(0);
    await call('GET', '/api/v1/audit/verify');
    await call('GET', '/api/v1/audit/verify?org=acme');

    const at = new Date();
    await insertDeliveries(db, [
      { id: 'r-1', event: 'organization', action: 'member_added', installationId: 1, org: 'acme', repository: null, sender: 'octocat', payload: '{"action":"member_added"}', receivedAt: at },
      { id: 'r-2', event: 'push', action: null, installationId: 1, org: 'acme', repository: 'acme/.github', sender: 'octocat', payload: '{"ref":"refs/heads/main"}', receivedAt: at },
    ]);
    await db.updateTable('deliveries').set({ status: 'dead', attempts: 8, last_error: 'boom' }).where('id', '=', 'r-2').execute();
    await call('GET', '/api/v1/deliveries');
    await call('GET', '/api/v1/deliveries/r-1');
    await call('POST', '/api/v1/deliveries/r-1/replay', {});
    const redrive = await call('POST', '/api/v1/dead-letters/redrive', {});
    expect(redrive.redriven).toBe(1);

    const key = await call('POST', '/api/v1/keys', { role: 'viewer', orgs: ['acme'], expires_in_days: 30, name: 'scripts' });
    await call('GET', '/api/v1/keys');
    await call('DELETE', `/api/v1/keys/${key.id}`);
  });

  it('usage: series, insights, report, collection status and refresh answer as documented before any usage is collected', async () => {
    await call('GET', '/api/v1/orgs/acme/usage');
    await call('GET', '/api/v1/orgs/acme/insights');
    await call('GET', '/api/v1/orgs/acme/report');
    await call('GET', '/api/v1/usage');
    await call('GET', '/api/v1/orgs/acme/usage/collection');
    await call('POST', '/api/v1/orgs/acme/usage/refresh', {});
  });

  it('seat requests: list, approve and decline answer as documented', async () => {
    const { db } = ceos.database;
    const at = new Date();
    const asked = await upsertPendingRequest(db, { org: 'acme', login: 'carol', userId: 3, reason: 'pairing', repository: 'Acme/.github', issueNumber: 1, commentId: 5 }, at);
    const other = await upsertPendingRequest(db, { org: 'acme', login: 'bob', userId: 2, reason: null, repository: null, issueNumber: null, commentId: null }, at);
    const pending = await call('GET', '/api/v1/orgs/acme/requests?state=pending');
    expect(pending.items.map((r: { login: string }) => r.login).sort()).toEqual(['bob', 'carol']);
    const approved = await call('POST', `/api/v1/orgs/acme/requests/${asked.row.id}/approve`, { reason: 'welcome', expires_in_days: 90 });
    expect(approved).toMatchObject({ state: 'approved', decision_reason: 'welcome' });
    const declined = await call('POST', `/api/v1/orgs/acme/requests/${other.row.id}/decline`, {});
    expect(declined.state).toBe('declined');
    expect((await call('GET', '/api/v1/orgs/acme/requests?state=pending')).items).toEqual([]);
  });

  it('notification webhooks: subscribe, list, show, test, deliveries, replay, rotate and delete answer as documented', async () => {
    const { db } = ceos.database;
    const hook = await call('POST', '/api/v1/webhooks', { url: 'http://127.0.0.1:9/hook', events: ['seat.added', 'plan.applied'], format: 'slack', orgs: ['Acme'] });
    expect(hook).toMatchObject({ url: 'http://127.0.0.1:9/hook', events: ['plan.applied', 'seat.added'], format: 'slack', orgs: ['acme'], state: 'active' });
    expect(hook.secret).toMatch(/^whsec_/);
    const listed = await call('GET', '/api/v1/webhooks');
    expect(listed.items.map((w: { id: string }) => w.id)).toEqual([hook.id]);
    expect(await call('GET', `/api/v1/webhooks/${hook.id}`)).not.toHaveProperty('secret');
    const test = await call('POST', `/api/v1/webhooks/${hook.id}/test`, {});
    expect(test).toMatchObject({ type: 'webhook.tested', state: 'pending', attempts: 0 });
    await db.updateTable('notification_messages').set({ state: 'dead', attempts: 9, last_status: 500, last_error: 'answered 500' }).where('id', '=', test.id).execute();
    const deliveries = await call('GET', `/api/v1/webhooks/${hook.id}/deliveries?limit=5`);
    expect(deliveries.items[0]).toMatchObject({ id: test.id, state: 'dead', next_attempt_at: null });
    expect(await call('POST', `/api/v1/webhooks/${hook.id}/deliveries/${test.id}/replay`, {})).toMatchObject({ state: 'pending', attempts: 0 });
    const rotated = await call('POST', `/api/v1/webhooks/${hook.id}/rotate-secret`, {});
    expect(rotated.secret).not.toBe(hook.secret);
    await call('DELETE', `/api/v1/webhooks/${hook.id}`);
    expect((await call('GET', '/api/v1/webhooks')).items).toEqual([]);
  });

  it('every route was seen answering with success', () => {
    expect(API_ROUTES.filter((r) => !seen.has(r)).map((r) => `${r.method} ${r.url}`)).toEqual([]);
  });
});
