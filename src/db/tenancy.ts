import { type Kysely, type Transaction, sql } from 'kysely';
import type { Database } from './schema.js';

/**
 * Tenant isolation in the database (docs/architecture.md, "Tenant isolation"). Every table of the
 * CEOS schema is classified here, once: a tenant table belongs to one installation and row-level
 * security limits it to the installation a transaction is set for; a global table belongs to no
 * installation (or to several) and the tenant role cannot touch it at all. The tenant-isolation
 * test reads the schema's catalog and fails on a table missing here, so a new table cannot be
 * forgotten: classify it here and give it its policy in its migration.
 */

/** The role tenant transactions switch to: no login, no BYPASSRLS, privileges on tenant tables only (`installations` read-only). */
export const TENANT_ROLE = 'ceos_tenant';

/** The transaction-local setting that names a tenant transaction's installation. */
export const INSTALLATION_SETTING = 'ceos.installation_id';

/** How a tenant table's rows map to their installation. */
export type TenantMapping =
  /** The table's `org` column is the installation's organization key (`installations.org`). */
  | { by: 'org'; column: 'org' }
  /** The column holds the installation id itself; `readOnly`: tenants may read the rows, never write them. */
  | { by: 'installation'; column: string; readOnly?: true }
  /** The column references a row of another tenant table, whose installation the row shares. */
  | { by: 'parent'; column: string; parent: string; parentColumn: string };

const byOrg = { by: 'org', column: 'org' } as const;

/** Every tenant table and how its rows map to an installation. */
export const TENANT_TABLES: Readonly<Record<string, TenantMapping>> = {
  // Read-only to tenants: every org-keyed policy maps rows through its `org`.
  installations: { by: 'installation', column: 'id', readOnly: true },
  // The mirror.
  org_members: byOrg,
  org_teams: byOrg,
  org_team_members: byOrg,
  copilot_seats: byOrg,
  copilot_billing: byOrg,
  org_sync_state: byOrg,
  // Reconciliation.
  org_policies: byOrg,
  seat_overrides: byOrg,
  plans: byOrg,
  plan_changes: { by: 'parent', column: 'plan_id', parent: 'plans', parentColumn: 'id' },
  seat_warnings: byOrg,
  warning_issues: byOrg,
  seat_requests: byOrg,
  // Audit and outbox (an event without an organization is invisible to every tenant).
  audit_log: byOrg,
  audit_heads: byOrg,
  domain_events: byOrg,
  // Slash commands.
  commands: byOrg,
  command_refusals: byOrg,
  // Usage.
  usage_collection: byOrg,
  usage_report_days: byOrg,
  usage_org_days: byOrg,
  usage_user_days: byOrg,
  usage_team_days: byOrg,
  seat_snapshots: byOrg,
  // GitHub's rate limits are per installation.
  github_budgets: { by: 'installation', column: 'installation_id' },
  github_write_slots: { by: 'installation', column: 'installation_id' },
};

/** Every global table, with why it belongs to no single installation. */
export const GLOBAL_TABLES: Readonly<Record<string, string>> = {
  deliveries: 'a delivery is stored before its installation is verified, and the intake must not wait on a tenant lookup',
  recovery_state: "checkpoints of app-wide scans (GitHub's delivery list), not of one installation",
  api_keys: 'a key may see several organizations, or all of them',
  sessions: 'a dashboard session, like the key it was opened with, may see several organizations',
  api_rate_limits: 'counters per API key or client address, not per installation',
  notification_subscriptions: 'a subscription is an admin setting that may span organizations',
  notification_messages: "messages of a subscription; the delivery engine sends every subscription's",
  notification_attempts: 'attempts at sending a message of a (global) subscription',
  notification_fanout: 'the fan-out progress over the whole outbox',
  notification_cursor: 'the fan-out watermark over the whole outbox',
  kysely_migration: 'the migrations applied to the schema',
  kysely_migration_lock: 'the lock the migrator takes',
};

// Transactions set for an installation, so maintenance work can refuse to run inside one.
const tenantTransactions = new WeakMap<Transaction<Database>, { installationId: string; previousRole: string }>();

function installationIdOf(installationId: string | number): string {
  const id = String(installationId);
  if (!/^[1-9][0-9]{0,18}$/.test(id)) throw new TypeError(`withTenant needs an installation id (a positive integer), got ${JSON.stringify(installationId)}`);
  return id;
}

/**
 * Runs `fn` in a transaction set for one installation: `ceos.installation_id` is set for the
 * transaction and the transaction's role is `ceos_tenant`, so row-level security limits every
 * tenant table to that installation's rows (reads see no others, writes to others match nothing
 * or are refused) and global tables are refused outright. Both settings end with the transaction,
 * so a pooled connection goes back as it came. Inside a transaction already set for the same
 * installation, `fn` runs in it.
 */
export async function withTenant<T>(db: Kysely<Database>, installationId: string | number, fn: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
  const id = installationIdOf(installationId);
  if (db.isTransaction) {
    const scope = tenantTransactions.get(db as Transaction<Database>);
    if (scope?.installationId === id) return fn(db as Transaction<Database>);
    throw new Error(`withTenant(${id}) was called inside a transaction that is not set for installation ${id}; open the tenant transaction first`);
  }
  return db.transaction().execute(async (trx) => {
    // One round trip; the target list is evaluated in order, so the role is read before it changes.
    const { rows } = await sql<{ previous_role: string }>`
      select current_setting('role') as previous_role,
             set_config(${INSTALLATION_SETTING}, ${id}, true),
             set_config('role', ${TENANT_ROLE}, true)`.execute(trx);
    tenantTransactions.set(trx, { installationId: id, previousRole: rows[0]!.previous_role });
    return fn(trx);
  });
}

/**
 * Runs one step of a tenant transaction with the connection's own role, then returns to the tenant
 * role: for writes that belong in the same transaction but not to the tenant, such as queueing a
 * job in pg-boss's schema. Keep such steps to code that names what it writes.
 */
export async function outsideTenantRole<T>(trx: Transaction<Database>, fn: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
  const scope = tenantTransactions.get(trx);
  if (!scope) return fn(trx);
  const backToTenant = () => sql`select set_config('role', ${TENANT_ROLE}, true)`.execute(trx);
  await sql`select set_config('role', ${scope.previousRole}, true)`.execute(trx);
  let result: T;
  try {
    result = await fn(trx);
  } catch (error) {
    // A failed statement aborts the transaction, which then refuses this too; the step's error is what matters.
    await backToTenant().catch(() => undefined);
    throw error;
  }
  await backToTenant();
  return result;
}

/**
 * Runs cross-tenant work (the full resync, the prune, the delivery and notification engines,
 * settling plans, the API's global listings) with the connection's role: the tables' owner, to
 * which row-level security does not apply (the tables enable it without FORCE). Named so that
 * every cross-tenant path says so; refused inside a tenant transaction.
 */
export async function asMaintenance<T>(db: Kysely<Database>, fn: (db: Kysely<Database>) => Promise<T>): Promise<T> {
  if (db.isTransaction && tenantTransactions.has(db as Transaction<Database>)) {
    throw new Error('cross-tenant work cannot run inside a tenant transaction (withTenant); run it on the database handle');
  }
  return fn(db);
}

/** The installation a transaction is set for, or undefined when it is not a tenant transaction. */
export function tenantOf(db: Kysely<Database>): string | undefined {
  return db.isTransaction ? tenantTransactions.get(db as Transaction<Database>)?.installationId : undefined;
}
