import type {
  BudgetVerdict,
  CancelReason,
  CapVerdict,
  CopilotSeat,
  GrantReason,
  InactiveReason,
  MembershipKnowledge,
  OrgMember,
  OrgSnapshot,
  OverrideToRecord,
  Plan,
  PlanEntry,
  PlanWarning,
  SeatCounts,
  SeatOverride,
  SeatWarning,
  Violation,
} from '../plan-types.js';
import type { Policy } from '../policy/policy-schema.js';
import { reasons } from './plan-reasons.js';
import { predominantPlanType, roundUsd, seatPricer } from './seat-cost.js';
import { expandTeamMembers, indexTeams } from './team-members.js';
import type { TeamIndex } from './team-members.js';
import { type WarningTracker, trackWarnings } from './inactivity-warnings.js';

/** Everything the planner needs; it reads nothing else. */
export interface PlannerInput {
  /** The organization's validated policy, or null when it has none. */
  policy: Policy | null;
  /** The mirrored state of the organization. */
  snapshot: OrgSnapshot;
  /** Manual overrides, expired ones included (the planner ignores those). */
  overrides: readonly SeatOverride[];
  /** The time the plan is for (ISO 8601); inactivity and override expiry are measured against it. */
  now: string;
  /**
   * Whether `snapshot.members` is every member, and as of when. With an incomplete list no seat
   * is cancelled as "not an org member": absence from it proves nothing.
   */
  membership: MembershipKnowledge;
  /**
   * Seat holders (user ids) missing from the member list whose departure GitHub could not
   * confirm: their seats are left alone, not cancelled as "not an org member".
   */
  unconfirmedLeavers?: readonly number[];
  /**
   * Seat holders (user ids) whose cancellation is held for an owner's confirmation (the
   * safeguard, see planWithSafeguard): their seats are kept and counted as held after the plan.
   */
  holdCancellations?: readonly number[];
  /**
   * Warnings already given to seat holders before an inactivity cancellation (when the policy has
   * `inactivity.warn_before_days`): a warned seat is not cancelled before its warning is that old.
   */
  warnings?: readonly SeatWarning[];
}

const DAY_MS = 86_400_000;

type Decision = { wanted: true; grant: GrantReason } | { wanted: false; reason: CancelReason };

// Every rule is keyed by GitHub user id: logins in the policy and in overrides are resolved to
// ids once, so a renamed user keeps their seat, team memberships and overrides.
interface Rules {
  members: Map<number, OrgMember>;
  denyUsers: Set<number>;
  denyTeams: Map<number, string>;
  /** User id to the login as written in `seats.grant.users`. */
  grantUsers: Map<number, string>;
  grantTeams: Map<number, string>;
  exemptUsers: Set<number>;
  exemptTeams: Map<number, string>;
  overrides: Map<number, SeatOverride>;
}

/**
 * Lower-cased login to user id, for resolving what people wrote. Seat logins come from the seat
 * list GitHub gave this run and win over member logins, which a rename leaves stale until the next
 * full sync; either spelling of a renamed user resolves to the same id.
 */
function loginIndex(snapshot: OrgSnapshot): Map<string, number> {
  const ids = new Map<string, number>();
  for (const m of snapshot.members) ids.set(m.login.toLowerCase(), m.id);
  for (const s of snapshot.seats) ids.set(s.assigneeLogin.toLowerCase(), s.assigneeId);
  return ids;
}

/** Ids of the logins written in a policy list; logins that resolve to nobody are dropped. */
function resolveSet(ids: ReadonlyMap<string, number>, logins: readonly string[]): Set<number> {
  const out = new Set<number>();
  for (const login of logins) {
    const id = ids.get(login.toLowerCase());
    if (id !== undefined) out.add(id);
  }
  return out;
}

