import { describe, expect, it } from 'vitest';
import type { CopilotSeat, OrgSnapshot, Plan, SeatOverride, SeatWarning } from '../../src/domain/plan-types.js';
import { planReconciliation } from '../../src/domain/planner/plan-reconciliation.js';
import { approvalRoom } from '../../src/domain/requests/approval-room.js';
import type { PlannerInput } from '../../src/domain/planner/plan-reconciliation.js';
import { expandTeamMembers, indexTeams, isMemberOfTeams } from '../../src/domain/planner/team-members.js';
import { policySchema } from '../../src/domain/policy/policy-schema.js';
import type { Policy, PolicyInput } from '../../src/domain/policy/policy-schema.js';

const NOW = '2025-06-30T12:00:00.000Z';
const DAY = 86_400_000;

function daysAgo(days: number): string {
  return new Date(Date.parse(NOW) - days * DAY).toISOString();
}

let nextId = 1000;
function seat(login: string, fields: Partial<CopilotSeat> = {}): CopilotSeat {
  return {
    assigneeLogin: login,
    assigneeId: nextId++,
    assigningTeamSlug: null,
    createdAt: daysAgo(100),
    lastActivityAt: daysAgo(1),
    lastActivityEditor: 'vscode/1.100.0',
    lastAuthenticatedAt: daysAgo(1),
    pendingCancellationDate: null,
    planType: 'business',
    ...fields,
  };
}

interface OrgSpec {
  members: string[];
  teams?: Record<string, { parent?: string; members?: string[] }>;
  seats?: CopilotSeat[];
  setting?: OrgSnapshot['billing']['seatManagementSetting'];
}

function org(spec: OrgSpec): OrgSnapshot {
  const teams = Object.entries(spec.teams ?? {});
  // People are matched by user id: a seat of a member carries the member's id, unless the test set
  // one itself (the ids seat() makes up start at 1000).
  const memberId = (seat: CopilotSeat) =>
    seat.assigneeId < 1000 ? 0 : spec.members.findIndex((m) => m.toLowerCase() === seat.assigneeLogin.toLowerCase()) + 1;
  return {
    org: 'acme',
    members: spec.members.map((login, i) => ({ login, id: i + 1, role: 'member' as const })),
    teams: teams.map(([slug, t], i) => ({ slug, id: 500 + i, parentSlug: t.parent ?? null })),
    teamMemberships: Object.fromEntries(teams.map(([slug, t]) => [slug, t.members ?? []])),
    seats: (spec.seats ?? []).map((s) => (memberId(s) > 0 ? { ...s, assigneeId: memberId(s) } : s)),
    billing: { seatManagementSetting: spec.setting ?? 'assign_selected' },
  };
}

function policy(input: Omit<PolicyInput, 'version'>): Policy {
  return policySchema.parse({ version: 1, mode: 'enforce', ...input });
}

function override(login: string, kind: 'grant' | 'revoke', fields: Partial<SeatOverride> = {}): SeatOverride {
  return { id: `o-${login}-${kind}`, login, userId: null, kind, actor: 'admin', reason: 'asked', expiresAt: null, createdAt: daysAgo(3), ...fields };
}

/** A member list read whole from GitHub a day before the plan. */
const COMPLETE = { complete: true, asOf: daysAgo(1) } as const;

function plan(p: Policy | null, snapshot: OrgSnapshot, overrides: SeatOverride[] = []): Plan {
  return planReconciliation({ policy: p, snapshot, overrides, now: NOW, membership: COMPLETE });
}

const logins = (entries: { login: string }[]) => entries.map((e) => e.login);
const codes = (entries: { reason: { code: string } }[]) => entries.map((e) => e.reason.code);

describe('team expansion', () => {
  const snapshot = org({
    members: ['a', 'b', 'c', 'd', 'e'],
    teams: {
      eng: { members: ['a'] },
      backend: { parent: 'eng', members: ['b'] },
      db: { parent: 'backend', members: ['c'] },
      sales: { members: ['d'] },
      'sales-emea': { parent: 'Sales', members: ['E'] },
    },
  });

  it.each([
    { slugs: ['eng'], expected: ['a', 'b', 'c'] },
    { slugs: ['backend'], expected: ['b', 'c'] },
    { slugs: ['db'], expected: ['c'] },
    { slugs: ['SALES'], expected: ['d', 'e'] },
    { slugs: ['nope'], expected: [] },
    { slugs: ['db', 'eng'], expected: ['a', 'b', 'c'] },
  ])('expands $slugs to members of every descendant', ({ slugs, expected }) => {
    expect([...expandTeamMembers(indexTeams(snapshot), slugs).keys()].sort()).toEqual(expected);
  });

  it('names the first policy team that includes the member', () => {
    const map = expandTeamMembers(indexTeams(snapshot), ['db', 'eng']);
    expect(map.get('c')).toBe('db');
    expect(map.get('a')).toBe('eng');
  });

  it('survives a parent cycle in a corrupted mirror', () => {
    const cyclic = org({ members: ['a', 'b'], teams: { x: { parent: 'y', members: ['a'] }, y: { parent: 'x', members: ['b'] } } });
    expect([...expandTeamMembers(indexTeams(cyclic), ['x']).keys()].sort()).toEqual(['a', 'b']);
  });

  it('answers membership checks case-insensitively (commands.teams)', () => {
    expect(isMemberOfTeams(snapshot, ['eng'], 'C')).toBe(true);
    expect(isMemberOfTeams(snapshot, ['backend'], 'a')).toBe(false);
  });
});

