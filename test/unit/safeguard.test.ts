import { describe, expect, it } from 'vitest';
import type { CopilotSeat, OrgSnapshot } from '../../src/domain/plan-types.js';
import type { PlannerInput } from '../../src/domain/planner/plan-reconciliation.js';
import { cancellationLimit, planWithSafeguard } from '../../src/domain/planner/safeguard.js';
import { policySchema } from '../../src/domain/policy/policy-schema.js';
import type { PolicyInput } from '../../src/domain/policy/policy-schema.js';

const NOW = '2025-06-30T12:00:00.000Z';

describe('the cancellation limit', () => {
  it.each([
    { setting: '10%', seatsHeld: 0, limit: 10 },
    { setting: '10%', seatsHeld: 99, limit: 10 },
    { setting: '10%', seatsHeld: 101, limit: 11 },
    { setting: '10%', seatsHeld: 162, limit: 17 },
    { setting: '10%', seatsHeld: 30, limit: 10 },
    { setting: '10%', seatsHeld: 300, limit: 30 },
    { setting: '12.5%', seatsHeld: 1000, limit: 125 },
    { setting: '1%', seatsHeld: 60_000, limit: 600 },
    { setting: '100%', seatsHeld: 50, limit: 50 },
    { setting: 3, seatsHeld: 1000, limit: 10 },
    { setting: 2745, seatsHeld: 60_000, limit: 2745 },
  ])('$setting of $seatsHeld seats held is $limit', ({ setting, seatsHeld, limit }) => {
    expect(cancellationLimit(setting, seatsHeld)).toBe(limit);
  });
});

/** An org of `members` members each holding a per-user seat, plus `leavers` seats of people who left. */
function input(fields: { grant: number; members: number; leavers?: number; pending?: number; viaTeam?: number; policy?: Partial<PolicyInput> }): PlannerInput {
  const members = Array.from({ length: fields.members }, (_, i) => ({ login: `m${i}`, id: i + 1, role: 'member' as const }));
  const seat = (login: string, id: number, extra: Partial<CopilotSeat> = {}): CopilotSeat => ({
    assigneeLogin: login,
    assigneeId: id,
    assigningTeamSlug: null,
    createdAt: '2025-01-01T00:00:00.000Z',
    lastActivityAt: '2025-06-29T00:00:00.000Z',
    lastActivityEditor: null,
    lastAuthenticatedAt: null,
    pendingCancellationDate: null,
    planType: 'business',
    ...extra,
  });
  const seats = members.map((m, i) =>
    seat(m.login, m.id, {
      pendingCancellationDate: i < (fields.pending ?? 0) ? '2025-07-01' : null,
      assigningTeamSlug: i >= fields.members - (fields.viaTeam ?? 0) ? 'all' : null,
    }),
  );
  for (let i = 0; i < (fields.leavers ?? 0); i++) seats.push(seat(`gone${i}`, 10_000 + i));
  const snapshot: OrgSnapshot = {
    org: 'acme',
    members,
    teams: [{ slug: 'all', id: 1, parentSlug: null }],
    teamMemberships: { all: members.map((m) => m.login) },
    seats,
    billing: { seatManagementSetting: 'assign_selected' },
  };
  const grant = members.slice(0, fields.grant).map((m) => m.login);
  const policy = policySchema.parse({ version: 1, mode: 'enforce', seats: { grant: { users: grant } }, ...fields.policy });
  return { policy, snapshot, overrides: [], now: NOW, membership: { complete: true, asOf: NOW } };
}

