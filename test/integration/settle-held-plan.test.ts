import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { verifyAuditChain } from '../../src/db/audit-log.js';
import { storePlan } from '../../src/db/plans.js';
import type { CopilotSeat, Plan, PlanEntry } from '../../src/domain/plan-types.js';
import { settlePlan } from '../../src/jobs/settle-plans.js';
import { backend, testDatabases } from '../helpers/database.js';

const databases = testDatabases();
afterEach(() => databases.closeAll());

const entry = (login: string, userId: number, code: 'granted_by_user_list' | 'not_granted'): PlanEntry => ({
  login,
  userId,
  reason: { code, text: code === 'not_granted' ? 'not granted by the policy' : 'named in seats.grant.users' },
});

const seat = (login: string, id: number): CopilotSeat => ({
  assigneeLogin: login,
  assigneeId: id,
  assigningTeamSlug: null,
  createdAt: '2026-11-01T00:00:00.000Z',
  lastActivityAt: null,
  lastActivityEditor: null,
  lastAuthenticatedAt: null,
  pendingCancellationDate: null,
  planType: 'business',
});

/** A stored plan that added one seat and held eleven cancellations, left `applying` by a stopped run. */
function heldPlan(): Plan {
  const held = Array.from({ length: 11 }, (_, i) => entry(`gone${i}`, 100 + i, 'not_granted'));
  return {
    org: 'acme',
    mode: 'enforce',
    status: 'ok',
    toAdd: [entry('alice', 1, 'granted_by_user_list')],
    toCancel: [],
    leftAlone: [],
    notAdded: [],
    violations: [],
    warnings: [],
    overridesToRecord: [],
    safeguard: { setting: '10%', seatsHeld: 20, limit: 10, cancellations: 11, status: 'held', held, confirmedPlanId: null, confirmedBy: null },
  } as unknown as Plan;
}

describe(`settling a plan that held cancellations (${backend})`, () => {
  it('keeps the hold: the settled plan awaits confirmation, supersedes the older held plan, and says so in the audit log and the outbox', async () => {
    const { db } = await databases.open();
    const older = await storePlan(db, { org: 'acme', trigger: 'schedule', actor: 'schedule', plan: heldPlan(), policySha: null, status: 'awaiting_confirmation' });
    const planId = await storePlan(db, { org: 'acme', trigger: 'schedule', actor: 'schedule', plan: heldPlan(), policySha: null, status: 'applying' });

    // GitHub lists alice's new seat: the add went through before the process stopped.
    const settled = await settlePlan({ db, log: pino({ level: 'silent' }), now: () => new Date() }, planId, [seat('alice', 1)], 'sweeper');
    expect(settled).toBe(true);

    const plans = await db.selectFrom('plans').select(['id', 'status', 'superseded_by']).where('org', '=', 'acme').execute();
    expect(plans.find((p) => p.id === planId)?.status).toBe('awaiting_confirmation');
    expect(plans.find((p) => p.id === older)).toMatchObject({ status: 'superseded', superseded_by: planId });

    const changes = await db.selectFrom('plan_changes').select(['login', 'op', 'status']).where('plan_id', '=', planId).execute();
    expect(changes).toEqual([{ login: 'alice', op: 'add', status: 'done' }]);

    const audit = await db.selectFrom('audit_log').select(['action', 'target', 'details']).where('org', '=', 'acme').orderBy('seq').execute();
    expect(audit.map((a) => a.action)).toEqual(['seat.added', 'reconciliation.applied', 'plan.held']);
    expect(audit.at(-1)).toMatchObject({ target: planId, details: { settled: true, superseded: [older] } });
    expect(await verifyAuditChain(db, { org: 'acme' })).toMatchObject({ ok: true, broken: [] });

    const events = await db.selectFrom('domain_events').select(['type']).where('org', '=', 'acme').execute();
    expect(events.map((e) => e.type)).toContain('plan.awaiting_confirmation');
  });
});
