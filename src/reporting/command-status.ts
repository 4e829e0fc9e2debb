import type { Kysely } from 'kysely';
import { loadSnapshot, mirrorMembership } from '../db/mirror.js';
import { newestHeldPlan } from '../db/plans.js';
import { listActiveOverrides, toSeatOverride } from '../db/overrides.js';
import { readStoredPolicy } from '../db/policies.js';
import type { Database } from '../db/schema.js';
import { listSeatWarnings } from '../db/seat-warnings.js';
import type { OrgSnapshot, Plan, SeatOverride } from '../domain/plan-types.js';
import type { HeldPlanSummary } from '../domain/reports/safeguard-sections.js';
import { planWithSafeguard } from '../domain/planner/safeguard.js';
import type { PlannerInput } from '../domain/planner/plan-reconciliation.js';
import { type TeamIndex, expandTeamMembers, indexTeams } from '../domain/planner/team-members.js';
import { POLICY_PATH, type Policy } from '../domain/policy/policy-schema.js';
import type { InvalidPolicy } from '../domain/reports/invalid-policy-sections.js';
import type { UserSeatStatus } from '../domain/reports/user-seat-status.js';

const DAY_MS = 86_400_000;

/** The organization as CEOS's copy knows it, and the plan reconciling now would make. */
export interface MirrorView {
  /** The policy as last read, or null when absent, invalid or never read. */
  policy: Policy | null;
  /** The mirrored organization. */
  snapshot: OrgSnapshot;
  /** Overrides in force. */
  overrides: SeatOverride[];
  /** A dry-run plan computed from the above. */
  plan: Plan;
  /** What the plan was made from, to plan again with a change (an approval). */
  input: PlannerInput;
  /** The newest plan whose cancellations wait for an owner's confirmation, or null. */
  heldPlan: HeldPlanSummary | null;
  /** The policy file as last read when it is there but does not validate, else null. */
  invalidPolicy: InvalidPolicy | null;
}

/** The newest held plan of an organization, summarised. */
export async function findHeldPlan(db: Kysely<Database>, org: string): Promise<HeldPlanSummary | null> {
  const row = await newestHeldPlan(db, org);
  if (row === undefined) return null;
  const safeguard = (row.plan as Plan).safeguard;
  return { id: row.id, createdAt: new Date(row.created_at).toISOString(), held: safeguard?.held ?? [], limit: safeguard?.limit ?? 0 };
}

/** Plans from the mirror, without asking GitHub: what `status` and `report` answer from. */
export async function planFromMirror(db: Kysely<Database>, org: string, orgLogin: string, now: Date, policyPath: string = POLICY_PATH): Promise<MirrorView> {
  const [stored, snapshot, overrideRows, membership, heldPlan, warnings] = await Promise.all([
    readStoredPolicy(db, org),
    loadSnapshot(db, org, orgLogin),
    listActiveOverrides(db, org, now),
    mirrorMembership(db, org),
    findHeldPlan(db, org),
    listSeatWarnings(db, org),
  ]);
  const policy = stored?.policy ?? null;
  const overrides = overrideRows.map(toSeatOverride);
  const input: PlannerInput = { policy, snapshot, overrides, now: now.toISOString(), membership, warnings };
  const plan = planWithSafeguard(input);
  const errors = stored?.errors ?? null;
  const invalidPolicy = errors !== null && errors.length > 0 ? { errors, path: policyPath, blobSha: stored?.sha ?? null } : null;
  return { policy, snapshot, overrides, plan, input, heldPlan, invalidPolicy };
}

/**
 * What `/copilot status @user` tells about one person, from the mirror. The login asked is
 * resolved to a user id (the seat list's spelling first, it is the freshest), so a renamed user
 * is found under either login.
 */
