import { type Kysely, sql } from 'kysely';
import type { SeatDay, UsageCounts, UsageDay } from '../domain/usage/usage-series.js';
import type { CollectionStatus } from '../domain/usage/usage-report.js';
import type { TeamSeats } from '../domain/usage/utilization.js';
import { subtrees } from '../domain/usage/team-tree.js';
import type { Database } from './schema.js';

// Reads of usage analytics, shaped for the domain functions in src/domain/usage/. Each takes the
// lower-cased organization key; days are 'YYYY-MM-DD' text and ranges include both ends. Every
// read is bounded by an index (see 2026-12-02T1020-usage-indexes): the dashboard's organization
// page runs each in well under 100 ms on 365 days of history for 20,000 users (docs/benchmarks.md).

/** Days from `from` to `to`, both included. */
export interface DayRange {
  from: string;
  to: string;
}

/** Whether usage can be collected for the organization; `not_collected` when the collector never tried. */
export async function readCollectionStatus(db: Kysely<Database>, org: string): Promise<CollectionStatus> {
  return (await readCollectionStatuses(db, [org])).get(org)!;
}

/** Collection status of several organizations at once, by organization key. */
export async function readCollectionStatuses(db: Kysely<Database>, orgs: readonly string[]): Promise<Map<string, CollectionStatus>> {
  const found = new Map<string, CollectionStatus>(orgs.map((o) => [o, { status: 'not_collected', httpStatus: null, message: null, since: null }]));
  if (orgs.length === 0) return found;
  const rows = await db.selectFrom('usage_collection').select(['org', 'status', 'http_status', 'message', 'status_at']).where('org', 'in', [...orgs]).execute();
  for (const r of rows) found.set(r.org, { status: r.status, httpStatus: r.http_status, message: r.message, since: new Date(r.status_at).toISOString() });
  return found;
}

const n = (v: number | string | null | undefined) => (v === null || v === undefined ? 0 : Number(v));

/**
 * The organization report's days in a range: `data` days with their numbers, `no_data` days
 * (GitHub had no report), and no entry for days never collected. Several organizations at once,
 * by organization key.
 */
export async function readOrgUsageDays(db: Kysely<Database>, orgs: readonly string[], range: DayRange): Promise<Map<string, UsageDay[]>> {
  const result = new Map<string, UsageDay[]>(orgs.map((o) => [o, []]));
  if (orgs.length === 0) return result;
  const [statuses, rows] = await Promise.all([
    db
      .selectFrom('usage_report_days')
      .select(['org', 'day', 'status'])
      .where('org', 'in', [...orgs])
      .where('report', '=', 'organization')
      .where('day', '>=', range.from)
      .where('day', '<=', range.to)
      .execute(),
    db
      .selectFrom('usage_org_days')
      .select(['org', 'day', 'daily_active_users', 'interactions', 'code_generations', 'code_acceptances', 'loc_suggested', 'loc_added'])
      .where('org', 'in', [...orgs])
      .where('day', '>=', range.from)
      .where('day', '<=', range.to)
      .execute(),
  ]);
  const counts = new Map(
    rows.map((r) => [
      `${r.org} ${r.day}`,
      {
        activeUsers: n(r.daily_active_users),
        interactions: n(r.interactions),
        codeGenerations: n(r.code_generations),
        codeAcceptances: n(r.code_acceptances),
        locSuggested: n(r.loc_suggested),
        locAdded: n(r.loc_added),
      } satisfies UsageCounts,
    ]),
  );
  const seen = new Set<string>();
  for (const s of statuses) {
    const key = `${s.org} ${s.day}`;
    seen.add(key);
    const c = counts.get(key);
    result.get(s.org)?.push(s.status === 'data' ? { day: s.day, status: 'data', counts: c ?? zeroCounts() } : { day: s.day, status: 'no_data', counts: null });
  }
  // A day with numbers but no report-day row (written by an older collector) still has data.
  for (const r of rows) if (!seen.has(`${r.org} ${r.day}`)) result.get(r.org)?.push({ day: r.day, status: 'data', counts: counts.get(`${r.org} ${r.day}`)! });
  return result;
}

function zeroCounts(): UsageCounts {
  return { activeUsers: 0, interactions: 0, codeGenerations: 0, codeAcceptances: 0, locSuggested: 0, locAdded: 0 };
}

/**
 * One team's days in a range, as GitHub's user-teams report gives the team: on a day the report
 * had data, a team without a row had no active user (zero); a day without data stays `no_data`.
 */
