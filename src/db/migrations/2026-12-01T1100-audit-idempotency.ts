import { type Kysely, sql } from 'kysely';

// Audit entries may carry an idempotency key (a delivery GUID, or a job and the change it made):
// an entry whose key is already in its organization's chain is not appended again, so a retried
// delivery, job or settlement never records the same fact twice. The key is not hashed (see
// docs/audit.md); the unique index is the backstop behind the check the writer makes under the
// organization's head lock. Existing entries have no key.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table audit_log add column idempotency_key text`.execute(db);
  await sql`create unique index audit_log_org_idempotency_key on audit_log (org, idempotency_key) where idempotency_key is not null`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop index audit_log_org_idempotency_key`.execute(db);
  await sql`alter table audit_log drop column idempotency_key`.execute(db);
}
