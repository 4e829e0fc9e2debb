import type { Plan, SeatOverride } from '../plan-types.js';
import { type PlannerInput } from '../planner/plan-reconciliation.js';
import { planWithSafeguard } from '../planner/safeguard.js';
import { expandTeamMembers, indexTeams } from '../planner/team-members.js';

/** Whether approving seats fits the cap and the budget, with the numbers when it does not. */
export type ApprovalRoom = { ok: true; plan: Plan } | { ok: false; problem: 'over_cap' | 'over_budget' | 'blocked'; text: string };

function usd(value: number): string {
  return `$${value.toFixed(2)}`;
}

/**
 * Plans as if a grant override were recorded for each person approved, and says whether the
 * approval keeps to `seats.max` and `budget.monthly_limit_usd`: refused when a person approved
 * would be left out for the cap, or when the monthly cost after the plan would go over the limit
 * (and above what it is without the approval), and while the organization is blocked. Pure: the
 * plan is the one the approval leads to.
 */
export function approvalRoom(input: PlannerInput, people: readonly { login: string; userId: number | null }[], actor: string): ApprovalRoom {
  const grants: SeatOverride[] = people.map((p, i) => ({
    id: `approval-${i}`,
    login: p.login,
    userId: p.userId,
    kind: 'grant',
    actor,
    reason: 'approved request',
    expiresAt: null,
    createdAt: input.now,
  }));
  const before = planWithSafeguard(input);
  // A blocked organization (seats not managed per user) gets no seat from any plan, so the cap
  // and budget cannot be checked either: an approval now would promise what CEOS cannot give.
  if (before.status === 'blocked' && before.blocked !== null) {
    return { ok: false, problem: 'blocked', text: `CEOS cannot assign seats in this organization now: ${before.blocked.reason}` };
  }
  const after = planWithSafeguard({ ...input, overrides: [...input.overrides, ...grants] });
  const asked = new Set(people.map((p) => p.login.toLowerCase()));
  const left = after.notAdded.filter((e) => e.reason.code === 'over_cap' && asked.has(e.login.toLowerCase()));
  if (left.length > 0 && after.cap.max !== null) {
    return {
      ok: false,
      problem: 'over_cap',
      text: `the seat cap is ${after.cap.max} and ${before.cap.seatsAfter} seats are held or due without this approval, so ${left.length === 1 ? 'a seat' : `${left.length} seats`} more would go over it`,
    };
  }
  if (after.budget.status === 'over' && after.budget.costAfterUsd > before.budget.costAfterUsd) {
    return {
      ok: false,
      problem: 'over_budget',
      text: `the monthly budget is ${usd(after.budget.monthlyLimitUsd ?? 0)} and the approval would bring the monthly cost from ${usd(before.budget.costAfterUsd)} to ${usd(after.budget.costAfterUsd)}, ${usd(after.budget.overByUsd)} over it`,
    };
  }
  return { ok: true, plan: after };
}

/** What a seat request meets before it is recorded. */
export type RequestVerdict =
  | { kind: 'not_member' }
  | { kind: 'denied'; text: string }
  | { kind: 'holds_seat'; text: string }
  | { kind: 'granted'; text: string }
  | { kind: 'open'; userId: number; login: string };

/**
 * Whether a person may ask for a seat: a member whom the policy does not deny, who holds no seat
 * and whom the policy does not grant one already. `plan` is the dry run of reconciling now.
 */
export function requestVerdict(input: PlannerInput, plan: Plan, login: string): RequestVerdict {
  const key = login.toLowerCase();
  const member = input.snapshot.members.find((m) => m.login.toLowerCase() === key);
  if (member === undefined) return { kind: 'not_member' };
  const policy = input.policy;
  if (policy !== null) {
    if ((policy.seats.deny?.users ?? []).some((u) => u.toLowerCase() === key)) return { kind: 'denied', text: 'the policy denies you a seat (seats.deny.users)' };
    const team = expandTeamMembers(indexTeams(input.snapshot), policy.seats.deny?.teams ?? []).get(key);
    if (team !== undefined) return { kind: 'denied', text: `the policy denies a seat to the team ${team}, and you are in it` };
  }
  const seat = input.snapshot.seats.find((s) => s.assigneeId === member.id);
  if (seat !== undefined && seat.pendingCancellationDate === null) return { kind: 'holds_seat', text: 'you already hold a Copilot seat' };
  const adding = plan.toAdd.find((e) => e.userId === member.id);
  if (adding !== undefined) return { kind: 'granted', text: `the policy already gives you a seat (${adding.reason.text}); the next reconciliation adds it` };
  return { kind: 'open', userId: member.id, login: member.login };
}

/** Whether a person is in one of these teams (child teams included), for `requests.auto_approve.teams`. */
export function autoApproveTeam(input: PlannerInput, login: string): string | null {
  const teams = input.policy?.requests?.auto_approve?.teams ?? [];
  if (teams.length === 0) return null;
  return expandTeamMembers(indexTeams(input.snapshot), teams).get(login.toLowerCase()) ?? null;
}