describe('grant and deny', () => {
  const snapshot = org({
    members: ['alice', 'bob', 'carol', 'dave', 'eve', 'Mallory'],
    teams: {
      engineering: { members: ['alice'] },
      backend: { parent: 'engineering', members: ['bob'] },
      storage: { parent: 'backend', members: ['carol', 'mallory'] },
      contractors: { members: ['dave'] },
    },
    seats: [seat('eve')],
  });

  it('adds members of grant teams at any depth and grant users, and cancels seats not granted', () => {
    const p = plan(policy({ seats: { grant: { teams: ['engineering'], users: ['dave'] } } }), snapshot);
    expect(logins(p.toAdd)).toEqual(['alice', 'bob', 'carol', 'dave', 'Mallory']);
    expect(p.toAdd.map((e) => e.reason.text)).toEqual([
      'granted by team engineering',
      'granted by team engineering',
      'granted by team engineering',
      'granted by user list',
      'granted by team engineering',
    ]);
    expect(p.toCancel).toEqual([{ login: 'eve', userId: expect.any(Number), reason: { code: 'not_granted', text: 'not granted by policy' } }]);
  });

  it.each([
    { deny: { users: ['MALLORY'] }, code: 'denied_by_user_list', text: 'denied by user list' },
    { deny: { teams: ['storage'] }, code: 'denied_by_team', text: 'denied by team storage' },
    { deny: { teams: ['backend'] }, code: 'denied_by_team', text: 'denied by team backend' },
  ])('deny beats grant ($code, $text)', ({ deny, code, text }) => {
    const p = plan(policy({ seats: { grant: { teams: ['engineering'] }, deny } }), snapshot);
    expect(logins(p.toAdd)).not.toContain('Mallory');
    const entry = p.notAdded.find((e) => e.login === 'Mallory');
    expect(entry?.reason).toMatchObject({ code, text });
  });

  it('deny beats a grant override', () => {
    const p = plan(policy({ seats: { grant: {}, deny: { users: ['bob'] } } }), snapshot, [override('bob', 'grant')]);
    expect(p.toAdd).toEqual([]);
    expect(p.notAdded[0]?.reason.code).toBe('denied_by_user_list');
  });

  it('cancels a denied per-user seat with the deny reason', () => {
    const s = org({ members: ['eve'], teams: { contractors: { members: ['eve'] } }, seats: [seat('eve')] });
    const p = plan(policy({ seats: { grant: { users: ['eve'] }, deny: { teams: ['contractors'] } } }), s);
    expect(p.toCancel.map((e) => e.reason.text)).toEqual(['denied by team contractors']);
  });

  it('never adds non-members and reports those named in grant users', () => {
    const p = plan(policy({ seats: { grant: { users: ['ghost', 'alice'] } } }), snapshot);
    expect(logins(p.toAdd)).toEqual(['alice']);
    expect(p.notAdded).toEqual([{ login: 'ghost', userId: null, reason: { code: 'not_org_member', text: 'not an org member' } }]);
  });

  it('cancels a seat held by someone who left the org', () => {
    const s = org({ members: [], seats: [seat('gone')] });
    const p = plan(policy({ seats: { grant: { users: ['gone'] } } }), s);
    expect(p.membership).toEqual(COMPLETE);
    expect(codes(p.toCancel)).toEqual(['not_org_member']);
  });

  it('keeps seats of wanted holders untouched', () => {
    const s = org({ members: ['alice'], seats: [seat('alice')] });
    const p = plan(policy({ seats: { grant: { users: ['alice'] } } }), s);
    expect([p.toAdd, p.toCancel, p.leftAlone, p.notAdded]).toEqual([[], [], [], []]);
    expect(p.seats.after.total).toBe(1);
  });

  it('warns about team slugs the organization does not have', () => {
    const p = plan(policy({ seats: { grant: { teams: ['enginering'] } } }), snapshot);
    expect(p.warnings).toEqual([
      { code: 'unknown_team', path: 'seats.grant.teams', name: 'enginering', text: expect.stringContaining('"enginering"') },
    ]);
  });
});

describe('member lists that cannot prove someone left', () => {
  const snapshot = org({ members: ['alice'], seats: [seat('alice'), seat('gone'), seat('also-gone'), seat('nobody')] });
  const p = policy({ seats: { grant: { users: ['alice', 'gone'] } } });
  const planWith = (membership: { complete: boolean; asOf: string | null }, unconfirmedLeavers?: number[]) =>
    planReconciliation({ policy: p, snapshot, overrides: [], now: NOW, membership, unconfirmedLeavers });
  const idOf = (login: string) => snapshot.seats.find((s) => s.assigneeLogin === login)!.assigneeId;

  it.each([
    { name: 'complete list', membership: COMPLETE, unconfirmed: [] as string[], cancelled: ['also-gone', 'gone', 'nobody'], unproven: [] as string[] },
    { name: 'never fully synced', membership: { complete: false, asOf: null }, unconfirmed: [], cancelled: [], unproven: ['also-gone', 'gone', 'nobody'] },
    { name: 'incomplete but once synced', membership: { complete: false, asOf: daysAgo(3) }, unconfirmed: [], cancelled: [], unproven: ['also-gone', 'gone', 'nobody'] },
    { name: 'complete, one departure GitHub could not confirm', membership: COMPLETE, unconfirmed: ['gone'], cancelled: ['also-gone', 'nobody'], unproven: ['gone'] },
  ])('$name', ({ membership, unconfirmed, cancelled, unproven }) => {
    const result = planWith(membership, unconfirmed.map(idOf));
    expect(result.membership).toEqual(membership);
    expect(logins(result.toCancel)).toEqual(cancelled);
    expect(codes(result.toCancel).every((c) => c === 'not_org_member')).toBe(true);
    const left = result.leftAlone.filter((e) => e.reason.code === 'membership_unconfirmed');
    expect(logins(left)).toEqual(unproven);
    // Kept seats are held after the plan; members are still planned normally.
    expect(result.seats.after.total).toBe(4 - cancelled.length);
    expect(logins(result.toAdd)).toEqual([]);
  });

  it('says why a seat is left alone', () => {
    expect(planWith({ complete: false, asOf: null }).leftAlone[0]!.reason).toEqual({
      code: 'membership_unconfirmed',
      because: 'incomplete_member_list',
      text: 'not in the member list, which is incomplete (no full sync of members has completed): not cancelled',
    });
    expect(planWith(COMPLETE, [idOf('also-gone')]).leftAlone[0]!.reason).toMatchObject({ code: 'membership_unconfirmed', because: 'lookup_failed' });
  });

  it('still cancels members for the policy with an incomplete list', () => {
    const s = org({ members: ['alice', 'bob'], seats: [seat('bob')] });
    const result = planReconciliation({ policy: p, snapshot: s, overrides: [], now: NOW, membership: { complete: false, asOf: null } });
    expect(codes(result.toCancel)).toEqual(['not_granted']);
  });
});

