import type { Kysely, Selectable } from 'kysely';
import type { CopilotSeatsTable } from '../db/mirror-schema.js';
import type { SeatPageFilter } from '../db/api-listings.js';
import { loadTeamGraph } from '../db/commands.js';
import { loadSnapshot, mirrorMembership } from '../db/mirror.js';
import { readStoredPolicy } from '../db/policies.js';
import { listActiveOverrides, toSeatOverride } from '../db/overrides.js';
import type { Database } from '../db/schema.js';
import { listSeatWarnings } from '../db/seat-warnings.js';
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
  const [snapshot, overrideRows, membership, warnings] = await Promise.all([loadSnapshot(db, org, orgLogin), listActiveOverrides(db, org, now), mirrorMembership(db, org), listSeatWarnings(db, org)]);
  return planWithSafeguard({ policy, snapshot, overrides: overrideRows.map(toSeatOverride), now: now.toISOString(), membership, warnings });
}

/** Which seats to list. */
export interface SeatFilter {
  /** Seats unused for at least this many whole days. */
  inactiveDays?: number;
  /** Seats of members of this team or its child teams. */
  team?: string;
  /** `inactive`: past the policy's inactivity threshold (else 30 days); `active`: not, and not pending cancellation. */
  state?: 'active' | 'inactive' | 'pending_cancellation';
}

/** Case-insensitive login order. */
export function compareLogins(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * A seat filter as the database applies it, page by page, so no listing loads an organization's
 * seats whole; `unknown_team` when the team does not exist. Whole days elapsed (DECISIONS 2): N or
 * more days idle means last used (or assigned) at or before now minus N days.
 */
export async function seatQuery(db: Kysely<Database>, org: string, filter: SeatFilter, now: Date): Promise<Omit<SeatPageFilter, 'limit' | 'afterLogin'> | 'unknown_team'> {
  const daysAgo = (n: number) => new Date(now.getTime() - n * DAY_MS);
  const needsPolicy = filter.state === 'inactive' || filter.state === 'active';
  const threshold = needsPolicy ? inactivityThreshold((await readStoredPolicy(db, org))?.policy ?? null) : DEFAULT_INACTIVE_DAYS;
  const idle = [filter.inactiveDays, filter.state === 'inactive' ? threshold + 1 : undefined].filter((n): n is number => n !== undefined);
  let teamSlugs: string[] | undefined;
  if (filter.team !== undefined) {
    const slugs = teamAndDescendants((await loadTeamGraph(db, org)).teams, filter.team);
    if (slugs === null) return 'unknown_team';
    teamSlugs = slugs;
  }
  return {
    ...(idle.length > 0 ? { idleSince: daysAgo(Math.max(...idle)) } : {}),
    ...(filter.state === 'active' ? { usedAfter: daysAgo(threshold + 1) } : {}),
    ...(filter.state === 'pending_cancellation' ? { pendingCancellation: true } : {}),
    ...(teamSlugs ? { teamSlugs } : {}),
  };
}

/** A mirrored seat row as the planner's seat. */
export function seatFromRow(row: Selectable<CopilotSeatsTable>): CopilotSeat {
  const iso = (v: Date | string | null) => (v === null ? null : new Date(v).toISOString());
  return {
    assigneeLogin: row.login,
    assigneeId: Number(row.user_id),
    assigningTeamSlug: row.assigning_team_slug,
    createdAt: new Date(row.created_at).toISOString(),
    lastActivityAt: iso(row.last_activity_at),
    lastActivityEditor: row.last_activity_editor,
    lastAuthenticatedAt: iso(row.last_authenticated_at),
    pendingCancellationDate: row.pending_cancellation_date,
    planType: row.plan_type === 'business' || row.plan_type === 'enterprise' ? row.plan_type : 'unknown',
  };
}

/** A team's slug and those of its child teams, at any depth (DECISIONS 1); null when there is no such team. */
export function teamAndDescendants(teams: readonly { slug: string; parentSlug: string | null }[], slug: string): string[] | null {
  const root = teams.find((t) => t.slug.toLowerCase() === slug.toLowerCase());
  if (!root) return null;
  const found = new Set([root.slug]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const t of teams) {
      if (t.parentSlug !== null && !found.has(t.slug) && [...found].some((f) => f.toLowerCase() === t.parentSlug!.toLowerCase())) {
        found.add(t.slug);
        grew = true;
      }
    }
  }
  return [...found];
}
