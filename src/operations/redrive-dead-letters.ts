import type { Kysely } from 'kysely';
import { KEYS_AUDIT_ORG } from '../api/audit-actions.js';
import { listDeadLetterIds } from '../db/api-listings.js';
import { appendAudit } from '../db/audit-log.js';
import { replayDelivery } from '../db/deliveries.js';
import type { Database } from '../db/schema.js';

/** Most dead letters one redrive puts back in line; the outcome says when more are left. */
export const REDRIVE_BATCH = 1000;

/** Which dead letters to redrive, and who asks. */
export interface RedriveRequest {
  event?: string;
  /** Only these organizations (a filter, or an org-limited key's organizations). */
  orgs?: readonly string[];
  /** `api-key:<id>` or `cli`. */
  actor: string;
  /** Recorded with the audit entries. */
  details?: Record<string, unknown>;
}

/**
 * Puts dead letters back in line, oldest first, up to REDRIVE_BATCH, in one transaction with an
 * audit entry per organization (deliveries without one are recorded in the `_ceos` chain).
 */
export async function redriveDeadLetters(db: Kysely<Database>, request: RedriveRequest, now: Date = new Date()): Promise<{ ids: string[]; more: boolean }> {
  const candidates = await listDeadLetterIds(db, { limit: REDRIVE_BATCH + 1, ...(request.event ? { event: request.event } : {}), ...(request.orgs ? { orgs: request.orgs } : {}) });
  const batch = candidates.slice(0, REDRIVE_BATCH);
  const done = await db.transaction().execute(async (trx) => {
    const replayed: { id: string; org: string | null }[] = [];
    for (const c of batch) if ((await replayDelivery(trx, c.id)).replayed) replayed.push(c);
    const byOrg = new Map<string, string[]>();
    for (const d of replayed) byOrg.set(d.org ?? KEYS_AUDIT_ORG, [...(byOrg.get(d.org ?? KEYS_AUDIT_ORG) ?? []), d.id]);
    // Organizations in name order, so two redrives cannot deadlock on audit heads.
    for (const org of [...byOrg.keys()].sort()) {
      const ids = byOrg.get(org)!;
      await appendAudit(trx, { org, actor: request.actor, action: 'dead_letters.redriven', target: null, reason: `${ids.length} dead letters redriven`, details: { ids, ...request.details }, at: now });
    }
    return replayed;
  });
  return { ids: done.map((d) => d.id), more: candidates.length > REDRIVE_BATCH };
}
