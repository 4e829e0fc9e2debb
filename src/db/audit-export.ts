import { type Kysely, type Selectable, sql } from 'kysely';
import type { AuditLogTable } from './audit-schema.js';
import type { Database } from './schema.js';

/** An audit entry exactly as stored: what an export keeps, so its hashes can be checked again. */
export type StoredAuditEntry = Omit<Selectable<AuditLogTable>, 'created_at'> & { created_at: string };

/**
 * Reads an organization's audit chain in order, a page at a time, up to the entry that was its
 * newest when the export began (entries appended meanwhile belong to the next export).
 */
export async function* readAuditChain(db: Kysely<Database>, org: string, pageSize = 1000): AsyncGenerator<StoredAuditEntry[]> {
  const head = await db
    .selectFrom('audit_log')
    .select(sql<string | null>`max(seq)`.as('seq'))
    .where('org', '=', org)
    .executeTakeFirst();
  const last = Number(head?.seq ?? 0);
  let after = 0;
  while (after < last) {
    const rows = await db
      .selectFrom('audit_log')
      .selectAll()
      .where('org', '=', org)
      .where('seq', '>', String(after))
      .where('seq', '<=', String(last))
      .orderBy('seq')
      .limit(pageSize)
      .execute();
    if (rows.length === 0) return;
    after = Number(rows[rows.length - 1]!.seq);
    yield rows.map((row) => ({ ...row, created_at: new Date(row.created_at).toISOString() }));
  }
}