export async function readTeamUsageDays(db: Kysely<Database>, org: string, teamSlug: string, range: DayRange): Promise<UsageDay[]> {
  const [statuses, rows] = await Promise.all([
    db
      .selectFrom('usage_report_days')
      .select(['day', 'status'])
      .where('org', '=', org)
      .where('report', '=', 'user_teams')
      .where('day', '>=', range.from)
      .where('day', '<=', range.to)
      .execute(),
    db
      .selectFrom('usage_team_days')
      .select(['day', 'active_users', 'interactions', 'code_generations', 'code_acceptances', 'loc_suggested', 'loc_added'])
      .where('org', '=', org)
      .where('team_slug', '=', teamSlug)
      .where('day', '>=', range.from)
      .where('day', '<=', range.to)
      .execute(),
  ]);
  const counts = new Map(
    rows.map((r) => [
      r.day,
      {
        activeUsers: n(r.active_users),
        interactions: n(r.interactions),
        codeGenerations: n(r.code_generations),
        codeAcceptances: n(r.code_acceptances),
        locSuggested: n(r.loc_suggested),
        locAdded: n(r.loc_added),
      } satisfies UsageCounts,
    ]),
  );
  const days: UsageDay[] = statuses.map((s) => (s.status === 'data' ? { day: s.day, status: 'data', counts: counts.get(s.day) ?? zeroCounts() } : { day: s.day, status: 'no_data', counts: null }));
  const seen = new Set(statuses.map((s) => s.day));
  for (const [day, c] of counts) if (!seen.has(day)) days.push({ day, status: 'data', counts: c });
  return days;
}

/** A daily seat snapshot as stored. */
export interface SeatSnapshot extends SeatDay {
  active1d: number;
  active7d: number;
  neverUsed: number;
  pendingCancellation: number;
  /** Seats by the editor of their last activity (`none` when never used). */
  byEditor: Readonly<Record<string, number>>;
  /** When the snapshot was taken (ISO 8601). */
  takenAt: string;
}

type SnapshotRow = {
  org: string;
  day: string;
  total: number;
  active_1d: number;
  active_7d: number;
  active_30d: number;
  never_used: number;
  pending_cancellation: number;
  by_editor: unknown;
  by_plan: unknown;
  taken_at: Date | string;
};

function snapshot(r: SnapshotRow): SeatSnapshot {
  const json = (v: unknown) => (typeof v === 'string' ? JSON.parse(v) : (v ?? {})) as Record<string, number>;
  return {
    day: r.day,
    total: r.total,
    active1d: r.active_1d,
    active7d: r.active_7d,
    active30d: r.active_30d,
    neverUsed: r.never_used,
    pendingCancellation: r.pending_cancellation,
    byEditor: json(r.by_editor),
    byPlan: json(r.by_plan),
    takenAt: new Date(r.taken_at).toISOString(),
  };
}

const SNAPSHOT_COLUMNS = ['org', 'day', 'total', 'active_1d', 'active_7d', 'active_30d', 'never_used', 'pending_cancellation', 'by_editor', 'by_plan', 'taken_at'] as const;

/** Seat snapshots in a range, oldest first, for several organizations at once (by organization key). */
export async function readSeatSnapshots(db: Kysely<Database>, orgs: readonly string[], range: DayRange): Promise<Map<string, SeatSnapshot[]>> {
  const result = new Map<string, SeatSnapshot[]>(orgs.map((o) => [o, []]));
  if (orgs.length === 0) return result;
  const rows = await db
    .selectFrom('seat_snapshots')
    .select(SNAPSHOT_COLUMNS)
    .where('org', 'in', [...orgs])
    .where('day', '>=', range.from)
    .where('day', '<=', range.to)
    .orderBy('org')
    .orderBy('day')
    .execute();
  for (const r of rows) result.get(r.org)?.push(snapshot(r));
  return result;
}

/** The newest seat snapshot of each organization that has one, by organization key. */
export async function readLatestSeatSnapshots(db: Kysely<Database>, orgs: readonly string[]): Promise<Map<string, SeatSnapshot>> {
  const result = new Map<string, SeatSnapshot>();
  // One index probe per organization (newest day first on the primary key), not a scan of the history.
  const rows = await Promise.all(
    orgs.map((org) => db.selectFrom('seat_snapshots').select(SNAPSHOT_COLUMNS).where('org', '=', org).orderBy('day', 'desc').limit(1).executeTakeFirst()),
  );
  for (const r of rows) if (r !== undefined) result.set(r.org, snapshot(r));
  return result;
}

