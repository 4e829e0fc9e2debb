/**
 * Types shared by the reconciliation planner, its callers and the report renderers.
 *
 * Every date is an ISO 8601 string in UTC (e.g. "2025-06-01T12:00:00.000Z"): plans are
 * stored as JSON and must round-trip without losing type. Logins and team slugs are kept
 * as GitHub spells them; compare them only after lower-casing.
 */

/* ------------------------------------------------------------------ planner input */

/** An organization member as mirrored from GitHub. */
export interface OrgMember {
  /** GitHub login, as GitHub spells it. */
  login: string;
  /** GitHub user id. */
  id: number;
  /** Organization role: owners are `admin`. */
  role: 'admin' | 'member';
}

/** A team of the organization. */
export interface OrgTeam {
  /** Team slug. */
  slug: string;
  /** GitHub team id. */
  id: number;
  /** Slug of the parent team, or null for a top-level team. */
  parentSlug: string | null;
}

/** Copilot plan a seat is billed under; `unknown` when GitHub did not say. */
export type SeatPlanType = 'business' | 'enterprise' | 'unknown';

/** A Copilot seat as mirrored from GitHub's seat list. */
export interface CopilotSeat {
  /** Login of the seat holder. */
  assigneeLogin: string;
  /** GitHub user id of the seat holder. */
  assigneeId: number;
  /** Slug of the team the seat was assigned through, or null for a per-user seat. */
  assigningTeamSlug: string | null;
  /** When the seat was assigned (ISO 8601). */
  createdAt: string;
  /** Last Copilot activity (ISO 8601), or null if the seat was never used. */
  lastActivityAt: string | null;
  /** Editor of the last activity, as GitHub reports it. */
  lastActivityEditor: string | null;
  /** Last authentication with Copilot (ISO 8601), or null. */
  lastAuthenticatedAt: string | null;
  /** Date the seat ends (ISO 8601 date), or null when not pending cancellation. */
  pendingCancellationDate: string | null;
  /** Copilot plan the seat is billed under. */
  planType: SeatPlanType;
}

/** The organization's Copilot seat management setting. */
export type SeatManagementSetting = 'assign_all' | 'assign_selected' | 'disabled' | 'unconfigured';

/** Copilot billing settings of the organization. */
export interface CopilotBilling {
  /** How seats are managed; only `assign_selected` lets CEOS manage seats per user. */
  seatManagementSetting: SeatManagementSetting;
}

/** The mirrored state of one organization, the planner's view of GitHub. */
export interface OrgSnapshot {
  /** Organization login. */
  org: string;
  /** All organization members. */
  members: readonly OrgMember[];
  /** All teams, with their parents. */
  teams: readonly OrgTeam[];
  /**
   * Direct team memberships: team slug to member logins (child teams not folded in). Each login
   * is the one `members` gives the same user; a login matching no member is ignored.
   */
  teamMemberships: Readonly<Record<string, readonly string[]>>;
  /** All Copilot seats of the organization; a seat's holder is matched with members by user id. */
  seats: readonly CopilotSeat[];
  /** Copilot billing settings. */
  billing: CopilotBilling;
}

/** A warning already given to a seat holder that the inactivity rule will cancel (inactivity.warn_before_days). */
export interface SeatWarning {
  /** GitHub user id of the seat holder. */
  userId: number;
  /** Login when warned. */
  login: string;
  /** When the warning was given (ISO 8601). */
  warnedAt: string;
  /**
   * When the holder was told: the tracking-issue comment mentioning them was posted (ISO 8601);
   * null while it is not. The warning period counts from here, so a seat whose warning could not
   * be posted is never cancelled as if its holder had been told.
   */
  toldAt: string | null;
  /** The seat's last activity (or assignment, when never used) the warning counted from (ISO 8601). */
  inactiveSince: string;
}

/** Kind of a manual override. */
export type OverrideKind = 'grant' | 'revoke';

