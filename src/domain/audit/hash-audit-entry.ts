import { createHash } from 'node:crypto';
import { type AuditEntry, type AuditEntryInput, type AuditHashFields, actorTypeOf } from './audit-entry.js';
import { canonicalJson } from './canonical-json.js';

/** The previous hash of an organization's first entry. */
export const GENESIS_HASH = '0'.repeat(64);

/** The end of an organization's chain: its last entry's seq and hash (0 and GENESIS_HASH when empty). */
export interface ChainPosition {
  seq: number;
  hash: string;
}

/** Where every chain starts. */
export const CHAIN_START: ChainPosition = { seq: 0, hash: GENESIS_HASH };

/** sha256 (hex) over the previous hash, a newline, and the canonical JSON of the entry's fields. */
export function hashAuditEntry(prevHash: string, fields: AuditHashFields): string {
  return createHash('sha256').update(`${prevHash}\n${canonicalJson(fields)}`).digest('hex');
}

/** The hashed fields of a stored entry. */
export function auditHashFields(entry: AuditEntry): AuditHashFields {
  return {
    org: entry.org,
    seq: entry.seq,
    actor: entry.actor,
    actor_type: entry.actorType,
    action: entry.action,
    target: entry.target,
    reason: entry.reason,
    details: entry.details,
    created_at: entry.createdAt.toISOString(),
  };
}

/** An entry ready to store: its hashed fields and its place in the chain. */
export interface ChainedAuditEntry {
  fields: AuditHashFields;
  prevHash: string;
  hash: string;
}

/**
 * Links new entries onto the end of an organization's chain, in the order given. Details go
 * through a canonical JSON round trip so what is hashed is exactly what the database returns.
 */
export function chainAuditEntries(
  head: ChainPosition,
  org: string,
  inputs: readonly AuditEntryInput[],
  now: Date,
): ChainedAuditEntry[] {
  const chained: ChainedAuditEntry[] = [];
  let { seq, hash } = head;
  for (const input of inputs) {
    if (input.reason.trim() === '') throw new TypeError(`audit entry ${input.action} by ${input.actor} needs a reason`);
    const at = input.at ?? now;
    if (Number.isNaN(at.getTime())) throw new TypeError(`audit entry ${input.action} by ${input.actor} has an invalid time`);
    seq += 1;
    const fields: AuditHashFields = {
      org,
      seq,
      actor: input.actor,
      actor_type: input.actorType ?? actorTypeOf(input.actor),
      action: input.action,
      target: input.target ?? null,
      reason: input.reason,
      details: JSON.parse(canonicalJson(input.details ?? {})) as Record<string, unknown>,
      created_at: at.toISOString(),
    };
    const entryHash = hashAuditEntry(hash, fields);
    chained.push({ fields, prevHash: hash, hash: entryHash });
    hash = entryHash;
  }
  return chained;
}