describe('the mass-cancellation safeguard', () => {
  it.each([
    // 100 seats held, default 10%: the limit is 10.
    { name: 'ten cancellations of 100 seats apply', args: { members: 100, grant: 90 }, status: 'within', cancelled: 10, held: 0 },
    { name: 'eleven cancellations of 100 seats are all held', args: { members: 100, grant: 89 }, status: 'held', cancelled: 0, held: 11 },
    // Never fewer than 10, whatever the percentage.
    { name: 'ten of 20 seats apply (floor of 10)', args: { members: 20, grant: 10 }, status: 'within', cancelled: 10, held: 0 },
    { name: 'an explicit number', args: { members: 100, grant: 50, policy: { safeguards: { max_cancellations: 50 } } }, status: 'within', cancelled: 50, held: 0 },
    { name: 'an explicit number exceeded', args: { members: 100, grant: 49, policy: { safeguards: { max_cancellations: 50 } } }, status: 'held', cancelled: 0, held: 51 },
    { name: 'a percentage', args: { members: 100, grant: 75, policy: { safeguards: { max_cancellations: '25%' } } }, status: 'within', cancelled: 25, held: 0 },
    // Leavers' seats count like any cancellation CEOS would send.
    // 106 seats held: the limit is 11; six not granted and six departures make 12.
    { name: 'departures count', args: { members: 100, grant: 94, leavers: 6 }, status: 'held', cancelled: 0, held: 12 },
    // 200 seats listed, 100 of them pending cancellation: 100 held, so the limit is 10 (not 20), and
    // the 11 per-user seats not granted are held; the pending ones are never cancelled again.
    { name: 'pending cancellations are neither held seats nor cancellations', args: { members: 200, grant: 0, pending: 100, viaTeam: 89 }, status: 'held', cancelled: 0, held: 11 },
    // Team-assigned seats are left alone, so they do not count as cancellations.
    { name: 'team-assigned seats are not cancellations', args: { members: 100, grant: 0, viaTeam: 92 }, status: 'within', cancelled: 8, held: 0 },
  ])('$name', ({ args, status, cancelled, held }) => {
    const plan = planWithSafeguard(input(args as Parameters<typeof input>[0]));
    expect(plan.safeguard?.status).toBe(status);
    expect(plan.toCancel).toHaveLength(cancelled);
    expect(plan.safeguard?.held).toHaveLength(held);
  });

  it('over the limit keeps the adds, holds every cancellation, and counts held seats as held after the plan', () => {
    const base = input({ members: 100, grant: 40, policy: { seats: { grant: { users: ['m0', 'newcomer'] } } } });
    const snapshot = { ...base.snapshot, members: [...base.snapshot.members, { login: 'newcomer', id: 500, role: 'member' as const }] };
    const plan = planWithSafeguard({ ...base, snapshot });
    expect(plan.toAdd.map((e) => e.login)).toEqual(['newcomer']);
    expect(plan.toCancel).toEqual([]);
    expect(plan.safeguard).toMatchObject({ status: 'held', setting: '10%', seatsHeld: 100, limit: 10, cancellations: 99, confirmedPlanId: null });
    expect(plan.safeguard!.held.map((e) => e.reason.code)).toEqual(Array(99).fill('not_granted'));
    expect(plan.seats.after.total).toBe(101);
  });

  it('held seats keep the cap full: adds that fit only after the cancellations wait', () => {
    const plan = planWithSafeguard(input({ members: 100, grant: 0, leavers: 0, policy: { seats: { grant: { users: ['m0'] }, max: 100 } } }));
    // m0 holds a seat already; everyone else is cancelled → held; nothing to add.
    expect(plan.safeguard?.status).toBe('held');
    expect(plan.cap.seatsAfter).toBe(100);
  });

  it('records no inactivity override for a held cancellation', () => {
    const base = input({ members: 20, grant: 20, policy: { inactivity: { revoke_after_days: 30 } } });
    const stale = base.snapshot.seats.map((s) => ({ ...s, lastActivityAt: '2025-01-01T00:00:00.000Z' }));
    const plan = planWithSafeguard({ ...base, snapshot: { ...base.snapshot, seats: stale } });
    expect(plan.safeguard?.held).toHaveLength(20);
    expect(plan.overridesToRecord).toEqual([]);
  });

  it('a confirmation lets through only the confirmed cancellations still due, and holds the rest again', () => {
    const first = planWithSafeguard(input({ members: 100, grant: 80 }));
    expect(first.safeguard?.held).toHaveLength(20);
    const confirmedIds = first.safeguard!.held.map((e) => e.userId!);
    // Meanwhile five of the twenty were granted again, and three more people fell out of the policy.
    const fresh = input({ members: 100, grant: 85 });
    const later = { ...fresh, policy: { ...fresh.policy!, seats: { ...fresh.policy!.seats, grant: { ...fresh.policy!.seats.grant, users: fresh.policy!.seats.grant.users.filter((l) => !['m0', 'm1', 'm2'].includes(l)) } } } };
    const plan = planWithSafeguard(later, { planId: 'held-1', confirmedBy: 'owner', userIds: confirmedIds });
    expect(plan.safeguard).toMatchObject({ status: 'confirmed', confirmedPlanId: 'held-1', confirmedBy: 'owner', cancellations: 18 });
    expect(plan.toCancel.map((e) => e.login).sort()).toEqual(Array.from({ length: 15 }, (_, i) => `m${85 + i}`).sort());
    expect(plan.safeguard!.held.map((e) => e.login)).toEqual(['m0', 'm1', 'm2']);
  });

  it('does not apply in report mode or without a policy', () => {
    expect(planWithSafeguard(input({ members: 100, grant: 0, policy: { mode: 'report' } })).safeguard).toBeUndefined();
    expect(planWithSafeguard({ ...input({ members: 10, grant: 0 }), policy: null }).safeguard).toBeUndefined();
  });
});
