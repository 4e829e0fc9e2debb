import type { Kysely, Selectable } from 'kysely';
import { listAuditPage, listPlansPage } from '../db/api-listings.js';
import type { AuditLogTable } from '../db/audit-schema.js';
import type { Installation } from '../db/installations.js';
import { type StoredPolicy, readStoredPolicy } from '../db/policies.js';
import type { Database } from '../db/schema.js';
import { type SeatRequestRow, listSeatRequests } from '../db/seat-requests.js';

/** Installations on organizations a session may see (every one when `orgs` is null), by login. */
export async function listVisibleInstallations(db: Kysely<Database>, orgs: readonly string[] | null): Promise<Installation[]> {
  if (orgs !== null && orgs.length === 0) return [];
  let query = db.selectFrom('installations').selectAll().where('account_type', '!=', 'Enterprise').orderBy('org');
  if (orgs !== null) query = query.where('org', 'in', [...orgs]);
  return query.execute();
}

/** Stored policies of several organizations. */
export async function readPolicies(db: Kysely<Database>, orgs: readonly string[]): Promise<Map<string, StoredPolicy>> {
  const entries = await Promise.all(orgs.map(async (org) => [org, await readStoredPolicy(db, org)] as const));
  return new Map(entries.filter((e): e is readonly [string, StoredPolicy] => e[1] !== undefined));
}

/** Everything the organization page shows, read at once. */
export interface OrgPageRows {
  policy: StoredPolicy | undefined;
  heldPlans: { id: string; held: number; created_at: Date; cancels: number }[];
  recentPlans: Awaited<ReturnType<typeof listPlansPage>>;
  /** Pending seat requests: the newest PENDING_REQUEST_ROWS, shown oldest first (the longest waiting on top). */
  pendingRequests: SeatRequestRow[];
  /** Only when the session may read the audit log. */
  audit: Selectable<AuditLogTable>[] | null;
  /** Only when the session may read deliveries. */
  deliveries: { failed: number; dead: number; latest: { id: string; event: string; status: string; attempts: number; last_error: string | null; received_at: Date }[] } | null;
}

/** Pending requests the page lists; more are read through the API or `ceos requests list`. */
export const PENDING_REQUEST_ROWS = 100;

/** Reads the organization page's rows; the sensitive parts only when `sensitive` (auditor, operator, admin). */
export async function readOrgPage(db: Kysely<Database>, org: string, options: { sensitive: boolean }): Promise<OrgPageRows> {
  const [policy, heldPlans, recentPlans, pending, audit, deliveries] = await Promise.all([
    readStoredPolicy(db, org),
    db
      .selectFrom('plans')
      .select(['id', 'held', 'created_at', 'cancels'])
      .where('org', '=', org)
      .where('status', '=', 'awaiting_confirmation')
      .orderBy('created_at', 'desc')
      .execute(),
    listPlansPage(db, org, { limit: 10 }),
    listSeatRequests(db, org, { state: 'pending', limit: PENDING_REQUEST_ROWS }),
    options.sensitive ? listAuditPage(db, { orgs: [org], limit: 10 }) : Promise.resolve(null),
    options.sensitive ? readDeliveryHealth(db, org) : Promise.resolve(null),
  ]);
  // Read newest first (the index's order) and shown oldest first: the longest waiting on top.
  return { policy, heldPlans, recentPlans, pendingRequests: [...pending].reverse(), audit, deliveries };
}

async function readDeliveryHealth(db: Kysely<Database>, org: string): Promise<NonNullable<OrgPageRows['deliveries']>> {
  const [counts, latest] = await Promise.all([
    db
      .selectFrom('deliveries')
      .select(['status', (eb) => eb.fn.countAll<string>().as('n')])
      .where('org', '=', org)
      .where('status', 'in', ['failed', 'dead'])
      .groupBy('status')
      .execute(),
    db
      .selectFrom('deliveries')
      .select(['id', 'event', 'status', 'attempts', 'last_error', 'received_at'])
      .where('org', '=', org)
      .where('status', 'in', ['failed', 'dead'])
      .orderBy('received_at', 'desc')
      .limit(10)
      .execute(),
  ]);
  const count = (status: string) => Number(counts.find((c) => c.status === status)?.n ?? 0);
  return { failed: count('failed'), dead: count('dead'), latest };
}