describe('case-insensitive logins', () => {
  it('matches policy, team, seat and override logins whatever their case, showing GitHub spelling', () => {
    const s = org({
      members: ['OctoCat', 'Hubot', 'MonaLisa'],
      teams: { Eng: { members: ['hubot'] } },
      seats: [seat('octocat'), seat('MONALISA')],
    });
    const p = plan(policy({ seats: { grant: { teams: ['eng'], users: ['OCTOCAT'] } } }), s, [override('monalisa', 'revoke')]);
    expect(logins(p.toAdd)).toEqual(['Hubot']);
    expect(p.toCancel.map((e) => [e.login, e.reason.code])).toEqual([['MONALISA', 'revoked_by_override']]);
  });
});

describe('overrides', () => {
  const s = org({ members: ['alice', 'bob'], seats: [seat('alice')] });
  const p0 = policy({ seats: { grant: { users: ['alice'] } } });

  it.each([
    { name: 'grant adds someone no rule names', o: [override('bob', 'grant', { expiresAt: '2025-07-31T00:00:00.000Z' })], add: ['bob'], cancel: [] },
    { name: 'revoke cancels a granted seat', o: [override('alice', 'revoke')], add: [], cancel: ['alice'] },
    { name: 'an expired grant is ignored', o: [override('bob', 'grant', { expiresAt: daysAgo(1) })], add: [], cancel: [] },
    { name: 'a grant expiring exactly now is ignored', o: [override('bob', 'grant', { expiresAt: NOW })], add: [], cancel: [] },
    { name: 'an expired revoke is ignored', o: [override('alice', 'revoke', { expiresAt: daysAgo(1) })], add: [], cancel: [] },
    {
      name: 'the most recent override wins',
      o: [override('alice', 'revoke', { id: 'a', createdAt: daysAgo(5) }), override('alice', 'grant', { id: 'b', createdAt: daysAgo(2) })],
      add: [],
      cancel: [],
    },
  ])('$name', ({ o, add, cancel }) => {
    const p = plan(p0, s, o);
    expect(logins(p.toAdd)).toEqual(add);
    expect(logins(p.toCancel)).toEqual(cancel);
  });

  it('says who revoked and until when', () => {
    const p = plan(p0, s, [override('alice', 'revoke', { actor: 'root', expiresAt: '2025-08-01T00:00:00.000Z', id: 'x1' })]);
    expect(p.toCancel[0]?.reason).toEqual({
      code: 'revoked_by_override',
      overrideId: 'x1',
      actor: 'root',
      expiresAt: '2025-08-01T00:00:00.000Z',
      text: 'revoked by override by @root until 2025-08-01',
    });
  });

  it('reports a grant override for a non-member as not added', () => {
    const p = plan(p0, s, [override('stranger', 'grant')]);
    expect(p.notAdded.map((e) => [e.login, e.reason.code])).toEqual([['stranger', 'not_org_member']]);
  });
});

describe('inactivity', () => {
  const rule = (extra: Partial<NonNullable<PolicyInput['inactivity']>> = {}) =>
    policy({
      seats: { grant: { teams: ['eng'], users: ['solo'] } },
      inactivity: { revoke_after_days: 60, ...extra },
    });
  const teams = { eng: { members: ['a', 'solo'] }, leads: { members: [] as string[] }, vip: { parent: 'leads', members: ['a'] } };

  it.each([
    { name: 'exactly N days is kept', s: { lastActivityAt: daysAgo(60) }, cancelled: false, days: 60 },
    { name: 'N days and 23 hours is kept (whole days, rounded down)', s: { lastActivityAt: daysAgo(60.99) }, cancelled: false, days: 60 },
    { name: 'N+1 days is cancelled', s: { lastActivityAt: daysAgo(61) }, cancelled: true, days: 61 },
    { name: 'never used counts from created_at (kept)', s: { lastActivityAt: null, createdAt: daysAgo(60) }, cancelled: false, days: 60 },
    { name: 'never used counts from created_at (cancelled)', s: { lastActivityAt: null, createdAt: daysAgo(75) }, cancelled: true, days: 75 },
    { name: 'old seat used recently is kept', s: { lastActivityAt: daysAgo(2), createdAt: daysAgo(900) }, cancelled: false, days: 2 },
  ])('$name', ({ s, cancelled, days }) => {
    const p = plan(rule(), org({ members: ['a', 'solo'], teams, seats: [seat('solo', s)] }));
    expect(p.toCancel.length).toBe(cancelled ? 1 : 0);
    if (cancelled) {
      expect(p.toCancel[0]?.reason).toMatchObject({ code: 'inactive', days, revokeAfterDays: 60 });
      expect(p.overridesToRecord).toEqual([{ login: 'solo', userId: 2, kind: 'revoke', reason: `inactive ${days} days`, expiresAt: null }]);
    } else {
      expect(p.overridesToRecord).toEqual([]);
    }
  });

  it.each([
    { name: 'exempt user', extra: { exempt: { users: ['A'] } } },
    { name: 'exempt team', extra: { exempt: { teams: ['vip'] } } },
    { name: 'exempt parent team (child team member)', extra: { exempt: { teams: ['leads'] } } },
  ])('does not cancel an inactive seat of an $name', ({ extra }) => {
    const p = plan(rule(extra), org({ members: ['a', 'solo'], teams, seats: [seat('a', { lastActivityAt: daysAgo(200) })] }));
    expect(p.toCancel).toEqual([]);
    expect(p.violations).toEqual([]);
  });

  it('does not cancel an inactive seat held through a grant override', () => {
    const s = org({ members: ['x'], seats: [seat('x', { lastActivityAt: daysAgo(200) })] });
    const p = plan(rule(), s, [override('x', 'grant')]);
    expect(p.toCancel).toEqual([]);
  });

  it('cancels an unwanted inactive seat as not granted, without recording an override', () => {
    const s = org({ members: ['x'], seats: [seat('x', { lastActivityAt: daysAgo(200) })] });
    const p = plan(rule(), s);
    expect(codes(p.toCancel)).toEqual(['not_granted']);
    expect(p.overridesToRecord).toEqual([]);
  });

  it('leaves a cancelled-for-inactivity person out once the override is recorded', () => {
    const s = org({ members: ['a', 'solo'], teams, seats: [] });
    const recorded = override('solo', 'revoke', { actor: 'ceos', reason: 'inactive 75 days' });
    const p = plan(rule(), s, [recorded]);
    expect(logins(p.toAdd)).toEqual(['a']);
  });
});