/** Team expansion (lower-cased member login to team) keyed by the members' ids instead. */
function byMemberId(memberIds: ReadonlyMap<string, number>, expanded: ReadonlyMap<string, string>): Map<number, string> {
  const out = new Map<number, string>();
  for (const [key, team] of expanded) {
    const id = memberIds.get(key);
    if (id !== undefined && !out.has(id)) out.set(id, team);
  }
  return out;
}

function byLogin(a: { login: string }, b: { login: string }): number {
  const x = a.login.toLowerCase();
  const y = b.login.toLowerCase();
  if (x !== y) return x < y ? -1 : 1;
  return a.login < b.login ? -1 : a.login > b.login ? 1 : 0;
}

/**
 * The override in force for each person: unexpired, and the most recently recorded wins. Matched
 * by user id when the override has one, else by its login; overrides whose login resolves to
 * nobody are keyed by the lower-cased login instead.
 */
function activeOverrides(
  overrides: readonly SeatOverride[],
  ids: ReadonlyMap<string, number>,
  nowMs: number,
): { byId: Map<number, SeatOverride>; unresolved: Map<string, SeatOverride> } {
  const byId = new Map<number, SeatOverride>();
  const unresolved = new Map<string, SeatOverride>();
  for (const o of overrides) {
    if (o.expiresAt !== null && Date.parse(o.expiresAt) <= nowMs) continue;
    const id = o.userId ?? ids.get(o.login.toLowerCase());
    if (id === undefined) keepNewest(unresolved, o.login.toLowerCase(), o);
    else keepNewest(byId, id, o);
  }
  return { byId, unresolved };
}

function keepNewest<K>(active: Map<K, SeatOverride>, key: K, o: SeatOverride): void {
  const current = active.get(key);
  const newer =
    current === undefined ||
    o.createdAt > current.createdAt ||
    (o.createdAt === current.createdAt && o.id > current.id);
  if (newer) active.set(key, o);
}

// Precedence: deny > manual override > grant. Inactivity sits between override and grant and
// is applied per seat, because it depends on the seat rather than on the person.
function decide(id: number, rules: Rules): Decision {
  if (!rules.members.has(id)) return { wanted: false, reason: reasons.notOrgMember() };
  if (rules.denyUsers.has(id)) return { wanted: false, reason: reasons.deniedByUserList() };
  const denyTeam = rules.denyTeams.get(id);
  if (denyTeam !== undefined) return { wanted: false, reason: reasons.deniedByTeam(denyTeam) };
  const override = rules.overrides.get(id);
  if (override?.kind === 'revoke') return { wanted: false, reason: reasons.revokedByOverride(override) };
  if (override?.kind === 'grant') return { wanted: true, grant: reasons.grantedByOverride(override) };
  if (rules.grantUsers.has(id)) return { wanted: true, grant: reasons.grantedByUserList() };
  const grantTeam = rules.grantTeams.get(id);
  if (grantTeam !== undefined) return { wanted: true, grant: reasons.grantedByTeam(grantTeam) };
  return { wanted: false, reason: reasons.notGranted() };
}

/** Whether the inactivity rule applies to a wanted person's seat at all. */
function inactivityApplies(id: number, grant: GrantReason, policy: Policy, rules: Rules): boolean {
  if (policy.inactivity === undefined) return false;
  // An explicit grant override is an admin saying "keep this seat", used or not.
  if (grant.code === 'granted_by_override') return false;
  return !(rules.exemptUsers.has(id) || rules.exemptTeams.has(id));
}

/** Whole days a seat has gone unused at `nowMs` (since assignment when never used). */
function inactiveDays(seat: CopilotSeat, nowMs: number): number {
  return Math.floor((nowMs - Date.parse(seat.lastActivityAt ?? seat.createdAt)) / DAY_MS);
}

function inactivityOf(seat: CopilotSeat, id: number, grant: GrantReason, policy: Policy, rules: Rules, nowMs: number): InactiveReason | null {
  const rule = policy.inactivity;
  if (rule === undefined || !inactivityApplies(id, grant, policy, rules)) return null;
  const days = inactiveDays(seat, nowMs);
  return days > rule.revoke_after_days ? reasons.inactive(days, rule.revoke_after_days, seat.lastActivityAt === null) : null;
}

