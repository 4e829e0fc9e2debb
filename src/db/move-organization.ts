import { type Transaction, sql } from 'kysely';
import { appendAuditEntries } from './audit-log.js';
import type { AuditEntry } from '../domain/audit/audit-entry.js';
import { orgKey } from './installations.js';
import type { Database } from './schema.js';

/**
 * Tables whose rows belong to one organization under its key and move with it when it is renamed.
 * Mirror tables are a copy of GitHub, and the warning state is kept per organization: rows
 * another organization left under the new key are replaced. The others are history and simply move. The audit log is not here: its entries keep
 * the key they were written under (see `moveOrganization`).
 */
const MIRROR_TABLES = ['org_members', 'org_teams', 'org_team_members', 'copilot_seats', 'copilot_billing', 'org_sync_state', 'org_policies', 'seat_warnings', 'warning_issues'] as const;
const HISTORY_TABLES = ['seat_overrides', 'plans', 'commands', 'seat_requests'] as const;

/** What a rename moved. */
export interface MovedOrganization {
  /** The key rows were under. */
  fromKey: string;
  /** The key they are under now. */
  toKey: string;
  /** Rows moved per table. */
  moved: Record<string, number>;
  /** The entries closing the old audit chain and opening (or continuing) the new one. */
  audit: { closing: AuditEntry; opening: AuditEntry };
}

/**
 * Moves an organization's installation, mirror, policy, overrides, plans and commands from its
 * old key to the key of its new login, in the caller's transaction.
 *
 * The audit log is append-only and hash-chained per key, so its entries stay where they are and
 * keep the login as it was then. The old chain ends with an `organization.renamed` entry naming
 * the new login; the new key's chain gets an `organization.renamed` entry naming the old login and
 * the old chain's last seq and hash, which links the two. Both chains verify on their own.
 */
export async function moveOrganization(
  trx: Transaction<Database>,
  move: { fromKey: string; toLogin: string; fromLogin: string; accountId: number; installationId: number; actor: string; at: Date },
): Promise<MovedOrganization> {
  const toKey = orgKey(move.toLogin);
  const moved: Record<string, number> = {};
  if (toKey !== move.fromKey) {
    for (const table of MIRROR_TABLES) {
      await sql`delete from ${sql.table(table)} where org = ${toKey}`.execute(trx);
      const result = await sql`update ${sql.table(table)} set org = ${toKey} where org = ${move.fromKey}`.execute(trx);
      moved[table] = Number(result.numAffectedRows ?? 0);
    }
    for (const table of HISTORY_TABLES) {
      const result = await sql`update ${sql.table(table)} set org = ${toKey} where org = ${move.fromKey}`.execute(trx);
      moved[table] = Number(result.numAffectedRows ?? 0);
    }
  }
  const installations = await trx
    .updateTable('installations')
    .set({ org: toKey, account_login: move.toLogin, updated_at: move.at })
    .where('account_id', '=', String(move.accountId))
    .executeTakeFirst();
  moved.installations = Number(installations.numUpdatedRows);

  const details = { from: move.fromLogin, to: move.toLogin, fromKey: move.fromKey, toKey, accountId: move.accountId, installationId: move.installationId };
  const [closing] = await appendAuditEntries(trx, move.fromKey, [
    {
      actor: move.actor,
      action: 'organization.renamed',
      target: move.toLogin,
      reason:
        toKey === move.fromKey
          ? `organization renamed from ${move.fromLogin} to ${move.toLogin}`
          : `organization renamed from ${move.fromLogin} to ${move.toLogin}; its audit trail continues under ${toKey}`,
      details: { ...details, moved },
      at: move.at,
    },
  ]);
  const opening =
    toKey === move.fromKey
      ? closing!
      : (
          await appendAuditEntries(trx, toKey, [
            {
              actor: move.actor,
              action: 'organization.renamed',
              target: move.fromLogin,
              reason: `organization renamed from ${move.fromLogin} to ${move.toLogin}; earlier entries are under ${move.fromKey}`,
              details: { ...details, previousChain: { org: move.fromKey, seq: closing!.seq, hash: closing!.hash } },
              at: move.at,
            },
          ])
        )[0]!;
  return { fromKey: move.fromKey, toKey, moved, audit: { closing: closing!, opening } };
}
