import { type Kysely, type Transaction, sql } from 'kysely';
import type {
  CopilotSeat,
  OrgMember,
  OrgSnapshot,
  OrgTeam,
  SeatManagementSetting,
  SeatPlanType,
} from '../domain/plan-types.js';
import type { Database } from './schema.js';

type Db = Kysely<Database> | Transaction<Database>;

const CHUNK = 5000;

function chunks<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += CHUNK) out.push(items.slice(i, i + CHUNK));
  return out;
}

/** A person as GitHub names them: their login now, and the user id that outlives renames. */
export interface GitHubUser {
  login: string;
  id: number;
}

/** Members, teams and direct team memberships of an organization, as a full sync reads them. */
export interface OrgGraph {
  members: readonly OrgMember[];
  teams: readonly (OrgTeam & { name?: string })[];
  /** Team slug to its direct members. */
  teamMemberships: Readonly<Record<string, readonly GitHubUser[]>>;
}

/**
 * Replaces an organization's members, teams and memberships with what a full sync read, as of
 * `asOf` (when the sync started). Rows written by a webhook after that moment are newer knowledge
 * and are kept; rows the sync did not see are marked absent rather than deleted, so a late
 * "added" webhook cannot bring them back.
 */
export async function replaceOrgGraph(db: Kysely<Database>, org: string, graph: OrgGraph, asOf: Date): Promise<void> {
  await db.transaction().execute(async (trx) => {
    for (const part of chunks(graph.members)) {
      await sql`
        insert into org_members (org, login_key, login, user_id, role, present, source_at)
        select ${org}, lower(t.login), t.login, t.user_id, t.role, true, ${asOf}::timestamptz
          from unnest(${part.map((m) => m.login)}::text[], ${part.map((m) => m.id)}::bigint[], ${part.map((m) => m.role)}::text[])
            as t(login, user_id, role)
        on conflict (org, user_id) do update
          set login_key = excluded.login_key, login = excluded.login, role = excluded.role,
              present = true, source_at = excluded.source_at
          where org_members.source_at <= excluded.source_at`.execute(trx);
    }
    await sql`update org_members set present = false, source_at = ${asOf}::timestamptz
               where org = ${org} and present and source_at < ${asOf}::timestamptz`.execute(trx);

    for (const part of chunks(graph.teams)) {
      await sql`
        insert into org_teams (org, slug, team_id, name, parent_slug, present, source_at)
        select ${org}, t.slug, t.team_id, t.name, t.parent_slug, true, ${asOf}::timestamptz
          from unnest(${part.map((t) => t.slug)}::text[], ${part.map((t) => t.id)}::bigint[],
                      ${part.map((t) => t.name ?? t.slug)}::text[], ${part.map((t) => t.parentSlug)}::text[])
            as t(slug, team_id, name, parent_slug)
        on conflict (org, slug) do update
          set team_id = excluded.team_id, name = excluded.name, parent_slug = excluded.parent_slug,
              present = true, source_at = excluded.source_at
          where org_teams.source_at <= excluded.source_at`.execute(trx);
    }
    await sql`update org_teams set present = false, source_at = ${asOf}::timestamptz
               where org = ${org} and present and source_at < ${asOf}::timestamptz`.execute(trx);

    const pairs: { slug: string; login: string; id: number }[] = [];
    for (const [slug, users] of Object.entries(graph.teamMemberships)) {
      for (const user of users) pairs.push({ slug, login: user.login, id: user.id });
    }
    for (const part of chunks(pairs)) {
      await sql`
        insert into org_team_members (org, team_slug, user_id, login_key, login, present, source_at)
        select ${org}, t.slug, t.user_id, lower(t.login), t.login, true, ${asOf}::timestamptz
          from unnest(${part.map((p) => p.slug)}::text[], ${part.map((p) => p.id)}::bigint[], ${part.map((p) => p.login)}::text[])
            as t(slug, user_id, login)
        on conflict (org, team_slug, user_id) do update
          set login_key = excluded.login_key, login = excluded.login, present = true, source_at = excluded.source_at
          where org_team_members.source_at <= excluded.source_at`.execute(trx);
    }
    await sql`update org_team_members set present = false, source_at = ${asOf}::timestamptz
               where org = ${org} and present and source_at < ${asOf}::timestamptz`.execute(trx);

    await markSynced(trx, org, { members_synced_at: asOf });
  });
}