export function describeUserSeat(view: MirrorView, asked: string, now: Date): UserSeatStatus {
  const key = asked.toLowerCase();
  const seatByLogin = view.snapshot.seats.find((s) => s.assigneeLogin.toLowerCase() === key);
  const memberByLogin = view.snapshot.members.find((m) => m.login.toLowerCase() === key);
  const id = seatByLogin?.assigneeId ?? memberByLogin?.id;
  const member = id === undefined ? undefined : view.snapshot.members.find((m) => m.id === id);
  const seat = id === undefined ? null : (view.snapshot.seats.find((s) => s.assigneeId === id) ?? null);
  const since = seat === null ? null : (seat.lastActivityAt ?? seat.createdAt);
  const logins = new Set([key, ...(member ? [member.login.toLowerCase()] : []), ...(seat ? [seat.assigneeLogin.toLowerCase()] : [])]);
  return {
    login: seat?.assigneeLogin ?? member?.login ?? asked,
    orgMember: member !== undefined,
    seat,
    inactiveDays: since === null ? null : Math.max(0, Math.floor((now.getTime() - Date.parse(since)) / DAY_MS)),
    rules: view.policy === null ? [] : policyRulesFor(view.policy, view.snapshot, logins, member?.login.toLowerCase() ?? key),
    overrides: view.overrides.filter((o) => (o.userId !== null && o.userId === id) || (o.userId === null && logins.has(o.login.toLowerCase()))),
    warning: id === undefined ? null : (view.plan.inactivityWarnings?.warned.find((w) => w.userId === id) ?? null),
  };
}

/**
 * One sentence per policy rule that names the person, directly (under any of their `logins`) or
 * through a team (teams name members by their member login, `key`).
 */
function policyRulesFor(policy: Policy, snapshot: OrgSnapshot, logins: ReadonlySet<string>, key: string): string[] {
  const index = indexTeams(snapshot);
  const parents = new Map(snapshot.teams.map((t) => [t.slug.toLowerCase(), t.parentSlug]));
  const rules: string[] = [];
  const named = (users: readonly string[] | undefined) => (users ?? []).some((u) => logins.has(u.toLowerCase()));
  const viaTeam = (teams: readonly string[] | undefined) => teamPath(index, parents, snapshot, teams ?? [], key);

  if (named(policy.seats.deny?.users)) rules.push('denied: named in seats.deny.users');
  const deniedBy = viaTeam(policy.seats.deny?.teams);
  if (deniedBy !== null) rules.push(`denied: ${deniedBy} (seats.deny.teams)`);
  if (named(policy.seats.grant.users)) rules.push('granted: named in seats.grant.users');
  const grantedBy = viaTeam(policy.seats.grant.teams);
  if (grantedBy !== null) rules.push(`granted: ${grantedBy} (seats.grant.teams)`);
  if (policy.inactivity !== undefined) {
    const exemptBy = named(policy.inactivity.exempt?.users) ? 'named in inactivity.exempt.users' : viaTeam(policy.inactivity.exempt?.teams);
    rules.push(
      exemptBy === null
        ? `inactivity: the seat is cancelled after more than ${policy.inactivity.revoke_after_days} days without use`
        : `exempt from the inactivity rule: ${exemptBy}`,
    );
  }
  return rules;
}

/**
 * How the person belongs to one of the named teams: "member of team X", or "member of team Y,
 * a child team of X" when the membership comes through a child team. Null when they are in none.
 */
function teamPath(
  index: TeamIndex,
  parents: ReadonlyMap<string, string | null>,
  snapshot: OrgSnapshot,
  teams: readonly string[],
  key: string,
): string | null {
  const team = expandTeamMembers(index, teams).get(key);
  if (team === undefined) return null;
  const target = team.toLowerCase();
  const direct = Object.entries(snapshot.teamMemberships)
    .filter(([, logins]) => logins.some((l) => l.toLowerCase() === key))
    .map(([slug]) => slug);
  if (direct.some((slug) => slug.toLowerCase() === target)) return `member of team ${team}`;
  for (const slug of direct) {
    const seen = new Set<string>();
    let parent = parents.get(slug.toLowerCase()) ?? null;
    while (parent !== null && !seen.has(parent.toLowerCase())) {
      if (parent.toLowerCase() === target) return `member of team ${slug}, a child team of ${team}`;
      seen.add(parent.toLowerCase());
      parent = parents.get(parent.toLowerCase()) ?? null;
    }
  }
  return `member of team ${team}`;
}
