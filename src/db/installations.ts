import type { Kysely, Selectable, Transaction } from 'kysely';
import type { InstallationsTable, InstallationStatus } from './mirror-schema.js';
import type { Database } from './schema.js';

/** An installation row. */
export type Installation = Selectable<InstallationsTable>;

/** What an installation webhook tells about the installation. */
export interface InstallationFacts {
  id: number;
  /** Login of the organization or user; the slug of an enterprise. */
  accountLogin: string;
  accountId: number;
  accountType: string;
  repositorySelection: string | null;
  permissions: Record<string, string>;
  events: string[];
}

/** The key mirror rows use for an organization: its login, lower-cased. */
export function orgKey(login: string): string {
  return login.toLowerCase();
}

/**
 * The key an installation on an enterprise account is recorded under: `enterprise/<slug>`. A
 * slash never appears in a login, so it can never be taken for an organization's key.
 */
export function enterpriseKey(slug: string): string {
  return `enterprise/${slug.toLowerCase()}`;
}

/** The key of an installation's account: the organization (or user) key, or the enterprise key. */
function accountKey(facts: InstallationFacts): string {
  return facts.accountType === 'Enterprise' ? enterpriseKey(facts.accountLogin) : orgKey(facts.accountLogin);
}

/**
 * Records (or refreshes) an installation with the given status. A known installation keeps its
 * `org` key even when the account's login changed: only `organization.renamed` moves an
 * organization's rows to a new key (see moveOrganization), so an installation event that arrives
 * first cannot leave the installation pointing at an empty mirror.
 */
export async function upsertInstallation(
  db: Kysely<Database> | Transaction<Database>,
  facts: InstallationFacts,
  status: InstallationStatus,
): Promise<void> {
  const values = {
    id: facts.id,
    account_login: facts.accountLogin,
    org: accountKey(facts),
    account_id: facts.accountId,
    account_type: facts.accountType,
    status,
    repository_selection: facts.repositorySelection,
    permissions: JSON.stringify(facts.permissions),
    events: JSON.stringify(facts.events),
    updated_at: new Date(),
  };
  await db
    .insertInto('installations')
    .values(values)
    .onConflict((oc) =>
      oc.column('id').doUpdateSet({
        account_login: values.account_login,
        account_id: values.account_id,
        status: values.status,
        repository_selection: values.repository_selection,
        permissions: values.permissions,
        events: values.events,
        updated_at: values.updated_at,
      }),
    )
    .execute();
}

/** Changes an installation's status; returns false when it is unknown. */
export async function setInstallationStatus(
  db: Kysely<Database> | Transaction<Database>,
  id: number,
  status: InstallationStatus,
): Promise<boolean> {
  const result = await db
    .updateTable('installations')
    .set({ status, updated_at: new Date() })
    .where('id', '=', String(id))
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** The installation of an organization (the newest, should it have been reinstalled). */
export async function findInstallationByOrg(db: Kysely<Database>, org: string): Promise<Installation | undefined> {
  return db
    .selectFrom('installations')
    .selectAll()
    .where('org', '=', orgKey(org))
    .orderBy('updated_at', 'desc')
    .executeTakeFirst();
}

/**
 * The installation on a GitHub account, by the account's id, which a rename never changes (the
 * newest, should it have been reinstalled).
 */
export async function findInstallationByAccountId(db: Kysely<Database> | Transaction<Database>, accountId: number): Promise<Installation | undefined> {
  return db
    .selectFrom('installations')
    .selectAll()
    .where('account_id', '=', String(accountId))
    .orderBy('updated_at', 'desc')
    .executeTakeFirst();
}

/** An installation by id. */
export async function findInstallation(db: Kysely<Database>, id: number | string): Promise<Installation | undefined> {
  return db.selectFrom('installations').selectAll().where('id', '=', String(id)).executeTakeFirst();
}

/** Installations whose work runs: not suspended, not deleted, and on an organization. */
export async function listActiveInstallations(db: Kysely<Database>): Promise<Installation[]> {
  return db
    .selectFrom('installations')
    .selectAll()
    .where('status', '=', 'active')
    .where('account_type', '=', 'Organization')
    .orderBy('org')
    .execute();
}
