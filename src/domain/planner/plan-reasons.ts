import type { CancelReason, GrantReason, InactiveReason, PlanReason, SeatOverride } from '../plan-types.js';

function until(expiresAt: string | null): string {
  return expiresAt === null ? '' : ` until ${expiresAt.slice(0, 10)}`;
}

/** Builders for plan reasons, so the human text always matches the data. */
export const reasons = {
  grantedByTeam: (team: string): GrantReason => ({ code: 'granted_by_team', team, text: `granted by team ${team}` }),
  grantedByUserList: (): GrantReason => ({ code: 'granted_by_user_list', text: 'granted by user list' }),
  grantedByOverride: (o: SeatOverride): GrantReason => ({
    code: 'granted_by_override',
    overrideId: o.id,
    actor: o.actor,
    expiresAt: o.expiresAt,
    text: `granted by override by @${o.actor}${until(o.expiresAt)}`,
  }),
  readded: (grantedBy: GrantReason): PlanReason => ({
    code: 'readded_pending_cancellation',
    grantedBy,
    text: `pending cancellation, re-added: ${grantedBy.text}`,
  }),
  notGranted: (): CancelReason => ({ code: 'not_granted', text: 'not granted by policy' }),
  deniedByTeam: (team: string): CancelReason => ({ code: 'denied_by_team', team, text: `denied by team ${team}` }),
  deniedByUserList: (): CancelReason => ({ code: 'denied_by_user_list', text: 'denied by user list' }),
  revokedByOverride: (o: SeatOverride): CancelReason => ({
    code: 'revoked_by_override',
    overrideId: o.id,
    actor: o.actor,
    expiresAt: o.expiresAt,
    text: `revoked by override by @${o.actor}${until(o.expiresAt)}`,
  }),
  notOrgMember: (): CancelReason => ({ code: 'not_org_member', text: 'not an org member' }),
  inactive: (days: number, revokeAfterDays: number, neverUsed: boolean): InactiveReason => ({
    code: 'inactive',
    days,
    revokeAfterDays,
    neverUsed,
    text: `inactive ${days} days${neverUsed ? ' (never used)' : ''}, limit ${revokeAfterDays}`,
  }),
  inactivityWarned: (days: number, revokeAfterDays: number, warnedAt: string | null, dueOn: string): PlanReason => ({
    code: 'inactivity_warned',
    days,
    revokeAfterDays,
    warnedAt,
    dueOn,
    text: `warned, cancellation due on ${dueOn} (inactive ${days} days, limit ${revokeAfterDays})`,
  }),
  assignedViaTeam: (team: string, because: CancelReason | InactiveReason | null): PlanReason => ({
    code: 'assigned_via_team',
    team,
    because,
    text: `assigned via team ${team}${because === null ? '' : ` (${because.text})`}`,
  }),
  pendingCancellation: (): PlanReason => ({ code: 'pending_cancellation', text: 'pending cancellation' }),
  pendingCancellationInactive: (days: number, revokeAfterDays: number): PlanReason => ({
    code: 'pending_cancellation_inactive',
    days,
    revokeAfterDays,
    text: `pending cancellation, inactive ${days} days`,
  }),
  overCap: (max: number): PlanReason => ({ code: 'over_cap', max, text: `over cap (max ${max})` }),
  membershipUnconfirmed: (because: 'incomplete_member_list' | 'lookup_failed'): PlanReason => ({
    code: 'membership_unconfirmed',
    because,
    text:
      because === 'incomplete_member_list'
        ? 'not in the member list, which is incomplete (no full sync of members has completed): not cancelled'
        : 'not in the member list, and GitHub could not confirm they left the org: not cancelled',
  }),
};
