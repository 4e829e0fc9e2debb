import { type Kysely, sql } from 'kysely';

// A tenant transaction reads its installation but never writes it: the installation's `org` is
// what every org-keyed policy maps rows by, so a tenant that could change it could point itself at
// another organization's rows. Installations are recorded by the webhook handlers, as the owner.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`revoke insert, update, delete on installations from ceos_tenant`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`grant insert, update, delete on installations to ceos_tenant`.execute(db);
}