describe('seats assigned through a team', () => {
  const s = org({
    members: ['a', 'b', 'c', 'd'],
    teams: { eng: { members: ['a', 'c', 'd'] }, contractors: { members: ['c'] } },
    seats: [
      seat('a', { assigningTeamSlug: 'eng' }),
      seat('b', { assigningTeamSlug: 'sales' }),
      seat('c', { assigningTeamSlug: 'eng' }),
      seat('d', { assigningTeamSlug: 'eng', lastActivityAt: daysAgo(90) }),
    ],
  });
  const p = plan(policy({ seats: { grant: { teams: ['eng'] }, deny: { teams: ['contractors'] } }, inactivity: { revoke_after_days: 30 } }), s);

  it('are never cancelled per user', () => {
    expect(p.toCancel).toEqual([]);
  });

  it('are left alone with the team named, when the policy would change them', () => {
    expect(p.leftAlone.map((e) => [e.login, e.reason.text])).toEqual([
      ['b', 'assigned via team sales (not granted by policy)'],
      ['c', 'assigned via team eng (denied by team contractors)'],
      ['d', 'assigned via team eng (inactive 90 days, limit 30)'],
    ]);
  });

  it('are reported as violations', () => {
    expect(p.violations.map((v) => [v.code, v.login, v.team, v.text])).toEqual([
      ['team_assigned_outside_policy', 'b', 'sales', '@b holds a seat outside the policy (not granted by policy), assigned via team sales'],
      ['denied_team_assigned', 'c', 'eng', '@c is denied, but assigned via team eng'],
      ['inactive_not_cancelled', 'd', 'eng', '@d is inactive 90 days, limit 30, but the seat is assigned via team eng'],
    ]);
    expect(p.overridesToRecord).toEqual([]);
  });

  it('count as held seats', () => {
    expect(p.seats.after).toEqual({ total: 4, perUser: 0, viaTeam: 4, pendingCancellation: 0 });
  });
});

describe('seats pending cancellation', () => {
  const pending = { pendingCancellationDate: '2025-07-01' };
  const p0 = policy({ seats: { grant: { users: ['wanted', 'idle'] } }, inactivity: { revoke_after_days: 30 } });
  const s = org({
    members: ['wanted', 'idle', 'unwanted'],
    seats: [seat('wanted', pending), seat('idle', { ...pending, lastActivityAt: daysAgo(45) }), seat('unwanted', pending)],
  });
  const p = plan(p0, s);

  it('are re-added when the holder is wanted', () => {
    expect(p.toAdd).toEqual([
      {
        login: 'wanted',
        userId: expect.any(Number),
        reason: { code: 'readded_pending_cancellation', grantedBy: { code: 'granted_by_user_list', text: 'granted by user list' }, text: 'pending cancellation, re-added: granted by user list' },
      },
    ]);
  });

  it('are left alone when inactivity would cancel them again, so plans never flap', () => {
    expect(p.leftAlone.map((e) => [e.login, e.reason.text])).toEqual([
      ['idle', 'pending cancellation, inactive 45 days'],
      ['unwanted', 'pending cancellation'],
    ]);
    expect(p.overridesToRecord.map((o) => o.login)).toEqual(['idle']);
  });

  it('are never cancelled again', () => {
    expect(p.toCancel).toEqual([]);
  });

  it('do not count as held after the plan unless re-added', () => {
    expect(p.seats.before.pendingCancellation).toBe(3);
    expect(p.seats.after.total).toBe(1);
  });

  it('plan the same once the re-added seat is held again', () => {
    const next = org({ members: ['wanted', 'idle', 'unwanted'], seats: [seat('wanted'), seat('idle', { ...pending, lastActivityAt: daysAgo(45) })] });
    const again = plan(p0, next, [override('idle', 'revoke', { actor: 'ceos' })]);
    expect([again.toAdd, again.toCancel]).toEqual([[], []]);
  });
});