/** A manual override recorded by an admin (or by CEOS for inactivity). */
export interface SeatOverride {
  /** Override id. */
  id: string;
  /** Login the override is about, as it was when recorded. */
  login: string;
  /** GitHub user id of the person: matched first; null when unknown, and then the login is matched. */
  userId: number | null;
  /** `grant` gives a seat whatever the grant lists say; `revoke` takes it away. */
  kind: OverrideKind;
  /** Login of whoever recorded the override (`ceos` for automatic ones). */
  actor: string;
  /** Why, in the actor's words. */
  reason: string;
  /** When the override stops applying (ISO 8601), or null for never. */
  expiresAt: string | null;
  /** When it was recorded (ISO 8601). */
  createdAt: string;
}

/* ------------------------------------------------------------------ reasons */

/** Why an entry is in a plan list: a machine-readable `code`, its data, and a sentence. */
export type PlanReason =
  /** Member of a grant team (directly or through a child team). */
  | { code: 'granted_by_team'; team: string; text: string }
  /** Named in `seats.grant.users`. */
  | { code: 'granted_by_user_list'; text: string }
  /** A grant override is in force. */
  | { code: 'granted_by_override'; overrideId: string; actor: string; expiresAt: string | null; text: string }
  /** The seat is pending cancellation and its holder is wanted: it is added back. */
  | { code: 'readded_pending_cancellation'; grantedBy: GrantReason; text: string }
  /** Holds a seat but no grant rule names them. */
  | { code: 'not_granted'; text: string }
  /** Member of a deny team (directly or through a child team). */
  | { code: 'denied_by_team'; team: string; text: string }
  /** Named in `seats.deny.users`. */
  | { code: 'denied_by_user_list'; text: string }
  /** A revoke override is in force. */
  | { code: 'revoked_by_override'; overrideId: string; actor: string; expiresAt: string | null; text: string }
  /** Unused for more than `inactivity.revoke_after_days` whole days. */
  | { code: 'inactive'; days: number; revokeAfterDays: number; neverUsed: boolean; text: string }
  /**
   * Inactive past the limit, but its warning (`inactivity.warn_before_days`) is not that many days
   * old yet: kept until `dueOn`. `warnedAt` is null when the warning is given by this plan.
   */
  | { code: 'inactivity_warned'; days: number; revokeAfterDays: number; warnedAt: string | null; dueOn: string; text: string }
  /** The seat comes through a team and cannot be cancelled per user. */
  | { code: 'assigned_via_team'; team: string; because: CancelReason | InactiveReason | null; text: string }
  /** The seat is already pending cancellation and its holder is not wanted. */
  | { code: 'pending_cancellation'; text: string }
  /** Pending cancellation; re-adding it would only see it cancelled again for inactivity. */
  | { code: 'pending_cancellation_inactive'; days: number; revokeAfterDays: number; text: string }
  /** Named by a grant rule but not a member of the organization. */
  | { code: 'not_org_member'; text: string }
  /** Wanted, but the seat cap is reached. */
  | { code: 'over_cap'; max: number; text: string }
  /** Missing from a member list that cannot prove they left (incomplete, or GitHub could not confirm): not cancelled. */
  | { code: 'membership_unconfirmed'; because: 'incomplete_member_list' | 'lookup_failed'; text: string };

/** Reasons a seat is granted. */
export type GrantReason = Extract<PlanReason, { code: 'granted_by_team' | 'granted_by_user_list' | 'granted_by_override' }>;
/** Reasons a holder is not wanted. */
export type CancelReason = Extract<
  PlanReason,
  { code: 'not_granted' | 'denied_by_team' | 'denied_by_user_list' | 'revoked_by_override' | 'not_org_member' }
>;
/** The inactivity reason. */
export type InactiveReason = Extract<PlanReason, { code: 'inactive' }>;
/** Every reason code. */
export type PlanReasonCode = PlanReason['code'];

/** One person in a plan list. */
export interface PlanEntry {
  /** Login as GitHub spells it (or as written in the policy/override when not a member). */
  login: string;
  /** GitHub user id, or null when not known (e.g. not an org member). */
  userId: number | null;
  /** Why this person is in this list. */
  reason: PlanReason;
}

/* ------------------------------------------------------------------ totals and verdicts */

/** Seat counts at one point of the plan. */
export interface SeatCounts {
  /** All seats. */
  total: number;
  /** Seats assigned per user. */
  perUser: number;
  /** Seats assigned through a team. */
  viaTeam: number;
  /** Seats pending cancellation (always 0 after the plan: they lapse). */
  pendingCancellation: number;
}

