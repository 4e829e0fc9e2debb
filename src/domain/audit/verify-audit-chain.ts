import type { AuditEntry } from './audit-entry.js';
import { CHAIN_START, type ChainPosition, auditHashFields, hashAuditEntry } from './hash-audit-entry.js';

/** Why an entry breaks its organization's chain. */
export type AuditChainProblem = 'hash mismatch' | 'broken link' | 'sequence gap' | 'head mismatch';

/** The first entry of an organization's chain that fails verification. */
export interface BrokenAuditEntry {
  org: string;
  /** The entry's seq (for a head mismatch, the seq the head records). */
  seq: number;
  /** The entry's id; null when the entry the head points at is missing. */
  id: string | null;
  problem: AuditChainProblem;
  /** What exactly does not match, for a person to follow up. */
  detail: string;
}

/** The outcome of verifying one organization's chain or several. */
export interface AuditChainResult {
  ok: boolean;
  /** Entries checked (up to and including the first broken one of each organization). */
  checked: number;
  /** The first broken entry found (organizations in name order). */
  firstBroken?: BrokenAuditEntry;
}

function short(hash: string): string {
  return hash.slice(0, 12);
}

/**
 * Checks one entry against the end of the chain before it: the seq follows on, the previous
 * hash links to it, and the stored hash matches the entry's contents.
 */
export function checkAuditEntry(previous: ChainPosition, entry: AuditEntry): BrokenAuditEntry | undefined {
  const at = { org: entry.org, seq: entry.seq, id: entry.id };
  if (entry.seq !== previous.seq + 1) {
    return { ...at, problem: 'sequence gap', detail: `expected seq ${previous.seq + 1} after ${previous.seq}, found ${entry.seq}` };
  }
  if (entry.prevHash !== previous.hash) {
    return {
      ...at,
      problem: 'broken link',
      detail: `previous hash ${short(entry.prevHash)}… does not match the hash of seq ${previous.seq} (${short(previous.hash)}…)`,
    };
  }
  const expected = hashAuditEntry(entry.prevHash, auditHashFields(entry));
  if (entry.hash !== expected) {
    return {
      ...at,
      problem: 'hash mismatch',
      detail: `stored hash ${short(entry.hash)}… does not match the entry's contents (${short(expected)}…): the entry was changed`,
    };
  }
  return undefined;
}

/**
 * Checks that the chain ends where the organization's head says: entries removed from the end,
 * or a last entry rewritten with a fresh hash, leave the head behind.
 */
export function checkAuditHead(
  org: string,
  last: ChainPosition & { id: string | null },
  head: ChainPosition | undefined,
): BrokenAuditEntry | undefined {
  if (!head) {
    if (last.seq === 0) return undefined;
    return { org, seq: last.seq, id: last.id, problem: 'head mismatch', detail: 'the organization has entries but no head row' };
  }
  if (head.seq !== last.seq) {
    const detail =
      head.seq > last.seq
        ? `the head records seq ${head.seq} but the log ends at seq ${last.seq}: entries were removed`
        : `the log continues to seq ${last.seq} past the head's seq ${head.seq}: entries were added around the log`;
    return { org, seq: head.seq, id: head.seq > last.seq ? null : last.id, problem: 'head mismatch', detail };
  }
  if (head.hash !== last.hash) {
    return {
      org,
      seq: last.seq,
      id: last.id,
      problem: 'head mismatch',
      detail: `the head records hash ${short(head.hash)}… for seq ${head.seq} but the entry has ${short(last.hash)}…: the entry was replaced`,
    };
  }
  return undefined;
}

/**
 * Incremental verification of one organization's chain, fed entries in seq order a page at a
 * time so a long chain never has to be held in memory.
 */
export class AuditChainVerifier {
  private position: ChainPosition & { id: string | null } = { ...CHAIN_START, id: null };
  /** Entries checked so far. */
  checked = 0;
  /** The first broken entry, once found; later entries are then ignored. */
  broken: BrokenAuditEntry | undefined;

  constructor(readonly org: string) {}

  /** Checks the next entries; returns false once the chain is broken. */
  add(entries: readonly AuditEntry[]): boolean {
    for (const entry of entries) {
      if (this.broken) return false;
      this.checked += 1;
      this.broken = checkAuditEntry(this.position, entry);
      this.position = { seq: entry.seq, hash: entry.hash, id: entry.id };
    }
    return !this.broken;
  }

  /** Ends verification against the organization's head; returns the first broken entry, if any. */
  finish(head: ChainPosition | undefined): BrokenAuditEntry | undefined {
    this.broken ??= checkAuditHead(this.org, this.position, head);
    return this.broken;
  }
}

/** Verifies one organization's whole chain, given in seq order, and its head. */
export function verifyAuditEntries(
  org: string,
  entries: readonly AuditEntry[],
  head: ChainPosition | undefined,
): AuditChainResult {
  const verifier = new AuditChainVerifier(org);
  verifier.add(entries);
  const broken = verifier.finish(head);
  return broken ? { ok: false, checked: verifier.checked, firstBroken: broken } : { ok: true, checked: verifier.checked };
}
