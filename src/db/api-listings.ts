import type { Kysely, Selectable } from 'kysely';
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