function countSeats(seats: readonly CopilotSeat[]): SeatCounts {
  let viaTeam = 0;
  let pendingCancellation = 0;
  for (const seat of seats) {
    if (seat.assigningTeamSlug !== null) viaTeam++;
    if (seat.pendingCancellationDate !== null) pendingCancellation++;
  }
  return { total: seats.length, perUser: seats.length - viaTeam, viaTeam, pendingCancellation };
}

function capVerdict(max: number | undefined, seatsAfter: number, notAddedCount: number): CapVerdict {
  if (max === undefined) return { max: null, seatsAfter, status: 'none', notAddedCount };
  const status = seatsAfter > max ? 'over' : seatsAfter === max ? 'reached' : 'within';
  return { max, seatsAfter, status, notAddedCount };
}

function budgetVerdict(limit: number | undefined, costBeforeUsd: number, costAfterUsd: number): BudgetVerdict {
  if (limit === undefined) return { monthlyLimitUsd: null, costBeforeUsd, costAfterUsd, status: 'none', overByUsd: 0 };
  const overByUsd = roundUsd(Math.max(0, costAfterUsd - limit));
  return { monthlyLimitUsd: limit, costBeforeUsd, costAfterUsd, status: overByUsd > 0 ? 'over' : 'within', overByUsd };
}

function unknownTeamWarnings(policy: Policy, index: TeamIndex): PlanWarning[] {
  const lists: [string, readonly string[]][] = [
    ['seats.grant.teams', policy.seats.grant.teams],
    ['seats.deny.teams', policy.seats.deny?.teams ?? []],
    ['inactivity.exempt.teams', policy.inactivity?.exempt?.teams ?? []],
    ['commands.teams', policy.commands?.teams ?? []],
  ];
  const warnings: PlanWarning[] = [];
  for (const [path, slugs] of lists) {
    for (const name of slugs) {
      if (index.known.has(name.toLowerCase())) continue;
      warnings.push({ code: 'unknown_team', path, name, text: `${path} names team "${name}", which does not exist in the organization` });
    }
  }
  return warnings;
}

/** A plan that changes nothing: no policy, or CEOS cannot manage seats here. */
function inertPlan(input: PlannerInput, status: 'no_policy' | 'blocked'): Plan {
  const { policy, snapshot } = input;
  const price = seatPricer(policy?.budget?.seat_price_usd, predominantPlanType(snapshot.seats));
  const kept = snapshot.seats.filter((s) => s.pendingCancellationDate === null);
  const cents = (seats: readonly CopilotSeat[]) => seats.reduce((sum, s) => sum + Math.round(price(s.planType) * 100), 0);
  const costBeforeUsd = cents(snapshot.seats) / 100;
  const costAfterUsd = cents(kept) / 100;
  const setting = snapshot.billing.seatManagementSetting;
  return {
    formatVersion: 1,
    org: snapshot.org,
    computedAt: input.now,
    mode: status === 'no_policy' || policy === null ? 'report' : policy.mode,
    status,
    blocked:
      status === 'blocked'
        ? {
            code: 'seat_management_not_selected',
            seatManagementSetting: setting,
            reason: `CEOS cannot manage seats in ${snapshot.org}: its Copilot seat management setting is "${setting}"; it must be "assign_selected" (seats assigned to selected teams and users)`,
          }
        : null,
    toAdd: [],
    toCancel: [],
    leftAlone: [],
    notAdded: [],
    seats: { before: countSeats(snapshot.seats), after: countSeats(kept) },
    cost: { beforeUsd: costBeforeUsd, afterUsd: costAfterUsd },
    cap: capVerdict(policy?.seats.max, kept.length, 0),
    budget: budgetVerdict(policy?.budget?.monthly_limit_usd, costBeforeUsd, costAfterUsd),
    violations: [],
    warnings: [],
    overridesToRecord: [],
    membership: { complete: input.membership.complete, asOf: input.membership.asOf },
  };
}

