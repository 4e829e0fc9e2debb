import { type Kysely, type Selectable, sql } from 'kysely';
import type { AuditEntry, AuditEntryInput, NewAuditEntry } from '../domain/audit/audit-entry.js';
import { type ChainPosition, GENESIS_HASH, chainAuditEntries } from '../domain/audit/hash-audit-entry.js';
import { AuditChainVerifier, type AuditChainResult, type BrokenAuditEntry } from '../domain/audit/verify-audit-chain.js';
import type { AuditLogTable } from './audit-schema.js';
import type { Database } from './schema.js';

/** Rows read per query while verifying. */
const VERIFY_PAGE_SIZE = 1000;

function toAuditEntry(row: Selectable<AuditLogTable>): AuditEntry {
  return {
    id: row.id,
    org: row.org,
    seq: Number(row.seq),
    actor: row.actor,
    actorType: row.actor_type,
    action: row.action,
    target: row.target,
    reason: row.reason,
    details: row.details,
    createdAt: new Date(row.created_at),
    prevHash: row.prev_hash,
    hash: row.hash,
    idempotencyKey: row.idempotency_key,
  };
}

/**
 * Appends one entry to its organization's chain. Pass the transaction that makes the change the
 * entry records, so both commit or neither does. An entry whose idempotency key is already
 * recorded is not appended again: the entry recorded first is returned.
 */
export async function appendAudit(trx: Kysely<Database>, entry: NewAuditEntry): Promise<AuditEntry> {
  const { org, ...input } = entry;
  const [stored] = await appendAuditEntries(trx, org, [input]);
  if (stored) return stored;
  const existing = await trx
    .selectFrom('audit_log')
    .selectAll()
    .where('org', '=', org)
    .where('idempotency_key', '=', input.idempotencyKey ?? null)
    .executeTakeFirstOrThrow();
  return toAuditEntry(existing);
}

/**
 * Appends entries, in the order given, to one organization's chain in a single insert, and
 * returns those appended. Entries with an idempotency key already recorded for the organization
 * (or given twice) are skipped: they are not chained, so the chain holds each keyed fact once,
 * however often a retry writes it. The organization's head row stays locked until the caller's
 * transaction ends, which serializes writers across instances (and makes the key check exact: a
 * writer that took the head after another committed sees that writer's keys); a caller appending
 * to several organizations in one transaction should do so in a fixed (name) order so two of
 * them cannot deadlock. Given a plain `db`, it opens a transaction of its own.
 */
export async function appendAuditEntries(
  trx: Kysely<Database>,
  org: string,
  entries: readonly AuditEntryInput[],
): Promise<AuditEntry[]> {
  if (entries.length === 0) return [];
  if (org.trim() === '') throw new TypeError('audit entries need the organization they belong to');
  if (!trx.isTransaction) return trx.transaction().execute((own) => appendAuditEntries(own, org, entries));

  // Taking the head with an upsert locks it (or the new row) in one round trip.
  const head = await sql<{ seq: string; hash: string }>`
    insert into audit_heads (org, seq, hash) values (${org}, 0, ${GENESIS_HASH})
    on conflict (org) do update set seq = audit_heads.seq
    returning seq, hash`.execute(trx);
  const current = head.rows[0]!;
  const fresh = await withoutRecordedKeys(trx, org, entries);
  if (fresh.length === 0) return [];
  const chained = chainAuditEntries({ seq: Number(current.seq), hash: current.hash }, org, fresh, new Date());
  const keys = fresh.map((e) => e.idempotencyKey ?? null);
  const last = chained[chained.length - 1]!;

  const columns = {
    seq: [] as number[],
    actor: [] as string[],
    actorType: [] as string[],
    action: [] as string[],
    target: [] as (string | null)[],
    reason: [] as string[],
    details: [] as string[],
    createdAt: [] as string[],
    prevHash: [] as string[],
    hash: [] as string[],
  };
  for (const { fields, prevHash, hash } of chained) {
    columns.seq.push(fields.seq);
    columns.actor.push(fields.actor);
    columns.actorType.push(fields.actor_type);
    columns.action.push(fields.action);
    columns.target.push(fields.target);
    columns.reason.push(fields.reason);
    columns.details.push(JSON.stringify(fields.details));
    columns.createdAt.push(fields.created_at);
    columns.prevHash.push(prevHash);
    columns.hash.push(hash);
  }
  // Rows go in in seq order (with ordinality), so ids follow seq within the organization. Only
  // the ids come back: the rest is what was just computed, and a 5,000-entry batch should not
  // pay for reading itself back.
  const inserted = await sql<{ id: string; seq: string }>`
    with inserted as (
      insert into audit_log (org, seq, actor, actor_type, action, target, reason, details, created_at, prev_hash, hash, idempotency_key)
      select ${org}, t.seq, t.actor, t.actor_type, t.action, t.target, t.reason, t.details::jsonb, t.created_at, t.prev_hash, t.hash, t.idempotency_key
        from unnest(
          ${columns.seq}::bigint[], ${columns.actor}::text[], ${columns.actorType}::text[], ${columns.action}::text[],
          ${columns.target}::text[], ${columns.reason}::text[], ${columns.details}::text[], ${columns.createdAt}::timestamptz[],
          ${columns.prevHash}::text[], ${columns.hash}::text[], ${keys}::text[])
          with ordinality as t(seq, actor, actor_type, action, target, reason, details, created_at, prev_hash, hash, idempotency_key, n)
       order by t.n
      returning id, seq
    ), moved as (
      update audit_heads set seq = ${last.fields.seq}, hash = ${last.hash} where org = ${org}
    )
    select id, seq from inserted`.execute(trx);
  const ids = new Map(inserted.rows.map((r) => [Number(r.seq), r.id]));
  return chained.map(({ fields, prevHash, hash }, i) => ({
    id: ids.get(fields.seq)!,
    org,
    seq: fields.seq,
    actor: fields.actor,
    actorType: fields.actor_type,
    action: fields.action,
    target: fields.target,
    reason: fields.reason,
    details: fields.details,
    createdAt: new Date(fields.created_at),
    prevHash,
    hash,
    idempotencyKey: keys[i] ?? null,
  }));
}

