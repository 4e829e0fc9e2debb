import type { Kysely } from 'kysely';
import { loadSnapshot, mirrorMembership } from '../db/mirror.js';
import { listActiveOverrides, toSeatOverride } from '../db/overrides.js';
import type { Database } from '../db/schema.js';
import type { CopilotSeat, Plan } from '../domain/plan-types.js';
import { planWithSafeguard } from '../domain/planner/safeguard.js';
import type { Policy } from '../domain/policy/policy-schema.js';

const DAY_MS = 86_400_000;

/** Days without use after which the API calls a seat inactive when the policy sets no inactivity rule. */
export const DEFAULT_INACTIVE_DAYS = 30;

/** Whole days since a seat's last activity, or since it was assigned when never used (DECISIONS 2). */
export function inactiveDays(seat: CopilotSeat, now: Date): number {
  const since = seat.lastActivityAt ?? seat.createdAt;
  return Math.max(0, Math.floor((now.getTime() - Date.parse(since)) / DAY_MS));
}

/** Days after which a seat counts as inactive: the policy's `revoke_after_days`, else 30. */
export function inactivityThreshold(policy: Policy | null): number {
  return policy?.inactivity?.revoke_after_days ?? DEFAULT_INACTIVE_DAYS;
}

/** A seat as the API shows it. */
export function seatItem(seat: CopilotSeat, now: Date) {
  return {
    login: seat.assigneeLogin,
    user_id: seat.assigneeId,
    assigning_team: seat.assigningTeamSlug,
    created_at: seat.createdAt,
    last_activity_at: seat.lastActivityAt,
    last_activity_editor: seat.lastActivityEditor,
    last_authenticated_at: seat.lastAuthenticatedAt,
    pending_cancellation_date: seat.pendingCancellationDate,
    plan_type: seat.planType,
    inactive_days: inactiveDays(seat, now),
  };
}

/**
 * The plan a policy would lead to from the mirror as it is, without asking GitHub or storing
 * anything: what `POST /plans` and `POST /policy/validate` answer with.
 */
export async function dryRunPlan(db: Kysely<Database>, org: string, orgLogin: string, policy: Policy | null, now: Date): Promise<Plan> {
  const [snapshot, overrideRows, membership] = await Promise.all([loadSnapshot(db, org, orgLogin), listActiveOverrides(db, org, now), mirrorMembership(db, org)]);
  return planWithSafeguard({ policy, snapshot, overrides: overrideRows.map(toSeatOverride), now: now.toISOString(), membership });
}