/**
 * Computes what to change so the organization's Copilot seats match its policy.
 * Pure and deterministic: the same input always gives the same plan, lists in
 * case-insensitive login order.
 */
export function planReconciliation(input: PlannerInput): Plan {
  const { policy, snapshot } = input;
  if (policy === null) return inertPlan(input, 'no_policy');
  if (snapshot.billing.seatManagementSetting !== 'assign_selected') return inertPlan(input, 'blocked');

  const nowMs = Date.parse(input.now);
  const report = policy.mode === 'report';
  const teams = indexTeams(snapshot);
  const members = new Map<number, OrgMember>();
  const memberIds = new Map<string, number>();
  for (const m of snapshot.members) {
    members.set(m.id, m);
    memberIds.set(m.login.toLowerCase(), m.id);
  }
  const ids = loginIndex(snapshot);
  // Logins of `seats.grant.users` that resolve to nobody: reported, never an error.
  const unknownGrantUsers = new Map<string, string>();
  const grantUsers = new Map<number, string>();
  for (const written of policy.seats.grant.users) {
    const id = ids.get(written.toLowerCase());
    if (id !== undefined) {
      if (!grantUsers.has(id)) grantUsers.set(id, written);
    } else if (!unknownGrantUsers.has(written.toLowerCase())) {
      unknownGrantUsers.set(written.toLowerCase(), written);
    }
  }
  const overrides = activeOverrides(input.overrides, ids, nowMs);
  const unconfirmedLeavers = new Set(input.unconfirmedLeavers ?? []);
  const membershipProven = (userId: number) => input.membership.complete && !unconfirmedLeavers.has(userId);
  const holdCancellations = new Set(input.holdCancellations ?? []);
  const rules: Rules = {
    members,
    denyUsers: resolveSet(ids, policy.seats.deny?.users ?? []),
    denyTeams: byMemberId(memberIds, expandTeamMembers(teams, policy.seats.deny?.teams ?? [])),
    grantUsers,
    grantTeams: byMemberId(memberIds, expandTeamMembers(teams, policy.seats.grant.teams)),
    exemptUsers: resolveSet(ids, policy.inactivity?.exempt?.users ?? []),
    exemptTeams: byMemberId(memberIds, expandTeamMembers(teams, policy.inactivity?.exempt?.teams ?? [])),
    overrides: overrides.byId,
  };

  const fallbackPlan = predominantPlanType(snapshot.seats);
  const price = seatPricer(policy.budget?.seat_price_usd, fallbackPlan);
  const toCancel: PlanEntry[] = [];
  const leftAlone: PlanEntry[] = [];
  const notAdded: PlanEntry[] = [];
  const addQueue: PlanEntry[] = [];
  const violations: Violation[] = [];
  const overridesToRecord: OverrideToRecord[] = [];
  const readdPlanType = new Map<number, CopilotSeat['planType']>();
  const held = new Set<number>();
  let keptPerUser = 0;
  let keptViaTeam = 0;
  let costBeforeCents = 0;
  let costAfterCents = 0;

  const warnings: WarningTracker = trackWarnings(policy, input.warnings ?? [], input.now);

  const recordInactivity = (login: string, userId: number, inactive: InactiveReason) =>
    overridesToRecord.push({ login, userId, kind: 'revoke', reason: `inactive ${inactive.days} days`, expiresAt: null });

  for (const seat of snapshot.seats) {
    // The seat list's login is the current one; the person is their user id.
    const login = seat.assigneeLogin;
    const userId = seat.assigneeId;
    // A duplicated seat row is a mirror glitch; the first one stands for the person.
    if (held.has(userId)) continue;
    held.add(userId);
    const seatCents = Math.round(price(seat.planType) * 100);
    costBeforeCents += seatCents;
    const decision = decide(userId, rules);
    const inactive = decision.wanted ? inactivityOf(seat, userId, decision.grant, policy, rules, nowMs) : null;

    if (seat.pendingCancellationDate !== null) {
      if (!decision.wanted) {
        leftAlone.push({ login, userId, reason: reasons.pendingCancellation() });
      } else if (inactive !== null) {
        // Re-adding it would only cancel it again: let it lapse, and keep it from coming back.
        leftAlone.push({ login, userId, reason: reasons.pendingCancellationInactive(inactive.days, inactive.revokeAfterDays) });
        recordInactivity(login, userId, inactive);
      } else {
        addQueue.push({ login, userId, reason: reasons.readded(decision.grant) });
        readdPlanType.set(userId, seat.planType);
      }
      continue;
    }

    const team = seat.assigningTeamSlug;
    if (team !== null) {
      keptViaTeam++;
      costAfterCents += seatCents;
      const because = decision.wanted ? inactive : decision.reason;
      if (because === null) continue;
      const reason = reasons.assignedViaTeam(team, because);
      leftAlone.push({ login, userId, reason });
      if (because.code === 'inactive') {
        violations.push({ code: 'inactive_not_cancelled', login, team, reason: because, text: `@${login} is ${because.text}, but the seat is assigned via team ${team}` });
      } else if (because.code === 'denied_by_team' || because.code === 'denied_by_user_list') {
        violations.push({ code: 'denied_team_assigned', login, team, reason: because, text: `@${login} is denied, but assigned via team ${team}` });
      } else {
        violations.push({ code: 'team_assigned_outside_policy', login, team, reason: because, text: `@${login} holds a seat outside the policy (${because.text}), assigned via team ${team}` });
      }
      continue;
    }

    // With warnings on, a wanted seat the inactivity rule will soon cancel is warned first, and an
    // inactive one is cancelled only once its warning is old enough.
    const watched = decision.wanted && inactivityApplies(userId, decision.grant, policy, rules);
    const warning = watched ? warnings.observe(seat, inactiveDays(seat, nowMs)) : null;
    if (warning?.notYetDue && inactive !== null) {
      leftAlone.push({ login, userId, reason: reasons.inactivityWarned(inactive.days, inactive.revokeAfterDays, warning.warnedAt, warning.dueOn) });
      keptPerUser++;
      costAfterCents += seatCents;
      continue;
    }
    const cancelBecause = decision.wanted ? inactive : decision.reason;
    const unproven = cancelBecause?.code === 'not_org_member' && !membershipProven(userId);
    // A held cancellation is the safeguard's to report (plan.safeguard.held); the seat stays.
    if (cancelBecause === null || unproven || holdCancellations.has(userId)) {
      if (unproven) leftAlone.push({ login, userId, reason: reasons.membershipUnconfirmed(input.membership.complete ? 'lookup_failed' : 'incomplete_member_list') });
      keptPerUser++;
      costAfterCents += seatCents;
      continue;
    }
    if (warning !== null) warnings.cancelled(userId);
    toCancel.push({ login, userId, reason: cancelBecause });
    if (cancelBecause.code === 'inactive') recordInactivity(login, userId, cancelBecause);
    if (report) {
      violations.push(
        cancelBecause.code === 'inactive'
          ? { code: 'inactive_not_cancelled', login, team: null, reason: cancelBecause, text: `@${login} is ${cancelBecause.text}; not cancelled in report mode` }
          : { code: 'held_outside_policy', login, team: null, reason: cancelBecause, text: `@${login} holds a seat outside the policy (${cancelBecause.text}); not cancelled in report mode` },
      );
    }
  }

  // People the grant rules name who hold no seat yet.
  const candidates = new Map<number, string>();
  for (const [id, login] of rules.grantUsers) candidates.set(id, login);
  for (const id of rules.grantTeams.keys()) if (!candidates.has(id)) candidates.set(id, members.get(id)?.login ?? String(id));
  for (const [id, o] of rules.overrides) if (o.kind === 'grant' && !candidates.has(id)) candidates.set(id, o.login);
  for (const [id, written] of candidates) {
    if (held.has(id)) continue;
    const member = members.get(id);
    if (member === undefined) {
      // Only names written by people (user lists, overrides) are worth reporting.
      const namedByPeople = rules.grantUsers.has(id) || rules.overrides.get(id)?.kind === 'grant';
      if (namedByPeople) notAdded.push({ login: written, userId: null, reason: reasons.notOrgMember() });
      continue;
    }
    const decision = decide(id, rules);
    if (decision.wanted) addQueue.push({ login: member.login, userId: member.id, reason: decision.grant });
    else if (decision.reason.code === 'denied_by_team' || decision.reason.code === 'denied_by_user_list') {
      notAdded.push({ login: member.login, userId: member.id, reason: decision.reason });
    }
  }
  // Names that match no member or seat at all: a typo, someone who left, or someone not yet joined.
  const unknownGrants = new Map(unknownGrantUsers);
  for (const [key, o] of overrides.unresolved) if (o.kind === 'grant' && !unknownGrants.has(key)) unknownGrants.set(key, o.login);
  for (const written of unknownGrants.values()) notAdded.push({ login: written, userId: null, reason: reasons.notOrgMember() });

  // The cap: holders stay, new seats fill what is left in login order.
  addQueue.sort(byLogin);
  const max = policy.seats.max;
  const kept = keptPerUser + keptViaTeam;
  const room = max === undefined ? addQueue.length : Math.max(0, max - kept);
  const toAdd = addQueue.slice(0, room);
  for (const entry of addQueue.slice(room)) notAdded.push({ ...entry, reason: reasons.overCap(max ?? 0) });
  for (const entry of toAdd) {
    costAfterCents += Math.round(price((entry.userId === null ? undefined : readdPlanType.get(entry.userId)) ?? fallbackPlan) * 100);
  }

  const seatsAfter = kept + toAdd.length;
  const cap = capVerdict(max, seatsAfter, addQueue.length - toAdd.length);
  const costBeforeUsd = costBeforeCents / 100;
  const costAfterUsd = costAfterCents / 100;
  const budget = budgetVerdict(policy.budget?.monthly_limit_usd, costBeforeUsd, costAfterUsd);

  const orgViolations: Violation[] = [];
  if (cap.status === 'over') {
    orgViolations.push({ code: 'over_cap', login: null, team: null, reason: null, text: `${seatsAfter} seats are held after the plan, above the cap of ${max ?? 0}` });
  }
  if (budget.status === 'over') {
    orgViolations.push({
      code: 'over_budget',
      login: null,
      team: null,
      reason: null,
      text: `monthly cost after the plan is $${costAfterUsd.toFixed(2)}, $${budget.overByUsd.toFixed(2)} above the limit of $${budget.monthlyLimitUsd ?? 0}`,
    });
  }

  toCancel.sort(byLogin);
  leftAlone.sort(byLogin);
  notAdded.sort(byLogin);
  violations.sort((a, b) => byLogin({ login: a.login ?? '' }, { login: b.login ?? '' }) || (a.code < b.code ? -1 : a.code > b.code ? 1 : 0));
  overridesToRecord.sort(byLogin);

  return {
    formatVersion: 1,
    org: snapshot.org,
    computedAt: input.now,
    mode: policy.mode,
    status: 'ok',
    blocked: null,
    toAdd,
    toCancel,
    leftAlone,
    notAdded,
    seats: {
      before: countSeats(snapshot.seats),
      after: { total: seatsAfter, perUser: keptPerUser + toAdd.length, viaTeam: keptViaTeam, pendingCancellation: 0 },
    },
    cost: { beforeUsd: costBeforeUsd, afterUsd: costAfterUsd },
    cap,
    budget,
    violations: [...orgViolations, ...violations],
    warnings: unknownTeamWarnings(policy, teams),
    overridesToRecord,
    membership: { complete: input.membership.complete, asOf: input.membership.asOf },
    inactivityWarnings: warnings.result(),
  };
}
