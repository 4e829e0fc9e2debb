import { z } from 'zod';
import type { BrokenAuditEntry } from '../domain/audit/verify-audit-chain.js';
import type { Plan, SeatOverride } from '../domain/plan-types.js';
import type { PolicyError } from '../domain/policy/parse-policy.js';
import { policySchema } from '../domain/policy/policy-schema.js';
import { timestamp } from './schemas.js';

// Success bodies the routes share, as the OpenAPI document describes them. The planner's and the
// policy's types are checked against these at compile time (see the end of this file), so the
// document cannot drift from what the domain produces.

const nullableTimestamp = timestamp.nullable();

/** A policy as CEOS applies it: the file's keys with defaults filled in. */
export const policyBody = policySchema;

/** A problem of a policy file, with where it is. */
export const policyErrorBody = z.object({
  line: z.number().int().describe('1-based line where the problem starts'),
  column: z.number().int().describe('1-based column where the problem starts'),
  endLine: z.number().int().optional().describe('1-based line where the problem ends, when known'),
  endColumn: z.number().int().optional().describe('1-based column just after the problem, when known'),
  path: z.string().describe('Dotted path of the key concerned, e.g. `seats.grant.users[2]`; empty for the whole file'),
  message: z.string().describe('What is wrong and how to fix it'),
});

const grantReason = z.discriminatedUnion('code', [
  z.object({ code: z.literal('granted_by_team'), team: z.string(), text: z.string() }),
  z.object({ code: z.literal('granted_by_user_list'), text: z.string() }),
  z.object({ code: z.literal('granted_by_override'), overrideId: z.string(), actor: z.string(), expiresAt: z.string().nullable(), text: z.string() }),
]);
const cancelReason = z.discriminatedUnion('code', [
  z.object({ code: z.literal('not_granted'), text: z.string() }),
  z.object({ code: z.literal('denied_by_team'), team: z.string(), text: z.string() }),
  z.object({ code: z.literal('denied_by_user_list'), text: z.string() }),
  z.object({ code: z.literal('revoked_by_override'), overrideId: z.string(), actor: z.string(), expiresAt: z.string().nullable(), text: z.string() }),
  z.object({ code: z.literal('not_org_member'), text: z.string() }),
]);
const inactiveReason = z.object({ code: z.literal('inactive'), days: z.number().int(), revokeAfterDays: z.number().int(), neverUsed: z.boolean(), text: z.string() });

/** Why a person is in a plan list: a machine-readable `code`, its data, and a sentence in `text`. */
export const planReasonBody = z
  .union([
    grantReason,
    cancelReason,
    inactiveReason,
    z.object({ code: z.literal('readded_pending_cancellation'), grantedBy: grantReason, text: z.string() }),
    z.object({ code: z.literal('assigned_via_team'), team: z.string(), because: z.union([cancelReason, inactiveReason]).nullable(), text: z.string() }),
    z.object({ code: z.literal('inactivity_warned'), days: z.number().int(), revokeAfterDays: z.number().int(), warnedAt: z.string().nullable(), dueOn: z.string(), text: z.string() }),
    z.object({ code: z.literal('pending_cancellation'), text: z.string() }),
    z.object({ code: z.literal('pending_cancellation_inactive'), days: z.number().int(), revokeAfterDays: z.number().int(), text: z.string() }),
    z.object({ code: z.literal('over_cap'), max: z.number().int(), text: z.string() }),
    z.object({ code: z.literal('membership_unconfirmed'), because: z.enum(['incomplete_member_list', 'lookup_failed']), text: z.string() }),
  ])
  .describe('Why; `code` says which rule, `text` says it in a sentence');

const planEntry = z.object({ login: z.string(), userId: z.number().int().nullable(), reason: planReasonBody });
const seatCounts = z.object({ total: z.number().int(), perUser: z.number().int(), viaTeam: z.number().int(), pendingCancellation: z.number().int() });
const seatManagementSetting = z.enum(['assign_all', 'assign_selected', 'disabled', 'unconfigured']);