/** The organization's seats now (from the mirror): held and inactive, by plan, and pending cancellation. */
export interface SeatCounts {
  heldByPlan: Record<string, number>;
  inactiveByPlan: Record<string, number>;
  pendingCancellation: number;
}

/**
 * Seats of the mirror counted by plan: all, and the inactive ones (last used, or assigned when
 * never used, at or before `inactiveCutoff`; see `inactiveCutoff` in src/domain/usage/seat-activity.ts).
 */
export async function readSeatCounts(db: Kysely<Database>, org: string, inactiveCutoff: Date): Promise<SeatCounts> {
  const rows = await db
    .selectFrom('copilot_seats')
    .select((eb) => [
      'plan_type',
      eb.fn.countAll<string>().as('held'),
      sql<string>`count(*) filter (where coalesce(last_activity_at, created_at) <= ${inactiveCutoff})`.as('inactive'),
      sql<string>`count(*) filter (where pending_cancellation_date is not null)`.as('pending'),
    ])
    .where('org', '=', org)
    .groupBy('plan_type')
    .execute();
  const counts: SeatCounts = { heldByPlan: {}, inactiveByPlan: {}, pendingCancellation: 0 };
  for (const r of rows) {
    counts.heldByPlan[r.plan_type] = Number(r.held);
    if (Number(r.inactive) > 0) counts.inactiveByPlan[r.plan_type] = Number(r.inactive);
    counts.pendingCancellation += Number(r.pending);
  }
  return counts;
}

/**
 * Every team's seats: those held by members of the team or of any of its child teams, each
 * seat once per team (DECISIONS 1), by plan, with the inactive ones. Teams whose members hold no
 * seat are left out. The team tree is folded here (a few hundred rows) and handed to SQL as
 * (team, descendant) pairs: a recursive CTE made the planner expect millions of rows and compile
 * the query (JIT), which cost more than the query itself.
 */
export async function readTeamSeats(db: Kysely<Database>, org: string, inactiveCutoff: Date): Promise<TeamSeats[]> {
  const tree = await readTeamTree(db, org);
  if (tree.length === 0) return [];
  const roots: string[] = [];
  const slugs: string[] = [];
  for (const [root, below] of subtrees(tree)) {
    for (const slug of below) {
      roots.push(root);
      slugs.push(slug);
    }
  }
  const { rows } = await sql<{ root: string; plan_type: string; held: string; inactive: string }>`
    with holders as (
      select distinct tree.root, m.user_id
      from unnest(${roots}::text[], ${slugs}::text[]) as tree(root, slug)
      join org_team_members m on m.org = ${org} and m.team_slug = tree.slug and m.present
    )
    select h.root, s.plan_type, count(*) as held, count(*) filter (where coalesce(s.last_activity_at, s.created_at) <= ${inactiveCutoff}) as inactive
    from holders h join copilot_seats s on s.org = ${org} and s.user_id = h.user_id
    group by h.root, s.plan_type`.execute(db);
  const teams = new Map<string, { slug: string; heldByPlan: Record<string, number>; inactiveByPlan: Record<string, number> }>();
  for (const r of rows) {
    let t = teams.get(r.root);
    if (t === undefined) teams.set(r.root, (t = { slug: r.root, heldByPlan: {}, inactiveByPlan: {} }));
    t.heldByPlan[r.plan_type] = Number(r.held);
    if (Number(r.inactive) > 0) t.inactiveByPlan[r.plan_type] = Number(r.inactive);
  }
  return [...teams.values()];
}

/** The teams of an organization with their parents (no members): enough to fold in child teams. */
export async function readTeamTree(db: Kysely<Database>, org: string): Promise<{ slug: string; parentSlug: string | null }[]> {
  const rows = await db.selectFrom('org_teams').select(['slug', 'parent_slug']).where('org', '=', org).where('present', '=', true).execute();
  return rows.map((r) => ({ slug: r.slug, parentSlug: r.parent_slug }));
}

/** An inactive seat, as recommendations need it. */
export interface InactiveSeat {
  userId: string;
  loginKey: string;
  planType: string;
  assigningTeamSlug: string | null;
  pendingCancellation: boolean;
}