describe('seat cap', () => {
  const members = ['zed', 'Amy', 'bob', 'cat', 'dan', 'eve'];
  const cases = [
    { name: 'room for all', max: 10, held: ['zed'], add: ['Amy', 'bob', 'cat', 'dan', 'eve'], over: [], status: 'within' },
    { name: 'holders first, then login order', max: 3, held: ['zed'], add: ['Amy', 'bob'], over: ['cat', 'dan', 'eve'], status: 'reached' },
    { name: 'team-assigned seats count', max: 3, held: ['zed'], team: ['eve'], add: ['Amy'], over: ['bob', 'cat', 'dan'], status: 'reached' },
    { name: 'holders above the cap are kept and reported', max: 1, held: ['zed', 'eve'], add: [], over: ['Amy', 'bob', 'cat', 'dan'], status: 'over' },
  ];

  it.each(cases)('$name', ({ max, held, team = [], add, over, status }) => {
    const s = org({
      members,
      teams: { all: { members } },
      seats: [...held.map((l) => seat(l)), ...team.map((l) => seat(l, { assigningTeamSlug: 'all' }))],
    });
    const p = plan(policy({ seats: { grant: { teams: ['all'] }, max } }), s);
    expect(logins(p.toAdd)).toEqual(add);
    expect(p.toCancel).toEqual([]);
    expect(p.notAdded.filter((e) => e.reason.code === 'over_cap').map((e) => e.login)).toEqual(over);
    expect(p.cap.status).toBe(status);
    expect(p.cap.notAddedCount).toBe(over.length);
    expect(p.violations.some((v) => v.code === 'over_cap')).toBe(status === 'over');
  });

  it('has no verdict without a cap', () => {
    const p = plan(policy({ seats: { grant: { users: ['a'] } } }), org({ members: ['a'] }));
    expect(p.cap).toEqual({ max: null, seatsAfter: 1, status: 'none', notAddedCount: 0 });
  });
});

describe('budget', () => {
  const s = org({
    members: ['a', 'b', 'c', 'd'],
    seats: [seat('a', { planType: 'enterprise' }), seat('b', { planType: 'enterprise' }), seat('c', { planType: 'business' }), seat('x', { planType: 'unknown' })],
  });

  it('prices each seat by its plan, unknown and new seats by the predominant plan', () => {
    const p = plan(policy({ seats: { grant: { users: ['a', 'b', 'c', 'd'] } }, budget: { monthly_limit_usd: 150 } }), s);
    // before: 39 + 39 + 19 + 39 (unknown -> enterprise); after: x cancelled, d added at 39.
    expect(p.cost).toEqual({ beforeUsd: 136, afterUsd: 136 });
    expect(p.budget).toEqual({ monthlyLimitUsd: 150, costBeforeUsd: 136, costAfterUsd: 136, status: 'within', overByUsd: 0 });
  });

  it('uses seat_price_usd for every seat when set, and reports an overrun', () => {
    const p = plan(policy({ seats: { grant: { users: ['a', 'b', 'c', 'd'] } }, budget: { seat_price_usd: 20.5, monthly_limit_usd: 60 } }), s);
    expect(p.cost).toEqual({ beforeUsd: 82, afterUsd: 82 });
    expect(p.budget.status).toBe('over');
    expect(p.budget.overByUsd).toBe(22);
    expect(p.violations[0]).toMatchObject({ code: 'over_budget', login: null });
  });

  it('defaults new seats to business when the org has no seats', () => {
    const p = plan(policy({ seats: { grant: { users: ['a'] } } }), org({ members: ['a'] }));
    expect(p.cost).toEqual({ beforeUsd: 0, afterUsd: 19 });
    expect(p.budget.status).toBe('none');
  });
});

describe('modes and blocked plans', () => {
  const s = org({ members: ['a', 'b'], seats: [seat('b'), seat('c', { lastActivityAt: daysAgo(200) })] });

  it('report mode computes the same changes, says so, and reports what remains held outside policy', () => {
    const enforce = plan(policy({ seats: { grant: { users: ['a', 'c'] } } }), s);
    const report = plan(policy({ mode: 'report', seats: { grant: { users: ['a', 'c'] } } }), s);
    expect(report.mode).toBe('report');
    expect(enforce.mode).toBe('enforce');
    expect(report.toAdd).toEqual(enforce.toAdd);
    expect(report.toCancel).toEqual(enforce.toCancel);
    expect(enforce.violations).toEqual([]);
    expect(report.violations.map((v) => [v.code, v.login])).toEqual([
      ['held_outside_policy', 'b'],
      ['held_outside_policy', 'c'],
    ]);
  });

  it('report mode reports inactive seats it does not cancel', () => {
    const snap = org({ members: ['c'], seats: [seat('c', { lastActivityAt: daysAgo(200) })] });
    const report = plan(policy({ mode: 'report', seats: { grant: { users: ['c'] } }, inactivity: { revoke_after_days: 30 } }), snap);
    expect(report.violations.map((v) => v.code)).toEqual(['inactive_not_cancelled']);
  });

  it('report is the default mode', () => {
    expect(policySchema.parse({ version: 1, seats: { grant: {} } }).mode).toBe('report');
  });

  it.each(['assign_all', 'disabled', 'unconfigured'] as const)('is blocked with seat management "%s"', (setting) => {
    const p = plan(policy({ seats: { grant: { users: ['a'] } } }), org({ members: ['a', 'b'], seats: [seat('b')], setting }));
    expect(p.status).toBe('blocked');
    expect(p.blocked).toMatchObject({ code: 'seat_management_not_selected', seatManagementSetting: setting });
    expect(p.blocked?.reason).toContain(setting);
    expect([p.toAdd, p.toCancel, p.leftAlone, p.notAdded, p.violations]).toEqual([[], [], [], [], []]);
    expect(p.seats.before.total).toBe(1);
  });

  it('plans normally with seat management "assign_selected"', () => {
    const p = plan(policy({ seats: { grant: { users: ['a'] } } }), org({ members: ['a'], setting: 'assign_selected' }));
    expect(p.status).toBe('ok');
    expect(p.blocked).toBeNull();
  });

  it('changes nothing without a policy', () => {
    const p = plan(null, s);
    expect(p.status).toBe('no_policy');
    expect(p.mode).toBe('report');
    expect([p.toAdd, p.toCancel, p.leftAlone, p.notAdded]).toEqual([[], [], [], []]);
    expect(p.cost.beforeUsd).toBe(38);
  });
});