/** Seat cap verdict. */
export interface CapVerdict {
  /** `seats.max`, or null when there is no cap. */
  max: number | null;
  /** Seats held after the plan. */
  seatsAfter: number;
  /** `none`: no cap; `within`: below it; `reached`: exactly at it; `over`: above it. */
  status: 'none' | 'within' | 'reached' | 'over';
  /** People who were wanted but not added because of the cap. */
  notAddedCount: number;
}

/** Monthly budget verdict. */
export interface BudgetVerdict {
  /** `budget.monthly_limit_usd`, or null when there is no limit. */
  monthlyLimitUsd: number | null;
  /** Monthly cost before the plan, in USD. */
  costBeforeUsd: number;
  /** Monthly cost after the plan, in USD. */
  costAfterUsd: number;
  /** `none`: no limit; `within`: at or below it; `over`: above it. */
  status: 'none' | 'within' | 'over';
  /** How far above the limit after the plan, in USD (0 when not over). */
  overByUsd: number;
}

/** Code of a policy violation that remains after the plan. */
export type ViolationCode =
  /** A seat held outside the policy is not cancelled because the policy is in report mode. */
  | 'held_outside_policy'
  /** An inactive seat is not cancelled (report mode, or assigned via a team). */
  | 'inactive_not_cancelled'
  /** A denied person holds a seat through a team. */
  | 'denied_team_assigned'
  /** Someone the policy does not grant holds a seat through a team. */
  | 'team_assigned_outside_policy'
  /** More seats are held after the plan than `seats.max`. */
  | 'over_cap'
  /** The monthly cost after the plan is above `budget.monthly_limit_usd`. */
  | 'over_budget';

/** A way in which the organization still breaks its policy after the plan. */
export interface Violation {
  /** Machine-readable code. */
  code: ViolationCode;
  /** The seat holder concerned, or null for organization-wide violations (cap, budget). */
  login: string | null;
  /** The team the seat comes through, when relevant. */
  team: string | null;
  /** The underlying reason for per-seat violations, or null. */
  reason: PlanReason | null;
  /** A sentence for people. */
  text: string;
}

/** Something in the policy that looks like a mistake, though the plan could still be made. */
export interface PlanWarning {
  /** `unknown_team`: a team named in the policy does not exist in the organization. */
  code: 'unknown_team';
  /** Where in the policy, e.g. `seats.grant.teams`. */
  path: string;
  /** The name as written in the policy. */
  name: string;
  /** A sentence for people. */
  text: string;
}

/** An override the caller must record when the plan is applied. */
export interface OverrideToRecord {
  /** Login the override is about. */
  login: string;
  /** GitHub user id of the seat holder. */
  userId: number;
  /** Always `revoke` today: inactivity cancellations must stay cancelled. */
  kind: 'revoke';
  /** E.g. "inactive 75 days". */
  reason: string;
  /** Null: it lasts until an admin removes it or grants the seat back. */
  expiresAt: string | null;
}

/** A seat warned (or to warn) before its inactivity cancellation. */
export interface WarnedSeat {
  /** Login as GitHub spells it. */
  login: string;
  /** GitHub user id of the seat holder. */
  userId: number;
  /** Whole days without use at the time of the plan. */
  inactiveDays: number;
  /** The last activity (or assignment, when never used) inactivity counts from (ISO 8601). */
  inactiveSince: string;
  /** When the warning was given (ISO 8601); the plan's time for a warning it gives. */
  warnedAt: string;
  /** Day (YYYY-MM-DD, UTC) from which the seat is cancelled if still unused. */
  dueOn: string;
}

/** Why a warning ends. */
export type WarningClearReason =
  /** The seat was used after the warning. */
  | 'activity'
  /** The seat is cancelled for inactivity by this plan. */
  | 'cancelled'
  /** The inactivity rule no longer applies to the seat (exempt, grant override, not wanted, gone, or warnings switched off). */
  | 'not_applicable'
  /** The seat is no longer within the warning window (the policy's days changed). */
  | 'not_due';

