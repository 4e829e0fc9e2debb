import { type Kysely, type Selectable, sql } from 'kysely';
import type { AuditLogTable } from './audit-schema.js';
import type { Database, DeliveryStatus } from './schema.js';

/** Where a newest-first page continues: below this time and id. */
export interface KeysetPosition {
  at: Date;
  id: string;
}

/** A page of an organization's plans, newest first (fetch `limit + 1` to learn whether more follow). */
export async function listPlansPage(db: Kysely<Database>, org: string, options: { limit: number; after?: KeysetPosition; status?: string }) {
  let query = db
    .selectFrom('plans')
    .select(['id', 'org', 'trigger', 'actor', 'mode', 'status', 'policy_sha', 'adds', 'cancels', 'violations', 'held', 'created_at', 'finished_at', 'confirmed_by', 'confirmed_at', 'superseded_by', 'confirms_plan_id'])
    .where('org', '=', org)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(options.limit);
  if (options.status !== undefined) query = query.where('status', '=', options.status as never);
  const after = options.after;
  if (after) query = query.where((eb) => eb.or([eb('created_at', '<', after.at), eb.and([eb('created_at', '=', after.at), eb('id', '<', after.id)])]));
  return query.execute();
}

/** Which deliveries to list. */
export interface DeliveryPageFilter {
  status?: DeliveryStatus;
  event?: string;
  /** Only deliveries of these organizations (an org-limited key), when given. */
  orgs?: readonly string[];
  limit: number;
  after?: KeysetPosition;
}

/** A page of deliveries, newest first, without payloads. */
export async function listDeliveriesPage(db: Kysely<Database>, filter: DeliveryPageFilter) {
  let query = db
    .selectFrom('deliveries')
    .select(['id', 'event', 'action', 'installation_id', 'org', 'repository', 'sender', 'received_at', 'status', 'attempts', 'last_error', 'next_attempt_at', 'processed_at'])
    .orderBy('received_at', 'desc')
    .orderBy('id', 'desc')
    .limit(filter.limit);
  if (filter.status) query = query.where('status', '=', filter.status);
  if (filter.event) query = query.where('event', '=', filter.event);
  if (filter.orgs) query = filter.orgs.length === 0 ? query.where('org', 'is', null).where('org', 'is not', null) : query.where('org', 'in', [...filter.orgs]);
  const after = filter.after;
  if (after) query = query.where((eb) => eb.or([eb('received_at', '<', after.at), eb.and([eb('received_at', '=', after.at), eb('id', '<', after.id)])]));
  return query.execute();
}

/** Dead letters matching a filter, oldest first: what a redrive puts back in line. */
export async function listDeadLetterIds(db: Kysely<Database>, filter: { event?: string; orgs?: readonly string[]; limit: number }): Promise<{ id: string; org: string | null }[]> {
  let query = db.selectFrom('deliveries').select(['id', 'org']).where('status', '=', 'dead').orderBy('received_at').orderBy('id').limit(filter.limit);
  if (filter.event) query = query.where('event', '=', filter.event);
  if (filter.orgs) query = filter.orgs.length === 0 ? query.where('org', 'is', null).where('org', 'is not', null) : query.where('org', 'in', [...filter.orgs]);
  return query.execute();
}

/** Which audit entries to list. */
export interface AuditPageFilter {
  /** Only these organizations; undefined for all. */
  orgs?: readonly string[];
  actor?: string;
  action?: string;
  from?: Date;
  to?: Date;
  /** Entries older (lower id) than this. */
  beforeId?: string;
  limit: number;
}

/** A page of audit entries, newest first, as stored. */
export async function listAuditPage(db: Kysely<Database>, filter: AuditPageFilter): Promise<Selectable<AuditLogTable>[]> {
  if (filter.orgs?.length === 0) return [];
  let query = db.selectFrom('audit_log').selectAll().orderBy('id', 'desc').limit(filter.limit);
  if (filter.orgs) query = query.where('org', 'in', [...filter.orgs]);
  if (filter.actor !== undefined) query = query.where('actor', '=', filter.actor);
  if (filter.action !== undefined) query = query.where('action', '=', filter.action);
  if (filter.from !== undefined) query = query.where('created_at', '>=', filter.from as never);
  if (filter.to !== undefined) query = query.where('created_at', '<', filter.to as never);
  if (filter.beforeId !== undefined) query = query.where('id', '<', filter.beforeId as never);
  return query.execute();
}