describe('determinism', () => {
  function shuffled<T>(items: readonly T[], seed: number): T[] {
    const out = [...items];
    let state = seed;
    for (let i = out.length - 1; i > 0; i--) {
      state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
      const j = state % (i + 1);
      [out[i], out[j]] = [out[j] as T, out[i] as T];
    }
    return out;
  }

  it('gives the identical plan for shuffled input', () => {
    const members = Array.from({ length: 60 }, (_, i) => `user-${(i * 37) % 60}`);
    const seats = members.filter((_, i) => i % 2 === 0).map((l, i) => seat(l, {
      assigneeId: i,
      lastActivityAt: i % 5 === 0 ? daysAgo(100) : daysAgo(1),
      assigningTeamSlug: i % 7 === 0 ? 'eng' : null,
      pendingCancellationDate: i % 11 === 0 ? '2025-07-01' : null,
    }));
    const base: PlannerInput = {
      policy: policy({
        seats: { grant: { teams: ['eng'], users: ['user-1', 'ghost'] }, deny: { teams: ['ops'] }, max: 40 },
        inactivity: { revoke_after_days: 30 },
      }),
      snapshot: org({
        members,
        teams: { eng: { members: members.slice(0, 40) }, ops: { parent: 'eng', members: members.slice(10, 15) } },
        seats,
      }),
      overrides: [override('user-3', 'revoke'), override('user-50', 'grant')],
      now: NOW,
      membership: COMPLETE,
    };
    const first = planReconciliation(base);
    for (const seed of [1, 2, 3]) {
      const again = planReconciliation({
        ...base,
        snapshot: { ...base.snapshot, members: shuffled(base.snapshot.members, seed), seats: shuffled(base.snapshot.seats, seed), teams: shuffled(base.snapshot.teams, seed) },
        overrides: shuffled(base.overrides, seed),
      });
      expect(JSON.stringify(again)).toBe(JSON.stringify(first));
    }
    expect(first.toAdd.length + first.toCancel.length).toBeGreaterThan(0);
    const sorted = [...first.toAdd].sort((a, b) => (a.login.toLowerCase() < b.login.toLowerCase() ? -1 : 1));
    expect(first.toAdd).toEqual(sorted);
  });

  it('does not mutate its input', () => {
    const snapshot = org({ members: ['b', 'a'], seats: [seat('b'), seat('a')] });
    const copy = structuredClone(snapshot);
    plan(policy({ seats: { grant: { users: ['a'] } } }), snapshot);
    expect(snapshot).toEqual(copy);
  });
});

describe('identity by user id', () => {
  // alice (id 1) renamed to alice-new: the seat list already says so, the mirror's members not yet.
  const renamed = () =>
    org({
      members: ['alice', 'bob'],
      teams: { eng: { members: ['alice'] }, contractors: { members: [] } },
      seats: [seat('alice-new', { assigneeId: 1 }), seat('bob')],
    });
  const none = { toAdd: [] as string[], toCancel: [] as string[] };

  it.each([
    { name: 'granted through a team (members know the old login)', seats: { grant: { teams: ['eng'], users: ['bob'] } }, expected: none },
    { name: 'granted by the old login in seats.grant.users', seats: { grant: { users: ['alice', 'bob'] } }, expected: none },
    { name: 'granted by the new login in seats.grant.users', seats: { grant: { users: ['Alice-New', 'bob'] } }, expected: none },
    { name: 'denied by the old login', seats: { grant: { teams: ['eng'], users: ['bob'] }, deny: { users: ['alice'] } }, expected: { toAdd: [], toCancel: ['alice-new'] } },
    { name: 'denied by the new login', seats: { grant: { teams: ['eng'], users: ['bob'] }, deny: { users: ['alice-new'] } }, expected: { toAdd: [], toCancel: ['alice-new'] } },
    { name: 'not granted at all', seats: { grant: { users: ['bob'] } }, expected: { toAdd: [], toCancel: ['alice-new'] } },
  ])('a renamed seat holder: $name', ({ seats, expected }) => {
    const p = plan(policy({ seats }), renamed());
    expect({ toAdd: logins(p.toAdd), toCancel: logins(p.toCancel) }).toEqual(expected);
    // The seat list's login is the one shown, with the id that matched it.
    for (const entry of p.toCancel) expect(entry).toMatchObject({ login: 'alice-new', userId: 1 });
  });

  it.each([
    { name: 'an override with the id, recorded under the old login', o: override('alice', 'revoke', { userId: 1 }), cancelled: ['alice-new'] },
    { name: 'an override without an id, under the new login', o: override('alice-new', 'revoke'), cancelled: ['alice-new'] },
    { name: 'an override without an id, under the old login', o: override('alice', 'revoke'), cancelled: ['alice-new'] },
    { name: 'an override whose id is someone else, under the same login', o: override('alice-new', 'revoke', { userId: 99 }), cancelled: [] },
  ])('overrides follow the person: $name', ({ o, cancelled }) => {
    const p = plan(policy({ seats: { grant: { teams: ['eng'], users: ['bob'] } } }), renamed(), [o]);
    expect(logins(p.toCancel)).toEqual(cancelled);
  });

  it('a grant override with the id of a member who holds no seat adds them under their member login', () => {
    const s = org({ members: ['alice', 'carol'], seats: [seat('alice')] });
    const p = plan(policy({ seats: { grant: { users: ['alice'] } } }), s, [override('carol-old', 'grant', { userId: 2 })]);
    expect(p.toAdd).toEqual([expect.objectContaining({ login: 'carol', userId: 2, reason: expect.objectContaining({ code: 'granted_by_override' }) })]);
  });

  it('a login someone else now uses does not take over the renamed user', () => {
    // bob (id 2) renamed to robert; a new account took the login "bob" and holds a seat (id 77).
    const s = org({ members: ['alice', 'bob'], seats: [seat('robert', { assigneeId: 2 }), seat('bob', { assigneeId: 77 })] });
    const p = plan(policy({ seats: { grant: { users: ['robert'] } } }), s);
    // The seat list is the fresher view: "bob" is id 77, who is not a member; robert keeps his seat.
    expect(p.toCancel.map((e) => [e.login, e.userId, e.reason.code])).toEqual([['bob', 77, 'not_org_member']]);
    expect(p.toAdd).toEqual([]);
  });

  it('policy logins that match nobody are reported as not added, once each', () => {
    const p = plan(policy({ seats: { grant: { users: ['ghost', 'GHOST', 'alice'] } } }), org({ members: ['alice'] }), [override('ghost', 'grant'), override('wraith', 'grant')]);
    expect(p.notAdded.map((e) => [e.login, e.userId, e.reason.code])).toEqual([
      ['ghost', null, 'not_org_member'],
      ['wraith', null, 'not_org_member'],
    ]);
    expect(logins(p.toAdd)).toEqual(['alice']);
  });
});