/** The inactivity warnings of a plan (`inactivity.warn_before_days`). */
export interface InactivityWarnings {
  /** `inactivity.warn_before_days`, or null when warnings are off. */
  warnBeforeDays: number | null;
  /** Seats entering the warning window, not warned yet: to warn now, in login order. */
  toWarn: WarnedSeat[];
  /** Every seat warned after the plan (those to warn now included), in login order. */
  warned: WarnedSeat[];
  /** Warnings that end, and why. */
  toClear: { login: string; userId: number; because: WarningClearReason }[];
}

/** How far the member list a plan was made from can be trusted. */
export interface MembershipKnowledge {
  /**
   * The list holds every member: a full sync completed (this run, or earlier and kept current by
   * webhooks since). When false, no one is cancelled as "not an org member".
   */
  complete: boolean;
  /** When members were last read whole from GitHub (ISO 8601), or null if never. */
  asOf: string | null;
}

/** The mass-cancellation safeguard's verdict on an enforce-mode plan. */
export interface SafeguardVerdict {
  /** `safeguards.max_cancellations` as written, or its default. */
  setting: number | string;
  /** Seats held before the plan: those GitHub listed in the run, pending cancellations excluded. */
  seatsHeld: number;
  /** The effective limit: the setting resolved against `seatsHeld`, never below 10. */
  limit: number;
  /** Cancellations the plan would send, before any were held. */
  cancellations: number;
  /**
   * `within`: at or below the limit, applied whole; `held`: over it, so every cancellation not
   * confirmed by an owner is held; `confirmed`: carries out an owner's confirmation, cancelling
   * only what was confirmed and is still due.
   */
  status: 'within' | 'held' | 'confirmed';
  /** Cancellations held for an owner's confirmation, in login order; empty when none are. */
  held: PlanEntry[];
  /** The held plan an owner confirmed, which this plan carries out; null otherwise. */
  confirmedPlanId: string | null;
  /** Login of the owner who confirmed, or null. */
  confirmedBy: string | null;
}

/** Why a plan cannot make changes. */
export interface PlanBlock {
  /** Machine-readable code. */
  code: 'seat_management_not_selected';
  /** The organization's seat management setting. */
  seatManagementSetting: SeatManagementSetting;
  /** A sentence for people. */
  reason: string;
}

/** Whether a plan may be applied. */
export type PlanMode = 'enforce' | 'report';

/** The planner's output: what to change on GitHub, and why, and what it leads to. */
export interface Plan {
  /** Plan format version. */
  formatVersion: 1;
  /** Organization login. */
  org: string;
  /** The `now` the plan was computed for (ISO 8601). */
  computedAt: string;
  /** `enforce`: may be applied; `report`: must never be applied (also when there is no policy). */
  mode: PlanMode;
  /** `ok`: a normal plan; `no_policy`: no policy file, nothing changes; `blocked`: see `blocked`. */
  status: 'ok' | 'no_policy' | 'blocked';
  /** Why CEOS cannot manage seats in this organization, or null. */
  blocked: PlanBlock | null;
  /** Seats to assign per user, in case-insensitive login order. */
  toAdd: PlanEntry[];
  /** Per-user seats to cancel, in case-insensitive login order. */
  toCancel: PlanEntry[];
  /** Seats the policy would change but the plan leaves as they are, and why. */
  leftAlone: PlanEntry[];
  /** People a grant rule names who get no seat, and why. */
  notAdded: PlanEntry[];
  /** Seat counts before and after the plan. */
  seats: { before: SeatCounts; after: SeatCounts };
  /** Monthly cost in USD before and after the plan. */
  cost: { beforeUsd: number; afterUsd: number };
  /** Seat cap verdict. */
  cap: CapVerdict;
  /** Monthly budget verdict. */
  budget: BudgetVerdict;
  /** Policy violations that remain after the plan. */
  violations: Violation[];
  /** Likely mistakes in the policy (e.g. a team that does not exist). */
  warnings: PlanWarning[];
  /** Overrides to record when the plan is applied (inactivity revocations). */
  overridesToRecord: OverrideToRecord[];
  /** The member list the plan was made from; absent from plans stored before it was recorded. */
  membership?: MembershipKnowledge;
  /** The mass-cancellation safeguard's verdict (enforce mode only); absent when it did not apply. */
  safeguard?: SafeguardVerdict;
  /** Inactivity warnings; absent from plans with no policy, and from plans stored before warnings existed. */
  inactivityWarnings?: InactivityWarnings;
}
