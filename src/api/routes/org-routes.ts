import { z } from 'zod';
import { countSeats, listMembersPage, listSeatsPage, planFacts } from '../../db/api-listings.js';
import { loadTeamGraph } from '../../db/commands.js';
import { readStoredPolicy } from '../../db/policies.js';
import { describeUserSeat, planFromMirror } from '../../reporting/command-status.js';
import { notFound } from '../api-error.js';
import { defineRoute } from '../api-route.js';
import { decodeCursor, page } from '../cursor.js';
import { compareLogins, inactivityThreshold, seatFromRow, seatItem, seatQuery } from '../org-views.js';
import { planReasonBody, planRunStatus, policyBody, policyErrorBody, policyStatusFields, seatBody, seatOverrideBody } from '../response-schemas.js';
import { iso, orgParam, orgParams, pageOf, pageQuery, timestamp } from '../schemas.js';
import { tenantScoped } from './tenant-scope.js';

const afterLogin = z.object({ after: z.string() });
const DAY_MS = 86_400_000;

/** The organization summary, its seats, members, teams and policy, all from CEOS's mirror. */
export const orgRoutes = [
  tenantScoped(defineRoute({
    method: 'GET',
    url: '/orgs/:org',
    permission: 'read',
    org: true,
    tag: 'organizations',
    summary: 'Organization summary',
    description: 'Seats held, active, inactive and pending cancellation; policy status and mode; the last reconciliation; held plans.',
    params: orgParams,
    response: z.object({
      org: z.string(),
      installation: z.object({ id: z.number().int(), status: z.enum(['active', 'suspended', 'deleted']) }),
      seats: z.object({
        held: z.number().int(),
        active: z.number().int(),
        inactive: z.number().int().describe('Unused for more than `inactive_after_days` whole days'),
        inactive_after_days: z.number().int().describe("The policy's `inactivity.revoke_after_days`, else 30"),
        pending_cancellation: z.number().int(),
      }),
      policy: z.object(policyStatusFields),
      last_reconciliation: z
        .object({ plan_id: z.string(), status: planRunStatus, trigger: z.string(), created_at: timestamp, finished_at: timestamp.nullable() })
        .nullable()
        .describe('The newest stored plan, or null before the first run'),
      held_plans: z.array(z.object({ id: z.string(), held: z.number().int(), created_at: timestamp })).describe('Plans awaiting confirmation, newest first'),
    }),
    async handler({ installation, deps, now }) {
      const stored = await readStoredPolicy(deps.db, installation.org);
      const threshold = inactivityThreshold(stored?.policy ?? null);
      // More than `threshold` whole days idle (DECISIONS 2): last used at or before now - (threshold + 1) days.
      const [counts, { last, held }] = await Promise.all([
        countSeats(deps.db, installation.org, new Date(now.getTime() - (threshold + 1) * DAY_MS)),
        planFacts(deps.db, installation.org),
      ]);
      return {
        org: installation.account_login,
        installation: { id: Number(installation.id), status: installation.status },
        seats: { held: counts.held, active: counts.held - counts.idle, inactive: counts.idle, inactive_after_days: threshold, pending_cancellation: counts.pending },
        policy: policyStatus(stored),
        last_reconciliation: last ? { plan_id: last.id, status: last.status, trigger: last.trigger, created_at: iso(last.created_at), finished_at: iso(last.finished_at) } : null,
        held_plans: held.map((p) => ({ id: p.id, held: p.held, created_at: iso(p.created_at) })),
      };
    },
  })),
  tenantScoped(defineRoute({
    method: 'GET',
    url: '/orgs/:org/seats',
    permission: 'read',
    org: true,
    tag: 'seats',
    summary: 'List Copilot seats',
    description: '`inactive_days=N`: seats unused for at least N whole days. `team`: seats of members of the team or its child teams. `state`: `active`, `inactive` (past the policy\'s inactivity threshold, else 30 days) or `pending_cancellation`.',
    params: orgParams,
    querystring: z.strictObject({
      ...pageQuery,
      inactive_days: z.coerce.number().int().min(0).max(3650).optional(),
      team: z.string().min(1).max(100).optional(),
      state: z.enum(['active', 'inactive', 'pending_cancellation']).optional(),
    }),
    response: pageOf(seatBody),
    async handler({ query, installation, deps, now }) {
      const after = decodeCursor(query.cursor, afterLogin);
      const filter = await seatQuery(deps.db, installation.org, { ...(query.inactive_days !== undefined ? { inactiveDays: query.inactive_days } : {}), ...(query.team !== undefined ? { team: query.team } : {}), ...(query.state ? { state: query.state } : {}) }, now);
      if (filter === 'unknown_team') throw notFound(`team ${query.team} in ${installation.account_login}`);
      const rows = await listSeatsPage(deps.db, installation.org, { ...filter, limit: query.limit + 1, ...(after ? { afterLogin: after.after } : {}) });
      return page(rows, query.limit, (r) => seatItem(seatFromRow(r), now), (r) => ({ after: r.login_key }));
    },
  })),
  tenantScoped(defineRoute({
    method: 'GET',
    url: '/orgs/:org/seats/:login',
    permission: 'read',
    org: true,
    tag: 'seats',
    summary: "One person's seat, activity and the rules that apply to them",
    description: 'What `/copilot status @user` shows. A renamed user is found under either login.',
    params: z.strictObject({ org: orgParam, login: z.string().regex(/^[A-Za-z0-9_-]{1,60}$/, 'must be a GitHub login') }),
    response: z.object({
      login: z.string(),
      org_member: z.boolean(),
      seat: seatBody.nullable(),
      inactive_days: z.number().int().nullable(),
      rules: z.array(z.string()).describe('The policy rules that name the person, one sentence each'),
      overrides: z.array(seatOverrideBody).describe('Overrides in force for the person'),
      inactivity_warning: z
        .object({ warned_at: z.string().describe('When they were warned (ISO 8601); in report mode, when enforce mode would warn them'), due_on: z.string().describe('Day (YYYY-MM-DD) from which the seat may be cancelled') })
        .nullable()
        .describe('Their warning before an inactivity cancellation (inactivity.warn_before_days), or null'),
      next_plan: z
        .object({ change: z.enum(['add', 'cancel', 'left_alone', 'not_added']), reason: planReasonBody })
        .nullable()
        .describe('What the next plan would do about the person, or null for nothing'),
    }),
    async handler({ params, installation, deps, now }) {
      const view = await planFromMirror(deps.db, installation.org, installation.account_login, now);
      const status = describeUserSeat(view, params.login, now);
      if (!status.orgMember && status.seat === null && status.overrides.length === 0) throw notFound(`member or seat holder ${params.login} in ${installation.account_login}`);
      const planned = [...view.plan.toAdd.map((e) => ({ op: 'add' as const, e })), ...view.plan.toCancel.map((e) => ({ op: 'cancel' as const, e })), ...view.plan.leftAlone.map((e) => ({ op: 'left_alone' as const, e })), ...view.plan.notAdded.map((e) => ({ op: 'not_added' as const, e }))].find(
        ({ e }) => e.login.toLowerCase() === status.login.toLowerCase(),
      );
      return {
        login: status.login,
        org_member: status.orgMember,
        seat: status.seat ? seatItem(status.seat, now) : null,
        inactive_days: status.inactiveDays,
        rules: [...status.rules],
        overrides: [...status.overrides],
        inactivity_warning: status.warning === null ? null : { warned_at: status.warning.warnedAt, due_on: status.warning.dueOn },
        next_plan: planned ? { change: planned.op, reason: planned.e.reason } : null,
      };
    },
  })),
  tenantScoped(defineRoute({
    method: 'GET',
    url: '/orgs/:org/members',
    permission: 'read',
    org: true,
    tag: 'organizations',
    summary: 'List organization members',
    params: orgParams,
    querystring: z.strictObject({ ...pageQuery }),
    response: pageOf(z.object({ login: z.string(), user_id: z.number().int(), role: z.enum(['admin', 'member']).describe('Owners are `admin`'), has_seat: z.boolean() })),
    async handler({ query, installation, deps }) {
      const after = decodeCursor(query.cursor, afterLogin);
      const rows = await listMembersPage(deps.db, installation.org, { limit: query.limit + 1, ...(after ? { afterLogin: after.after } : {}) });
      return page(rows, query.limit, (m) => ({ login: m.login, user_id: Number(m.user_id), role: m.role, has_seat: Boolean(m.has_seat) }), (m) => ({ after: m.login_key }));
    },
  })),
  tenantScoped(defineRoute({
    method: 'GET',
    url: '/orgs/:org/teams',
    permission: 'read',
    org: true,
    tag: 'organizations',
    summary: 'List teams',
    params: orgParams,
    querystring: z.strictObject({ ...pageQuery }),
    response: pageOf(
      z.object({ slug: z.string(), id: z.number().int(), parent: z.string().nullable().describe("The parent team's slug"), direct_members: z.number().int().describe('Members of the team itself, child teams not counted') }),
    ),
    async handler({ query, installation, deps }) {
      const after = decodeCursor(query.cursor, afterLogin);
      // Teams and their memberships only: the seats and members are not needed here.
      const graph = await loadTeamGraph(deps.db, installation.org);
      let teams = [...graph.teams].sort((a, b) => compareLogins(a.slug, b.slug));
      if (after) teams = teams.filter((t) => compareLogins(t.slug, after.after) > 0);
      return page(
        teams.slice(0, query.limit + 1),
        query.limit,
        (t) => ({ slug: t.slug, id: t.id, parent: t.parentSlug, direct_members: graph.teamMemberships[t.slug]?.length ?? 0 }),
        (t) => ({ after: t.slug.toLowerCase() }),
      );
    },
  })),
  tenantScoped(defineRoute({
    method: 'GET',
    url: '/orgs/:org/policy',
    permission: 'read',
    org: true,
    tag: 'policy',
    summary: 'The effective policy, its source commit and its errors',
    params: orgParams,
    response: z.object({
      ...policyStatusFields,
      source: z.object({ repository: z.string(), path: z.string() }).describe('Where CEOS reads the policy file'),
      policy: policyBody.nullable().describe('The policy in force, defaults filled in; null when there is none'),
      errors: z.array(policyErrorBody).describe('Problems of the file last read (a file with problems is not applied)'),
    }),
    async handler({ installation, deps }) {
      const stored = await readStoredPolicy(deps.db, installation.org);
      return {
        ...policyStatus(stored),
        source: { repository: `${installation.account_login}/${deps.config.policyRepository}`, path: deps.config.policyPath },
        policy: stored?.policy ?? null,
        errors: stored?.errors ?? [],
      };
    },
  })),
];

function policyStatus(stored: Awaited<ReturnType<typeof readStoredPolicy>>) {
  const status: 'unknown' | 'valid' | 'invalid' | 'absent' = stored === undefined ? 'unknown' : stored.policy !== null ? 'valid' : stored.errors && stored.errors.length > 0 ? 'invalid' : 'absent';
  return {
    status,
    mode: stored?.policy?.mode ?? null,
    sha: stored?.sha ?? null,
    ref: stored?.ref ?? null,
    loaded_at: iso(stored?.loadedAt),
  };
}