/** The organization's inactive seats (last used, or assigned, at or before the cutoff). */
export async function readInactiveSeats(db: Kysely<Database>, org: string, inactiveCutoff: Date): Promise<InactiveSeat[]> {
  const rows = await db
    .selectFrom('copilot_seats')
    .select(['user_id', 'login_key', 'plan_type', 'assigning_team_slug', 'pending_cancellation_date'])
    .where('org', '=', org)
    .where(sql<boolean>`coalesce(last_activity_at, created_at) <= ${inactiveCutoff}`)
    .execute();
  return rows.map((r) => ({ userId: String(r.user_id), loginKey: r.login_key, planType: r.plan_type, assigningTeamSlug: r.assigning_team_slug, pendingCancellation: r.pending_cancellation_date !== null }));
}

/** User ids of present direct members of any of these teams (the caller folds in child teams). */
export async function readTeamMemberIds(db: Kysely<Database>, org: string, slugs: readonly string[]): Promise<Set<string>> {
  if (slugs.length === 0) return new Set();
  const rows = await db.selectFrom('org_team_members').select('user_id').distinct().where('org', '=', org).where('present', '=', true).where('team_slug', 'in', [...slugs]).execute();
  return new Set(rows.map((r) => String(r.user_id)));
}

/** A seat held by someone with a grant override in force. */
export interface OverrideSeat {
  userId: string;
  login: string;
  loginKey: string;
}

/** Seats whose holder has a grant override in force (matched by user id, or by login for overrides recorded without one). */
export async function readGrantOverrideSeats(db: Kysely<Database>, org: string, now: Date): Promise<OverrideSeat[]> {
  // From the few overrides to the seats (index probes), not from every seat to its overrides.
  const active = db
    .selectFrom('seat_overrides as o')
    .where('o.org', '=', org)
    .where('o.kind', '=', 'grant')
    .where('o.lifted_at', 'is', null)
    .where((w) => w.or([w('o.expires_at', 'is', null), w('o.expires_at', '>', now)]));
  const rows = await db
    .selectFrom('copilot_seats as s')
    .select(['s.user_id', 's.login', 's.login_key'])
    .where('s.org', '=', org)
    .where((eb) =>
      eb.or([
        eb('s.user_id', 'in', active.select('o.user_id').where('o.user_id', 'is not', null).$narrowType<{ user_id: string }>()),
        eb('s.login_key', 'in', active.select('o.login_key').where('o.user_id', 'is', null)),
      ]),
    )
    .execute();
  return rows.map((r) => ({ userId: String(r.user_id), login: r.login, loginKey: r.login_key }));
}

/** How many days in the range each of these users was active (had a row in the users report). */
export async function readUserActiveDays(db: Kysely<Database>, org: string, userIds: readonly string[], range: DayRange): Promise<Map<string, number>> {
  const result = new Map<string, number>();
  if (userIds.length === 0) return result;
  // One index range per person (usage_user_days_org_user), never the whole window of every
  // person (20,000 people × 28 days) that the day-first primary key would give.
  const { rows } = await sql<{ user_id: string; days: string }>`
    select u.id as user_id,
      (select count(*) from usage_user_days d where d.org = ${org} and d.user_id = u.id and d.day >= ${range.from}::date and d.day <= ${range.to}::date) as days
    from unnest(${[...userIds]}::bigint[]) as u(id)`.execute(db);
  for (const r of rows) if (Number(r.days) > 0) result.set(String(r.user_id), Number(r.days));
  return result;
}

/** An organization CEOS is installed on, for lists across organizations. */
export interface UsageOrg {
  /** Lower-cased key. */
  org: string;
  /** Login as GitHub spells it. */
  login: string;
  status: 'active' | 'suspended' | 'deleted';
}

/** Organizations CEOS is installed on (not removed), in key order, within `orgs` when given. */
export async function listUsageOrgs(db: Kysely<Database>, orgs: readonly string[] | null): Promise<UsageOrg[]> {
  if (orgs !== null && orgs.length === 0) return [];
  let query = db
    .selectFrom('installations')
    .select(['org', 'account_login', 'status'])
    .distinctOn('org')
    .where('account_type', '=', 'Organization')
    .where('status', '!=', 'deleted')
    .orderBy('org')
    .orderBy('updated_at', 'desc');
  if (orgs !== null) query = query.where('org', 'in', [...orgs]);
  const rows = await query.execute();
  return rows.map((r) => ({ org: r.org, login: r.account_login, status: r.status }));
}
