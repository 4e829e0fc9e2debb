import type { Kysely, Transaction } from 'kysely';
import type { Policy } from '../domain/policy/policy-schema.js';
import type { PolicyError } from '../domain/policy/parse-policy.js';
import type { Database } from './schema.js';

type Db = Kysely<Database> | Transaction<Database>;

/** The policy file as last read, and what it said. */
export interface StoredPolicy {
  sha: string | null;
  ref: string | null;
  policy: Policy | null;
  errors: PolicyError[] | null;
  loadedAt: Date;
}

/** Records the policy file as read from GitHub (absent, invalid or valid). */
export async function savePolicy(
  db: Db,
  org: string,
  read: { sha: string | null; ref: string | null; text: string | null; policy: Policy | null; errors: PolicyError[] | null },
  loadedAt: Date,
): Promise<void> {
  const values = {
    org,
    sha: read.sha,
    ref: read.ref,
    text: read.text,
    policy: read.policy ? JSON.stringify(read.policy) : null,
    errors: read.errors ? JSON.stringify(read.errors) : null,
    loaded_at: loadedAt,
  };
  await db.insertInto('org_policies').values(values).onConflict((oc) => oc.column('org').doUpdateSet(values)).execute();
}

/** The policy as last read, or undefined when it was never read. */
export async function readStoredPolicy(db: Db, org: string): Promise<StoredPolicy | undefined> {
  const row = await db.selectFrom('org_policies').selectAll().where('org', '=', org).executeTakeFirst();
  if (!row) return undefined;
  return {
    sha: row.sha,
    ref: row.ref,
    policy: (row.policy as Policy | null) ?? null,
    errors: (row.errors as PolicyError[] | null) ?? null,
    loadedAt: row.loaded_at,
  };
}