/** The entries whose idempotency key is neither recorded for the organization nor given earlier in the batch. */
async function withoutRecordedKeys(trx: Kysely<Database>, org: string, entries: readonly AuditEntryInput[]): Promise<AuditEntryInput[]> {
  const keys = [...new Set(entries.flatMap((e) => (e.idempotencyKey === undefined ? [] : [e.idempotencyKey])))];
  if (keys.length === 0) return [...entries];
  const recorded = await sql<{ idempotency_key: string }>`
    select idempotency_key from audit_log where org = ${org} and idempotency_key = any(${keys}::text[])`.execute(trx);
  const seen = new Set(recorded.rows.map((r) => r.idempotency_key));
  return entries.filter((e) => {
    if (e.idempotencyKey === undefined) return true;
    if (seen.has(e.idempotencyKey)) return false;
    seen.add(e.idempotencyKey);
    return true;
  });
}

/** Which entries to list. */
export interface AuditListFilter {
  org?: string;
  action?: string;
  target?: string;
  /** Only entries older than this id (the next page of a newest-first listing). */
  beforeId?: string | undefined;
  limit: number;
}

/** Lists audit entries, newest first. */
export async function listAuditEntries(db: Kysely<Database>, filter: AuditListFilter): Promise<AuditEntry[]> {
  let query = db.selectFrom('audit_log').selectAll().orderBy('id', 'desc').limit(filter.limit);
  if (filter.org !== undefined) query = query.where('org', '=', filter.org);
  if (filter.action !== undefined) query = query.where('action', '=', filter.action);
  if (filter.target !== undefined) query = query.where('target', '=', filter.target);
  if (filter.beforeId != null) query = query.where('id', '<', filter.beforeId);
  return (await query.execute()).map(toAuditEntry);
}

/** The outcome of `verifyAuditChain`: the chain result plus what was covered. */
export interface AuditVerification extends AuditChainResult {
  /** Organizations whose chains were checked. */
  orgs: number;
  /** The first broken entry of each broken organization, in name order. */
  broken: BrokenAuditEntry[];
}

/** Every organization with audit entries or a head, in name order. */
async function auditedOrgs(db: Kysely<Database>): Promise<string[]> {
  // A loose index scan over (org, seq): one index probe per organization, not a pass over
  // every entry.
  const result = await sql<{ org: string }>`
    with recursive orgs as (
      (select org from audit_log order by org limit 1)
      union all
      select (select a.org from audit_log a where a.org > orgs.org order by a.org limit 1) from orgs where orgs.org is not null
    )
    select org from orgs where org is not null
    union
    select org from audit_heads
    order by org`.execute(db);
  return result.rows.map((r) => r.org);
}

/**
 * Verifies one organization's chain, or every organization's, a page at a time. Each
 * organization is read in one repeatable-read snapshot, so entries appended meanwhile neither
 * break the comparison with the head nor are half-seen.
 */
export async function verifyAuditChain(db: Kysely<Database>, options: { org?: string } = {}): Promise<AuditVerification> {
  const orgs = options.org !== undefined ? [options.org] : await auditedOrgs(db);
  const broken: BrokenAuditEntry[] = [];
  let checked = 0;
  for (const org of orgs) {
    const verifier = await db
      .transaction()
      .setIsolationLevel('repeatable read')
      .setAccessMode('read only')
      .execute(async (trx) => verifyOrg(trx, org));
    checked += verifier.checked;
    if (verifier.broken) broken.push(verifier.broken);
  }
  const result: AuditVerification = { ok: broken.length === 0, checked, orgs: orgs.length, broken };
  if (broken[0]) result.firstBroken = broken[0];
  return result;
}

async function verifyOrg(trx: Kysely<Database>, org: string): Promise<AuditChainVerifier> {
  const head = await trx.selectFrom('audit_heads').select(['seq', 'hash']).where('org', '=', org).executeTakeFirst();
  const verifier = new AuditChainVerifier(org);
  let after = 0;
  for (;;) {
    const rows = await trx
      .selectFrom('audit_log')
      .selectAll()
      .where('org', '=', org)
      .where('seq', '>', String(after))
      .orderBy('seq')
      .limit(VERIFY_PAGE_SIZE)
      .execute();
    if (!verifier.add(rows.map(toAuditEntry))) return verifier;
    if (rows.length < VERIFY_PAGE_SIZE) break;
    after = Number(rows[rows.length - 1]!.seq);
  }
  const position: ChainPosition | undefined = head ? { seq: Number(head.seq), hash: head.hash } : undefined;
  verifier.finish(position);
  return verifier;
}
