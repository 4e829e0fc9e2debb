import type { Kysely, Transaction } from 'kysely';
import { appendAudit } from '../db/audit-log.js';
import { type OverrideRow, liftOverride } from '../db/overrides.js';
import type { Database } from '../db/schema.js';

/**
 * Lifts an override in force and audits it, in the caller's transaction (pass one to queue the
 * run that applies it in it too). Undefined when no such override is in force.
 */
export async function liftSeatOverride(
  trx: Transaction<Database> | Kysely<Database>,
  input: { org: string; id: string; actor: string; via: 'api' | 'cli' },
  now: Date = new Date(),
): Promise<OverrideRow | undefined> {
  if (!trx.isTransaction) return trx.transaction().execute((own) => liftSeatOverride(own, input, now));
  const lifted = await liftOverride(trx, input.org, input.id, input.actor, now);
  if (!lifted) return undefined;
  await appendAudit(trx, {
    org: input.org,
    actor: input.actor,
    action: 'override.lifted',
    target: lifted.login,
    reason: `lifted through the ${input.via === 'api' ? 'API' : 'CLI'} (was: ${lifted.kind}, ${lifted.reason})`,
    details: { overrideId: lifted.id, kind: lifted.kind, actor: lifted.actor, via: input.via },
    at: now,
  });
  return lifted;
}