describe('warnings before an inactivity cancellation (inactivity.warn_before_days)', () => {
  // revoke_after_days 60, warn_before_days 14: seats unused for more than 46 days are warned.
  const rule = (extra: Partial<NonNullable<PolicyInput['inactivity']>> = {}, mode: 'enforce' | 'report' = 'enforce') =>
    policy({ mode, seats: { grant: { users: ['solo', 'boss'] } }, inactivity: { revoke_after_days: 60, warn_before_days: 14, ...extra } });
  const dayOf = (iso: string) => iso.slice(0, 10);
  const inDays = (days: number) => dayOf(new Date(Date.parse(NOW) + days * DAY).toISOString());
  const warned = (login: string, userId: number, warnedDaysAgo: number, inactiveSince: string, toldDaysAgo: number | null = warnedDaysAgo): SeatWarning => ({
    login,
    userId,
    warnedAt: daysAgo(warnedDaysAgo),
    toldAt: toldDaysAgo === null ? null : daysAgo(toldDaysAgo),
    inactiveSince,
  });
  const planWith = (p: Policy, seats: CopilotSeat[], warnings: SeatWarning[] = []) =>
    planReconciliation({ policy: p, snapshot: org({ members: ['solo', 'boss'], seats }), overrides: [], now: NOW, membership: COMPLETE, warnings });

  it.each([
    { name: 'outside the window: no warning', unused: 46, given: null, toWarn: false, warnedDue: null, outcome: 'kept' },
    { name: 'entering the window: warned now, due in 14 days', unused: 47, given: null, toWarn: true, warnedDue: inDays(14), outcome: 'kept' },
    { name: 'already warned: not warned again', unused: 50, given: 3, toWarn: false, warnedDue: inDays(11), outcome: 'kept' },
    { name: 'past the limit, never warned: warned now and left alone', unused: 61, given: null, toWarn: true, warnedDue: inDays(14), outcome: 'warned' },
    { name: 'past the limit, warned 10 days ago: left alone until due', unused: 65, given: 10, toWarn: false, warnedDue: inDays(4), outcome: 'warned' },
    { name: 'past the limit, warned exactly 14 days ago: cancelled', unused: 61, given: 14, toWarn: false, warnedDue: null, outcome: 'cancelled' },
    { name: 'past the limit, warned 20 days ago: cancelled', unused: 75, given: 20, toWarn: false, warnedDue: null, outcome: 'cancelled' },
  ])('$name', ({ unused, given, toWarn, warnedDue, outcome }) => {
    const since = daysAgo(unused);
    const p = planWith(rule(), [seat('solo', { lastActivityAt: since })], given === null ? [] : [warned('solo', 1, given, since)]);
    const w = p.inactivityWarnings!;
    expect(w.warnBeforeDays).toBe(14);
    expect(logins(w.toWarn)).toEqual(toWarn ? ['solo'] : []);
    expect(w.warned.map((e) => [e.login, e.dueOn])).toEqual(warnedDue === null ? [] : [['solo', warnedDue]]);
    if (outcome === 'cancelled') {
      expect(p.toCancel.map((e) => [e.login, e.reason.code])).toEqual([['solo', 'inactive']]);
      expect(w.toClear).toEqual([{ login: 'solo', userId: 1, because: 'cancelled' }]);
      expect(p.overridesToRecord.map((o) => o.login)).toEqual(['solo']);
    } else {
      expect(p.toCancel).toEqual([]);
      expect(p.overridesToRecord).toEqual([]);
      expect(w.toClear).toEqual([]);
    }
    if (outcome === 'warned') {
      expect(p.leftAlone).toEqual([
        {
          login: 'solo',
          userId: 1,
          reason: {
            code: 'inactivity_warned',
            days: unused,
            revokeAfterDays: 60,
            warnedAt: given === null ? null : daysAgo(given),
            dueOn: warnedDue,
            text: `warned, cancellation due on ${warnedDue} (inactive ${unused} days, limit 60)`,
          },
        },
      ]);
    } else {
      expect(p.leftAlone).toEqual([]);
    }
    // Warned seats are kept and counted as held after the plan.
    expect(p.seats.after.total - p.toAdd.length).toBe(outcome === 'cancelled' ? 0 : 1);
  });

  it('a warning its holder was never told (the comment could not be posted) never lets the seat go; the period counts from the telling', () => {
    const since = daysAgo(75);
    const untold = planWith(rule(), [seat('solo', { lastActivityAt: since })], [warned('solo', 1, 20, since, null)]);
    expect(untold.toCancel).toEqual([]);
    expect(codes(untold.leftAlone)).toEqual(['inactivity_warned']);
    expect(untold.inactivityWarnings!.warned.map((e) => e.dueOn)).toEqual([inDays(14)]);
    // Warned 20 days ago but told only 5 days ago: due 9 days from now.
    const toldLate = planWith(rule(), [seat('solo', { lastActivityAt: since })], [warned('solo', 1, 20, since, 5)]);
    expect(toldLate.toCancel).toEqual([]);
    expect(toldLate.inactivityWarnings!.warned.map((e) => e.dueOn)).toEqual([inDays(9)]);
  });

  it('a never-used seat counts from its assignment, and the due date is the later of the two rules', () => {
    // Assigned 50 days ago and never used, warned yesterday.
    const created = daysAgo(50);
    const p = planWith(rule(), [seat('solo', { lastActivityAt: null, createdAt: created })], [warned('solo', 1, 1, created)]);
    // Limit: 61 days after assignment = in 11 days; warning: 14 days after it was given = in 13 days.
    expect(p.inactivityWarnings!.warned.map((e) => e.dueOn)).toEqual([inDays(13)]);
  });

  it('using the seat after the warning ends it, and no new warning comes before a new period of inactivity', () => {
    const p = planWith(rule(), [seat('solo', { lastActivityAt: daysAgo(2) })], [warned('solo', 1, 5, daysAgo(52))]);
    expect(p.inactivityWarnings).toEqual({ warnBeforeDays: 14, toWarn: [], warned: [], toClear: [{ login: 'solo', userId: 1, because: 'activity' }] });
  });

  it.each([
    { name: 'an exempt user', extra: { exempt: { users: ['solo'] } }, seatFields: {} },
    { name: 'a team-assigned seat', extra: {}, seatFields: { assigningTeamSlug: 'eng' } },
    { name: 'a seat pending cancellation', extra: {}, seatFields: { pendingCancellationDate: dayOf(daysAgo(-3)) } },
  ])('no warning for $name, and an earlier one ends', ({ extra, seatFields }) => {
    const since = daysAgo(70);
    const p = planWith(rule(extra), [seat('solo', { lastActivityAt: since, ...seatFields })], [warned('solo', 1, 3, since)]);
    expect(p.inactivityWarnings).toEqual({ warnBeforeDays: 14, toWarn: [], warned: [], toClear: [{ login: 'solo', userId: 1, because: 'not_applicable' }] });
  });

  it('no warning for a seat held through a grant override', () => {
    const s = org({ members: ['solo'], seats: [seat('solo', { lastActivityAt: daysAgo(70) })] });
    const p = planReconciliation({ policy: rule(), snapshot: s, overrides: [override('solo', 'grant')], now: NOW, membership: COMPLETE });
    expect(p.inactivityWarnings!.toWarn).toEqual([]);
    expect(p.toCancel).toEqual([]);
  });

  it('warnings switched off: earlier warnings end and the inactivity rule cancels as before', () => {
    const since = daysAgo(61);
    const p = planWith(policy({ seats: { grant: { users: ['solo'] } }, inactivity: { revoke_after_days: 60 } }), [seat('solo', { lastActivityAt: since })], [warned('solo', 1, 2, since)]);
    expect(codes(p.toCancel)).toEqual(['inactive']);
    expect(p.inactivityWarnings).toEqual({ warnBeforeDays: null, toWarn: [], warned: [], toClear: [{ login: 'solo', userId: 1, because: 'not_applicable' }] });
  });

  it('a warned seat whose holder is no longer wanted is cancelled as not granted, and its warning ends', () => {
    const since = daysAgo(50);
    const p = planWith(policy({ mode: 'enforce', seats: { grant: { users: [] } }, inactivity: { revoke_after_days: 60, warn_before_days: 14 } }), [seat('solo', { lastActivityAt: since })], [warned('solo', 1, 2, since)]);
    expect(codes(p.toCancel)).toEqual(['not_granted']);
    expect(p.inactivityWarnings!.toClear).toEqual([{ login: 'solo', userId: 1, because: 'not_applicable' }]);
  });

  it('report mode plans the same warnings, and a warned seat is no violation', () => {
    const p = planWith(rule({}, 'report'), [seat('solo', { lastActivityAt: daysAgo(61) }), seat('boss', { lastActivityAt: daysAgo(90) })], [warned('boss', 2, 20, daysAgo(90))]);
    expect(codes(p.leftAlone)).toEqual(['inactivity_warned']);
    expect(logins(p.inactivityWarnings!.toWarn)).toEqual(['solo']);
    expect(p.toCancel.map((e) => e.login)).toEqual(['boss']);
    expect(p.violations.map((v) => [v.code, v.login])).toEqual([['inactive_not_cancelled', 'boss']]);
  });

  it('a due cancellation held by the safeguard keeps its warning', () => {
    const since = daysAgo(70);
    const p = planReconciliation({
      policy: rule(),
      snapshot: org({ members: ['solo', 'boss'], seats: [seat('solo', { lastActivityAt: since })] }),
      overrides: [],
      now: NOW,
      membership: COMPLETE,
      warnings: [warned('solo', 1, 20, since)],
      holdCancellations: [1],
    });
    expect(p.toCancel).toEqual([]);
    expect(logins(p.inactivityWarnings!.warned)).toEqual(['solo']);
    expect(p.inactivityWarnings!.toClear).toEqual([]);
  });
});