/** Records that a member joined (or changed role) or left, as of the event's time. */
export async function setMember(
  db: Db,
  org: string,
  member: { login: string; id: number; role?: 'admin' | 'member' },
  present: boolean,
  at: Date,
): Promise<void> {
  await sql`
    insert into org_members (org, login_key, login, user_id, role, present, source_at)
    values (${org}, lower(${member.login}), ${member.login}, ${member.id}, ${member.role ?? 'member'}, ${present}, ${at}::timestamptz)
    on conflict (org, user_id) do update
      set login_key = excluded.login_key, login = excluded.login,
          role = case when ${member.role ?? null}::text is null then org_members.role else excluded.role end,
          present = excluded.present, source_at = excluded.source_at
      where org_members.source_at <= excluded.source_at`.execute(db);
  if (!present) {
    // Leaving the organization ends every team membership too.
    await sql`update org_team_members set present = false, source_at = ${at}::timestamptz
               where org = ${org} and user_id = ${member.id} and present and source_at <= ${at}::timestamptz`.execute(db);
  }
}

/** Records that a team exists (created or edited) or was deleted, as of the event's time. */
export async function setTeam(
  db: Db,
  org: string,
  team: { slug: string; id: number; name: string; parentSlug: string | null },
  present: boolean,
  at: Date,
): Promise<void> {
  await sql`
    insert into org_teams (org, slug, team_id, name, parent_slug, present, source_at)
    values (${org}, ${team.slug}, ${team.id}, ${team.name}, ${team.parentSlug}, ${present}, ${at}::timestamptz)
    on conflict (org, slug) do update
      set team_id = excluded.team_id, name = excluded.name, parent_slug = excluded.parent_slug,
          present = excluded.present, source_at = excluded.source_at
      where org_teams.source_at <= excluded.source_at`.execute(db);
  if (!present) {
    await sql`update org_team_members set present = false, source_at = ${at}::timestamptz
               where org = ${org} and team_slug = ${team.slug} and present and source_at <= ${at}::timestamptz`.execute(db);
  }
}

/** The slug a team had when it was last seen, by id (a rename changes the slug). */
export async function teamSlugById(db: Db, org: string, teamId: number): Promise<string | undefined> {
  const row = await db
    .selectFrom('org_teams')
    .select('slug')
    .where('org', '=', org)
    .where('team_id', '=', String(teamId))
    .where('present', '=', true)
    .executeTakeFirst();
  return row?.slug;
}

/** Records a direct team membership added or removed, as of the event's time. */
export async function setTeamMembership(
  db: Db,
  org: string,
  teamSlug: string,
  member: GitHubUser,
  present: boolean,
  at: Date,
): Promise<void> {
  await sql`
    insert into org_team_members (org, team_slug, user_id, login_key, login, present, source_at)
    values (${org}, ${teamSlug}, ${member.id}, lower(${member.login}), ${member.login}, ${present}, ${at}::timestamptz)
    on conflict (org, team_slug, user_id) do update
      set login_key = excluded.login_key, login = excluded.login, present = excluded.present, source_at = excluded.source_at
      where org_team_members.source_at <= excluded.source_at`.execute(db);
}

/** Replaces an organization's Copilot seats with GitHub's current list. */
export async function replaceSeats(db: Kysely<Database>, org: string, seats: readonly CopilotSeat[], syncedAt: Date): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await trx.deleteFrom('copilot_seats').where('org', '=', org).execute();
    for (const part of chunks(seats)) {
      await sql`
        insert into copilot_seats (org, login_key, login, user_id, assigning_team_slug, created_at, last_activity_at,
                                   last_activity_editor, last_authenticated_at, pending_cancellation_date, plan_type, synced_at)
        select ${org}, lower(t.login), t.login, t.user_id, t.team, t.created_at, t.last_activity_at, t.editor,
               t.last_authenticated_at, t.pending, t.plan_type, ${syncedAt}::timestamptz
          from unnest(${part.map((s) => s.assigneeLogin)}::text[], ${part.map((s) => s.assigneeId)}::bigint[],
                      ${part.map((s) => s.assigningTeamSlug)}::text[], ${part.map((s) => s.createdAt)}::timestamptz[],
                      ${part.map((s) => s.lastActivityAt)}::timestamptz[], ${part.map((s) => s.lastActivityEditor)}::text[],
                      ${part.map((s) => s.lastAuthenticatedAt)}::timestamptz[], ${part.map((s) => s.pendingCancellationDate)}::text[],
                      ${part.map((s) => s.planType)}::text[])
            as t(login, user_id, team, created_at, last_activity_at, editor, last_authenticated_at, pending, plan_type)
        on conflict (org, user_id) do nothing`.execute(trx);
    }
    await markSynced(trx, org, { seats_synced_at: syncedAt });
  });
  await refreshSeatStatistics(db, seats.length);
}