/** A page of installations on organizations, in key order, after `afterOrg`, within `orgs` when given. */
export async function listInstallationsPage(db: Kysely<Database>, options: { limit: number; afterOrg?: string; orgs?: readonly string[] }) {
  if (options.orgs?.length === 0) return [];
  let query = db.selectFrom('installations').selectAll().where('account_type', '!=', 'Enterprise').orderBy('org').limit(options.limit);
  if (options.afterOrg !== undefined) query = query.where('org', '>', options.afterOrg);
  if (options.orgs) query = query.where('org', 'in', [...options.orgs]);
  return query.execute();
}

/** An organization's newest plan, and the plans awaiting confirmation (newest first): the summary's plan facts. */
export async function planFacts(db: Kysely<Database>, org: string) {
  const [last, held] = await Promise.all([
    db.selectFrom('plans').select(['id', 'status', 'trigger', 'created_at', 'finished_at']).where('org', '=', org).orderBy('created_at', 'desc').limit(1).executeTakeFirst(),
    db.selectFrom('plans').select(['id', 'held', 'created_at']).where('org', '=', org).where('status', '=', 'awaiting_confirmation').orderBy('created_at', 'desc').execute(),
  ]);
  return { last, held };
}

/** Which seats to list, as SQL can filter them. */
export interface SeatPageFilter {
  limit: number;
  /** Only seats whose lower-cased login sorts after this one. */
  afterLogin?: string;
  /** Only seats whose last activity (or assignment, when never used) is at or before this time. */
  idleSince?: Date;
  /** Only seats used (or assigned) after this time and not pending cancellation. */
  usedAfter?: Date;
  pendingCancellation?: boolean;
  /** Only seats of direct members of these teams (the caller folds in child teams). */
  teamSlugs?: readonly string[];
}

/** A page of an organization's seats in login order, filtered in the database: a large organization is never loaded whole. */
export async function listSeatsPage(db: Kysely<Database>, org: string, filter: SeatPageFilter) {
  let query = db.selectFrom('copilot_seats').selectAll().where('org', '=', org).orderBy('login_key').orderBy('user_id').limit(filter.limit);
  if (filter.afterLogin !== undefined) query = query.where('login_key', '>', filter.afterLogin);
  if (filter.idleSince !== undefined) query = query.where(sql<boolean>`coalesce(last_activity_at, created_at) <= ${filter.idleSince}`);
  if (filter.usedAfter !== undefined) query = query.where(sql<boolean>`coalesce(last_activity_at, created_at) > ${filter.usedAfter}`).where('pending_cancellation_date', 'is', null);
  if (filter.pendingCancellation) query = query.where('pending_cancellation_date', 'is not', null);
  const slugs = filter.teamSlugs;
  if (slugs !== undefined) {
    if (slugs.length === 0) return [];
    query = query.where('user_id', 'in', (eb) =>
      eb.selectFrom('org_team_members').select('user_id').where('org', '=', org).where('present', '=', true).where('team_slug', 'in', [...slugs]),
    );
  }
  return query.execute();
}

/** A page of an organization's present members in login order, with whether each holds a seat. */
export async function listMembersPage(db: Kysely<Database>, org: string, options: { limit: number; afterLogin?: string }) {
  let query = db
    .selectFrom('org_members as m')
    .select(['m.login', 'm.login_key', 'm.user_id', 'm.role'])
    .select((eb) => eb.exists(eb.selectFrom('copilot_seats as s').select('s.user_id').where('s.org', '=', org).whereRef('s.user_id', '=', 'm.user_id')).as('has_seat'))
    .where('m.org', '=', org)
    .where('m.present', '=', true)
    .orderBy('m.login_key')
    .orderBy('m.user_id')
    .limit(options.limit);
  if (options.afterLogin !== undefined) query = query.where('m.login_key', '>', options.afterLogin);
  return query.execute();
}

/** An organization's seats counted: all, those idle since `idleSince` (last used or assigned at or before it), those pending cancellation. */
export async function countSeats(db: Kysely<Database>, org: string, idleSince: Date): Promise<{ held: number; idle: number; pending: number }> {
  const row = await db
    .selectFrom('copilot_seats')
    .select((eb) => [
      eb.fn.countAll<string>().as('held'),
      sql<string>`count(*) filter (where coalesce(last_activity_at, created_at) <= ${idleSince})`.as('idle'),
      sql<string>`count(*) filter (where pending_cancellation_date is not null)`.as('pending'),
    ])
    .where('org', '=', org)
    .executeTakeFirstOrThrow();
  return { held: Number(row.held), idle: Number(row.idle), pending: Number(row.pending) };
}