describe('approving seat requests (the cap, the budget, a blocked organization)', () => {
  const input = (setting: OrgSnapshot['billing']['seatManagementSetting'], max?: number): PlannerInput => ({
    policy: policy({ seats: { grant: { users: ['alice'] }, ...(max === undefined ? {} : { max }) } }),
    snapshot: org({ members: ['alice', 'bob'], seats: [seat('alice')], setting }),
    overrides: [],
    now: NOW,
    membership: COMPLETE,
  });

  it('approves within the cap, and refuses over it with the numbers', () => {
    expect(approvalRoom(input('assign_selected', 2), [{ login: 'bob', userId: 2 }], 'owner').ok).toBe(true);
    const over = approvalRoom(input('assign_selected', 1), [{ login: 'bob', userId: 2 }], 'owner');
    expect(over).toMatchObject({ ok: false, problem: 'over_cap' });
    expect(over.ok ? '' : over.text).toBe('the seat cap is 1 and 1 seats are held or due without this approval, so a seat more would go over it');
  });

  it('refuses while the organization is blocked, whatever the cap, since no plan can give the seat', () => {
    for (const max of [undefined, 1]) {
      const room = approvalRoom(input('unconfigured', max), [{ login: 'bob', userId: 2 }], 'owner');
      expect(room).toMatchObject({ ok: false, problem: 'blocked' });
      expect(room.ok ? '' : room.text).toMatch(/^CEOS cannot assign seats in this organization now: /);
    }
  });
});
