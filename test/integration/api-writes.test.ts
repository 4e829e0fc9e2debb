import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { dryRunPlan } from '../../src/api/org-views.js';
import { listAuditEntries } from '../../src/db/audit-log.js';
import { insertDeliveries } from '../../src/db/deliveries.js';
import { storePlan } from '../../src/db/plans.js';
import { readStoredPolicy } from '../../src/db/policies.js';
import { createKey, seedOrg } from '../helpers/api.js';
import { type TestCeos, startTestCeos } from '../helpers/ceos.js';
import { backend } from '../helpers/database.js';

let ceos: TestCeos | undefined;
afterEach(async () => {
  await ceos?.stop();
  ceos = undefined;
});

async function start(): Promise<TestCeos> {
  ceos = await startTestCeos({ CEOS_WORKERS: 'false' }, { listen: false });
  await seedOrg(ceos.database.db, 'Acme', 1);
  await seedOrg(ceos.database.db, 'Globex', 2);
  return ceos;
}

function delivery(id: string, org: string) {
  return { id, event: 'organization', action: 'member_added', installationId: 1, org, repository: null, sender: 'octocat', payload: '{"action":"member_added"}', receivedAt: new Date() };
}

describe(`management API writes (${backend})`, () => {
  it('replays and redrives dead letters, audited, refusing a delivery a worker holds and those of other organizations', async () => {
    const c = await start();
    const { db } = c.database;
    await insertDeliveries(db, [delivery('d-1', 'acme'), delivery('d-2', 'acme'), delivery('d-3', 'globex'), delivery('d-held', 'acme')]);
    await db.updateTable('deliveries').set({ status: 'dead', attempts: 8 }).where('id', 'in', ['d-1', 'd-2', 'd-3']).execute();
    await sql`update deliveries set status = 'processing', claimed_by = 'worker-1', next_attempt_at = now() + interval '5 minutes' where id = 'd-held'`.execute(db);
    const operator = await createKey(db, 'operator');
    const acmeOnly = await createKey(db, 'operator', { orgs: ['acme'] });

    const held = await c.server.inject({ method: 'POST', url: '/api/v1/deliveries/d-held/replay', headers: operator.auth });
    expect(held.statusCode).toBe(409);
    expect(held.json().error.code).toBe('processing');
    expect((await c.server.inject({ method: 'POST', url: '/api/v1/deliveries/d-3/replay', headers: acmeOnly.auth })).statusCode).toBe(404);

    const replay = await c.server.inject({ method: 'POST', url: '/api/v1/deliveries/d-1/replay', headers: operator.auth });
    expect(replay.statusCode).toBe(202);
    const redrive = await c.server.inject({ method: 'POST', url: '/api/v1/dead-letters/redrive', headers: acmeOnly.auth, payload: {} });
    expect(redrive.json()).toEqual({ redriven: 1, ids: ['d-2'], more: false });

    const statuses = await db.selectFrom('deliveries').select(['id', 'status']).orderBy('id').execute();
    expect(statuses).toEqual([
      { id: 'd-1', status: 'received' },
      { id: 'd-2', status: 'received' },
      { id: 'd-3', status: 'dead' },
      { id: 'd-held', status: 'processing' },
    ]);
    const audit = await listAuditEntries(db, { org: 'acme', limit: 10 });
    expect(audit.map((e) => `${e.action}:${e.actor}:${e.target ?? ''}`).reverse()).toEqual([
      `delivery.replayed:api-key:${operator.id}:d-1`,
      `dead_letters.redriven:api-key:${acmeOnly.id}:`,
    ]);
    expect(await listAuditEntries(db, { org: 'globex', limit: 10 })).toEqual([]);
  });

  it('confirms a held plan as /copilot confirm does: audited with the key, a run queued, a second confirmation refused', async () => {
    const c = await start();
    const { db } = c.database;
    const stored = await readStoredPolicy(db, 'acme');
    const plan = await dryRunPlan(db, 'acme', 'Acme', stored!.policy, new Date());
    const planId = await storePlan(db, {
      org: 'acme',
      trigger: 'schedule',
      actor: 'schedule',
      plan: { ...plan, safeguard: { limit: 10, held: plan.toCancel } as never },
      policySha: 'abc123',
      status: 'awaiting_confirmation',
    });
    const viewer = await createKey(db, 'viewer');
    const operator = await createKey(db, 'operator');
    expect((await c.server.inject({ method: 'POST', url: `/api/v1/orgs/acme/plans/${planId}/confirm`, headers: viewer.auth })).statusCode).toBe(403);
    const summary = await c.server.inject({ method: 'GET', url: '/api/v1/orgs/acme', headers: viewer.auth });
    expect(summary.json().held_plans.map((p: { id: string }) => p.id)).toEqual([planId]);

    const confirmed = await c.server.inject({ method: 'POST', url: `/api/v1/orgs/acme/plans/${planId}/confirm`, headers: operator.auth });
    expect(confirmed.statusCode, confirmed.body).toBe(202);
    expect(confirmed.json()).toMatchObject({ plan_id: planId, status: 'confirmed', job_id: expect.any(String) });
    const job = await c.boss.getJobById<{ trigger: string; actor: string; confirmPlanId: string }>('reconcile-org', confirmed.json().job_id);
    expect(job?.data).toMatchObject({ trigger: 'api', actor: `api-key:${operator.id}`, confirmPlanId: planId });
    const again = await c.server.inject({ method: 'POST', url: `/api/v1/orgs/acme/plans/${planId}/confirm`, headers: operator.auth });
    expect(again.statusCode).toBe(409);
    expect(again.json().error.code).toBe('not_held');

    const audit = await listAuditEntries(db, { org: 'acme', action: 'plan.confirmed', limit: 10 });
    expect(audit.map((e) => `${e.actor}:${e.actorType}:${e.target}`)).toEqual([`api-key:${operator.id}:api_key:${planId}`]);
    const shown = await c.server.inject({ method: 'GET', url: `/api/v1/orgs/acme/plans/${planId}`, headers: viewer.auth });
    expect(shown.json()).toMatchObject({ id: planId, status: 'confirmed', confirmed_by: `api-key:${operator.id}` });
  });
});