/** Seat lists below this size are read and updated fast whatever plan PostgreSQL picks. */
const STATISTICS_MIN_SEATS = 1000;

/**
 * Analyzes `copilot_seats` when its statistics cannot know this organization's seats: never
 * analyzed (a new database), or counting fewer rows in the whole table than half this
 * organization's. Without them PostgreSQL guesses an organization holds a few hundred rows and
 * updates a batch of cancellations by scanning all of the organization's seats (10-25 ms a batch at
 * 60,000 seats, against under 1 ms through the primary key). Autovacuum would catch up within
 * minutes, after the first reconciliation of a large organization had paid for it.
 */
async function refreshSeatStatistics(db: Kysely<Database>, seats: number): Promise<void> {
  if (seats < STATISTICS_MIN_SEATS) return;
  const { rows } = await sql<{ reltuples: number }>`select reltuples::float8 as reltuples from pg_class where oid = 'copilot_seats'::regclass`.execute(db);
  const known = rows[0]?.reltuples ?? -1;
  if (known < 0 || known < seats / 2) await sql`analyze copilot_seats`.execute(db);
}

/**
 * Records the seats a plan added and cancelled, until the next sync reads GitHub's own view.
 * Cancellations name the login of the seat list this run read; an add without a known user id
 * cannot be keyed and waits for that sync.
 */
export async function recordAppliedSeatChanges(
  db: Db,
  org: string,
  changes: { added: readonly { login: string; userId: number | null }[]; cancelled: readonly string[] },
  at: Date,
  planType: SeatPlanType,
): Promise<void> {
  const endOfCycle = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth() + 1, 1)).toISOString().slice(0, 10);
  for (const part of chunks(changes.cancelled)) {
    await sql`update copilot_seats set pending_cancellation_date = ${endOfCycle}
               where org = ${org} and login_key = any(${part.map((l) => l.toLowerCase())}::text[])`.execute(db);
  }
  const added = changes.added.filter((a): a is { login: string; userId: number } => a.userId !== null);
  for (const part of chunks(added)) {
    await sql`
      insert into copilot_seats (org, login_key, login, user_id, assigning_team_slug, created_at, last_activity_at,
                                 last_activity_editor, last_authenticated_at, pending_cancellation_date, plan_type, synced_at)
      select ${org}, lower(t.login), t.login, t.user_id, null, ${at}::timestamptz, null, null, null, null, ${planType}, ${at}::timestamptz
        from unnest(${part.map((a) => a.login)}::text[], ${part.map((a) => a.userId)}::bigint[]) as t(login, user_id)
      on conflict (org, user_id) do update set pending_cancellation_date = null`.execute(db);
  }
}

/** Records an organization's Copilot billing settings. */
export async function upsertBilling(
  db: Db,
  org: string,
  billing: { seatManagementSetting: string; planType: string | null; seatBreakdown: unknown },
  syncedAt: Date,
): Promise<void> {
  const values = {
    org,
    seat_management_setting: billing.seatManagementSetting,
    plan_type: billing.planType,
    seat_breakdown: JSON.stringify(billing.seatBreakdown ?? {}),
    synced_at: syncedAt,
  };
  await db
    .insertInto('copilot_billing')
    .values(values)
    .onConflict((oc) => oc.column('org').doUpdateSet(values))
    .execute();
}

async function markSynced(
  db: Db,
  org: string,
  fields: { members_synced_at?: Date; seats_synced_at?: Date },
): Promise<void> {
  await db
    .insertInto('org_sync_state')
    .values({ org, ...fields, last_error: null, updated_at: new Date() })
    .onConflict((oc) => oc.column('org').doUpdateSet({ ...fields, last_error: null, updated_at: new Date() }))
    .execute();
}

/** When the organization's members and seats were last fully synced. */
export async function readSyncState(
  db: Db,
  org: string,
): Promise<{ membersSyncedAt: Date | null; seatsSyncedAt: Date | null } | undefined> {
  const row = await db.selectFrom('org_sync_state').selectAll().where('org', '=', org).executeTakeFirst();
  return row ? { membersSyncedAt: row.members_synced_at, seatsSyncedAt: row.seats_synced_at } : undefined;
}

/**
 * How far the mirror's member list can be trusted for a plan made from it alone: complete once a
 * full sync of members and teams has completed (webhooks keep it current since), as of that sync.
 */