const warnedSeat = z.object({
  login: z.string(),
  userId: z.number().int(),
  inactiveDays: z.number().int(),
  inactiveSince: z.string(),
  warnedAt: z.string(),
  dueOn: z.string().describe('Day (YYYY-MM-DD, UTC) from which the seat is cancelled if still unused'),
});

/** A reconciliation plan as the planner makes it (camelCase keys: the stored plan format, version 1). */
export const planBody = z
  .object({
    formatVersion: z.literal(1),
    org: z.string(),
    computedAt: z.string().describe('The moment the plan was computed for (ISO 8601)'),
    mode: z.enum(['enforce', 'report']),
    status: z.enum(['ok', 'no_policy', 'blocked']),
    blocked: z.object({ code: z.literal('seat_management_not_selected'), seatManagementSetting, reason: z.string() }).nullable(),
    toAdd: z.array(planEntry).describe('Seats to assign, in login order'),
    toCancel: z.array(planEntry).describe('Per-user seats to cancel, in login order'),
    leftAlone: z.array(planEntry).describe('Seats the policy would change but the plan leaves as they are'),
    notAdded: z.array(planEntry).describe('People a grant rule names who get no seat'),
    seats: z.object({ before: seatCounts, after: seatCounts }),
    cost: z.object({ beforeUsd: z.number(), afterUsd: z.number() }),
    cap: z.object({ max: z.number().int().nullable(), seatsAfter: z.number().int(), status: z.enum(['none', 'within', 'reached', 'over']), notAddedCount: z.number().int() }),
    budget: z.object({
      monthlyLimitUsd: z.number().nullable(),
      costBeforeUsd: z.number(),
      costAfterUsd: z.number(),
      status: z.enum(['none', 'within', 'over']),
      overByUsd: z.number(),
    }),
    violations: z.array(
      z.object({
        code: z.enum(['held_outside_policy', 'inactive_not_cancelled', 'denied_team_assigned', 'team_assigned_outside_policy', 'over_cap', 'over_budget']),
        login: z.string().nullable(),
        team: z.string().nullable(),
        reason: planReasonBody.nullable(),
        text: z.string(),
      }),
    ),
    warnings: z.array(z.object({ code: z.literal('unknown_team'), path: z.string(), name: z.string(), text: z.string() })),
    overridesToRecord: z.array(z.object({ login: z.string(), userId: z.number().int(), kind: z.literal('revoke'), reason: z.string(), expiresAt: z.string().nullable() })),
    membership: z.object({ complete: z.boolean(), asOf: z.string().nullable() }).optional().describe('The member list the plan was made from'),
    safeguard: z
      .object({
        setting: z.union([z.number(), z.string()]),
        seatsHeld: z.number().int(),
        limit: z.number().int(),
        cancellations: z.number().int(),
        status: z.enum(['within', 'held', 'confirmed']),
        held: z.array(planEntry),
        confirmedPlanId: z.string().nullable(),
        confirmedBy: z.string().nullable(),
      })
      .optional()
      .describe("The mass-cancellation safeguard's verdict (enforce mode only)"),
    inactivityWarnings: z
      .object({
        warnBeforeDays: z.number().int().nullable(),
        toWarn: z.array(warnedSeat).describe('Seats entering the warning window, to warn now'),
        warned: z.array(warnedSeat).describe('Every seat warned after the plan'),
        toClear: z.array(z.object({ login: z.string(), userId: z.number().int(), because: z.enum(['activity', 'cancelled', 'not_applicable', 'not_due']) })),
      })
      .optional()
      .describe('Inactivity warnings (`inactivity.warn_before_days`)'),
  })
  .describe('A plan');

/** A Copilot seat as the API shows it. */
export const seatBody = z.object({
  login: z.string(),
  user_id: z.number().int(),
  assigning_team: z.string().nullable().describe('The team the seat comes through, or null for a per-user seat'),
  created_at: timestamp.describe('When the seat was assigned'),
  last_activity_at: nullableTimestamp.describe('Last Copilot activity, or null if never used'),
  last_activity_editor: z.string().nullable(),
  last_authenticated_at: nullableTimestamp,
  pending_cancellation_date: z.string().nullable().describe('The date the seat ends (YYYY-MM-DD), or null'),
  plan_type: z.enum(['business', 'enterprise', 'unknown']),
  inactive_days: z.number().int().describe('Whole days since last activity, or since assignment when never used'),
});

/** An override in the planner's form (camelCase), as the seat status shows it. */
export const seatOverrideBody = z.object({
  id: z.string(),
  login: z.string(),
  userId: z.number().int().nullable(),
  kind: z.enum(['grant', 'revoke']),
  actor: z.string(),
  reason: z.string(),
  expiresAt: z.string().nullable(),
  createdAt: z.string(),
});

/** An override as the override routes show it. */
export const overrideBody = z.object({
  id: z.string(),
  login: z.string(),
  user_id: z.number().int().nullable(),
  kind: z.enum(['grant', 'revoke']),
  actor: z.string().describe('Who recorded it: a login, `api-key:<id>`, or `ceos`'),
  reason: z.string(),
  expires_at: nullableTimestamp,
  created_at: timestamp,
  lifted_at: nullableTimestamp,
  lifted_by: z.string().nullable(),
});

/** An API key's metadata (never its hash). */
export const keyBody = z.object({
  id: z.string(),
  name: z.string(),
  role: z.enum(['admin', 'operator', 'auditor', 'viewer']),
  orgs: z.array(z.string()).nullable().describe('The organizations the key is limited to, or null for all'),
  prefix: z.string().describe('The visible start of the key, to tell keys apart'),
  created_at: timestamp,
  last_used_at: nullableTimestamp,
  expires_at: nullableTimestamp,
  revoked_at: nullableTimestamp,
});

/** The first broken entry of an organization's audit chain. */
export const brokenAuditEntryBody = z.object({
  org: z.string(),
  seq: z.number().int(),
  id: z.string().nullable(),
  problem: z.enum(['hash mismatch', 'broken link', 'sequence gap', 'head mismatch']),
  detail: z.string(),
});

/** What the policy routes and the summary say about an organization's policy file. */
export const policyStatusFields = {
  status: z.enum(['valid', 'invalid', 'absent', 'unknown']).describe('`unknown`: never read yet'),
  mode: z.enum(['enforce', 'report']).nullable(),
  sha: z.string().nullable().describe('Commit the policy was read from'),
  ref: z.string().nullable(),
  loaded_at: nullableTimestamp,
};

/** Where a run's report goes, as a stored plan records it. */
export const reportTargetBody = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('reconcile_check'), repo: z.string(), sha: z.string() }),
  z.object({ kind: z.literal('compliance_check') }),
  z.object({ kind: z.literal('command_reply'), commandId: z.string() }),
  z.object({ kind: z.literal('none') }),
]);

/** Statuses of a stored plan. */
export const planRunStatus = z.enum([
  'planned',
  'applying',
  'applied',
  'partially_applied',
  'failed',
  'report_only',
  'blocked',
  'no_policy',
  'invalid_policy',
  'awaiting_confirmation',
  'superseded',
  'confirmed',
]);

// Compile-time checks: each schema's output and the domain type it describes are the same type.
// "'true' is not assignable to type 'false'" below means a domain type changed: make its schema
// above say the same, so the OpenAPI document keeps describing what the API answers.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const checks: [
  Same<z.output<typeof planBody>, Plan>,
  Same<z.output<typeof seatOverrideBody>, SeatOverride>,
  Same<z.output<typeof policyErrorBody>, PolicyError>,
  Same<z.output<typeof brokenAuditEntryBody>, BrokenAuditEntry>,
] = [true, true, true, true];
void checks;