export async function mirrorMembership(db: Db, org: string): Promise<{ complete: boolean; asOf: string | null }> {
  const synced = (await readSyncState(db, org))?.membersSyncedAt ?? null;
  return { complete: synced !== null, asOf: synced === null ? null : new Date(synced).toISOString() };
}

/** A timestamptz column as `Date.prototype.toISOString()` spells it (UTC, milliseconds). */
function isoText(column: 'created_at' | 'last_activity_at' | 'last_authenticated_at') {
  return sql<string | null>`to_char(${sql.ref(column)} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
}

const SETTINGS: readonly SeatManagementSetting[] = ['assign_all', 'assign_selected', 'disabled', 'unconfigured'];

/**
 * Direct team memberships of present members, each named by the member's current login: the
 * membership is keyed by user id, so a member's rename carries over to their teams.
 */
export async function presentTeamMemberships(db: Db, org: string): Promise<{ team_slug: string; login: string }[]> {
  return db
    .selectFrom('org_team_members as t')
    .innerJoin('org_members as m', (join) => join.onRef('m.org', '=', 't.org').onRef('m.user_id', '=', 't.user_id'))
    .select(['t.team_slug', 'm.login'])
    .where('t.org', '=', org)
    .where('t.present', '=', true)
    .where('m.present', '=', true)
    .execute();
}

/** Finds people by login through the mirror: the current seat list first, then members. */
export async function resolveUserIds(db: Db, org: string, logins: readonly string[]): Promise<Map<string, number>> {
  const keys = [...new Set(logins.map((l) => l.toLowerCase()))];
  const ids = new Map<string, number>();
  if (keys.length === 0) return ids;
  const [members, seats] = await Promise.all([
    db.selectFrom('org_members').select(['login_key', 'user_id']).where('org', '=', org).where('login_key', 'in', keys).orderBy('present').orderBy('source_at').execute(),
    db.selectFrom('copilot_seats').select(['login_key', 'user_id']).where('org', '=', org).where('login_key', 'in', keys).execute(),
  ]);
  // Later rows win: present members over former ones, the newest knowledge last, seats over members.
  for (const row of members) ids.set(row.login_key, Number(row.user_id));
  for (const row of seats) ids.set(row.login_key, Number(row.user_id));
  return ids;
}

/** The planner's view of an organization, read from the mirror. */
export async function loadSnapshot(db: Db, org: string, orgLogin: string = org): Promise<OrgSnapshot> {
  const [members, teams, memberships, seats, billing] = await Promise.all([
    db.selectFrom('org_members').select(['login', 'user_id', 'role']).where('org', '=', org).where('present', '=', true).execute(),
    db.selectFrom('org_teams').select(['slug', 'team_id', 'parent_slug']).where('org', '=', org).where('present', '=', true).execute(),
    presentTeamMemberships(db, org),
    // Times come as ISO text: parsing 180,000 timestamps into Dates only to print them again
    // doubled the time of reading a 60,000-seat organization.
    db
      .selectFrom('copilot_seats')
      .select([
        'login',
        'user_id',
        'assigning_team_slug',
        isoText('created_at').as('created_at'),
        isoText('last_activity_at').as('last_activity_at'),
        'last_activity_editor',
        isoText('last_authenticated_at').as('last_authenticated_at'),
        'pending_cancellation_date',
        'plan_type',
      ])
      .where('org', '=', org)
      .execute(),
    db.selectFrom('copilot_billing').selectAll().where('org', '=', org).executeTakeFirst(),
  ]);
  const teamMemberships: Record<string, string[]> = {};
  for (const m of memberships) (teamMemberships[m.team_slug] ??= []).push(m.login);
  const setting = billing?.seat_management_setting as SeatManagementSetting | undefined;
  return {
    org: orgLogin,
    members: members.map((m) => ({ login: m.login, id: Number(m.user_id), role: m.role })),
    teams: teams.map((t) => ({ slug: t.slug, id: Number(t.team_id), parentSlug: t.parent_slug })),
    teamMemberships,
    seats: seats.map((s) => ({
      assigneeLogin: s.login,
      assigneeId: Number(s.user_id),
      assigningTeamSlug: s.assigning_team_slug,
      createdAt: s.created_at!,
      lastActivityAt: s.last_activity_at,
      lastActivityEditor: s.last_activity_editor,
      lastAuthenticatedAt: s.last_authenticated_at,
      pendingCancellationDate: s.pending_cancellation_date,
      planType: s.plan_type === 'business' || s.plan_type === 'enterprise' ? s.plan_type : 'unknown',
    })),
    billing: { seatManagementSetting: setting && SETTINGS.includes(setting) ? setting : 'unconfigured' },
  };
}
