import { afterEach, describe, expect, it } from 'vitest';
import { type Kysely, sql } from 'kysely';
import { appendAudit, appendAuditEntries, listAuditEntries, verifyAuditChain } from '../../src/db/audit-log.js';
import type { Database } from '../../src/db/schema.js';
import type { AuditEntryInput } from '../../src/domain/audit/audit-entry.js';
import { GENESIS_HASH } from '../../src/domain/audit/hash-audit-entry.js';
import { backend, testDatabases, uniqueSchema } from '../helpers/database.js';

const databases = testDatabases();
const openDatabase = databases.open;
afterEach(() => databases.closeAll());

function seatChanges(count: number, prefix = 'user'): AuditEntryInput[] {
  return Array.from({ length: count }, (_, i) => ({
    actor: 'schedule',
    action: i % 2 ? 'seat.cancelled' : 'seat.added',
    target: `${prefix}${i}`,
    reason: i % 2 ? 'inactive 91 days' : 'member of team copilot',
    details: { planId: '17', index: i, nested: { z: 1, a: [true, null] } },
  }));
}

/** Runs a statement with the append-only trigger off, as someone with owner rights could. */
async function tamper(db: Kysely<Database>, statement: ReturnType<typeof sql>): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await sql`alter table audit_log disable trigger audit_log_append_only`.execute(trx);
    await statement.execute(trx);
    await sql`alter table audit_log enable trigger audit_log_append_only`.execute(trx);
  });
}

describe(`audit log (${backend})`, () => {
  it('appends entries in a chain that verifies, returning the stored rows', async () => {
    const { db } = await openDatabase();
    const first = await appendAudit(db, {
      org: 'acme',
      actor: 'mona',
      action: 'override.created',
      target: 'alice',
      reason: 'needs Copilot for the migration project',
      details: { kind: 'grant', expiresAt: null },
    });
    expect(first).toMatchObject({ org: 'acme', seq: 1, actorType: 'user', prevHash: GENESIS_HASH, target: 'alice' });
    expect(first.hash).toMatch(/^[0-9a-f]{64}$/);

    const batch = await db.transaction().execute((trx) => appendAuditEntries(trx, 'acme', seatChanges(5)));
    expect(batch.map((e) => e.seq)).toEqual([2, 3, 4, 5, 6]);
    expect(batch[0]!.prevHash).toBe(first.hash);
    expect(batch.map((e) => e.target)).toEqual(['user0', 'user1', 'user2', 'user3', 'user4']);
    const ids = batch.map((e) => BigInt(e.id));
    expect([...ids].sort((a, b) => (a < b ? -1 : 1))).toEqual(ids);

    await appendAudit(db, { org: 'globex', actor: 'api-key:9', action: 'seat.added', target: 'bob', reason: 'api request' });
    expect(await appendAuditEntries(db, 'acme', [])).toEqual([]);

    const listed = await listAuditEntries(db, { org: 'acme', limit: 100 });
    expect(listed.map((e) => e.seq)).toEqual([6, 5, 4, 3, 2, 1]);
    expect(listed[5]).toEqual(first);
    expect(listed[0]!.details).toEqual({ planId: '17', index: 4, nested: { z: 1, a: [true, null] } });
    expect(await listAuditEntries(db, { limit: 2, beforeId: listed[0]!.id, action: 'seat.added' })).toHaveLength(2);

    expect(await verifyAuditChain(db)).toEqual({ ok: true, checked: 7, orgs: 2, broken: [] });
    expect(await verifyAuditChain(db, { org: 'globex' })).toMatchObject({ ok: true, checked: 1, orgs: 1 });
    expect(await verifyAuditChain(db, { org: 'nobody' })).toMatchObject({ ok: true, checked: 0 });
  });

  it('commits the entry with the change it records, or not at all', async () => {
    const { db } = await openDatabase();
    await expect(
      db.transaction().execute(async (trx) => {
        await appendAudit(trx, { org: 'acme', actor: 'mona', action: 'seat.added', target: 'alice', reason: 'r' });
        throw new Error('the seat change failed');
      }),
    ).rejects.toThrow('the seat change failed');
    expect(await listAuditEntries(db, { limit: 10 })).toEqual([]);
    const entry = await appendAudit(db, { org: 'acme', actor: 'mona', action: 'seat.added', target: 'alice', reason: 'r' });
    expect(entry.seq).toBe(1);
    expect((await verifyAuditChain(db)).ok).toBe(true);
  });

  it('writes 5,000 entries in one append and pages through them to verify', async () => {
    const { db } = await openDatabase();
    await appendAudit(db, { org: 'acme', actor: 'ceos', action: 'installation.created', reason: 'app installed' });
    const started = performance.now();
    const stored = await db.transaction().execute((trx) => appendAuditEntries(trx, 'acme', seatChanges(5000)));
    const elapsed = performance.now() - started;
    expect(stored).toHaveLength(5000);
    expect(stored[4999]!.seq).toBe(5001);
    expect(elapsed).toBeLessThan(5000);
    const result = await verifyAuditChain(db, { org: 'acme' });
    expect(result).toMatchObject({ ok: true, checked: 5001 });
  });

  it('refuses UPDATE, DELETE and TRUNCATE with a clear message', async () => {
    const { db } = await openDatabase();
    await appendAudit(db, { org: 'acme', actor: 'mona', action: 'seat.added', target: 'alice', reason: 'r' });
    await expect(sql`update audit_log set reason = 'changed'`.execute(db)).rejects.toThrow('audit_log is append-only: UPDATE is not allowed');
    await expect(sql`delete from audit_log`.execute(db)).rejects.toThrow('audit_log is append-only: DELETE is not allowed');
    await expect(sql`delete from audit_log where false`.execute(db)).rejects.toThrow('append-only');
    await expect(sql`truncate audit_log`.execute(db)).rejects.toThrow('audit_log is append-only: TRUNCATE is not allowed');
    const [entry] = await listAuditEntries(db, { limit: 10 });
    expect(entry!.reason).toBe('r');
    expect((await verifyAuditChain(db)).ok).toBe(true);
  });

  it('names the first broken entry when a row is changed behind the trigger', async () => {
    const { db } = await openDatabase();
    await appendAuditEntries(db, 'acme', seatChanges(10));
    await appendAuditEntries(db, 'globex', seatChanges(3));
    const target = (await listAuditEntries(db, { org: 'acme', limit: 100 })).find((e) => e.seq === 4)!;

    await tamper(db, sql`update audit_log set reason = 'member of team leadership' where org = 'acme' and seq = 4`);
    const result = await verifyAuditChain(db);
    expect(result.ok).toBe(false);
    expect(result.firstBroken).toMatchObject({ org: 'acme', seq: 4, id: target.id, problem: 'hash mismatch' });
    expect(result.broken).toHaveLength(1);
    expect(result.checked).toBe(4 + 3);
    expect((await verifyAuditChain(db, { org: 'globex' })).ok).toBe(true);
  });

  it('finds a removed entry, a rewritten hash and a removed tail', async () => {
    const { db } = await openDatabase();
    await appendAuditEntries(db, 'a-removed', seatChanges(5));
    await appendAuditEntries(db, 'b-rehashed', seatChanges(5));
    await appendAuditEntries(db, 'c-truncated', seatChanges(5));
    await tamper(db, sql`delete from audit_log where org = 'a-removed' and seq = 3`);
    await tamper(db, sql`update audit_log set hash = repeat('a', 64) where org = 'b-rehashed' and seq = 2`);
    await tamper(db, sql`delete from audit_log where org = 'c-truncated' and seq >= 4`);

    const result = await verifyAuditChain(db);
    expect(result.broken.map((b) => [b.org, b.seq, b.problem])).toEqual([
      ['a-removed', 4, 'sequence gap'],
      ['b-rehashed', 2, 'hash mismatch'],
      ['c-truncated', 5, 'head mismatch'],
    ]);
    expect(result.firstBroken).toEqual(result.broken[0]);
  });

  it('bypassed with session_replication_role, tampering is still found', async () => {
    const { db } = await openDatabase();
    await appendAuditEntries(db, 'acme', seatChanges(3));
    await db.connection().execute(async (conn) => {
      await sql`set session_replication_role = replica`.execute(conn);
      await sql`update audit_log set target = 'mallory' where seq = 2`.execute(conn);
      await sql`set session_replication_role = origin`.execute(conn);
    });
    expect((await verifyAuditChain(db)).firstBroken).toMatchObject({ org: 'acme', seq: 2, problem: 'hash mismatch' });
  });

  it('keeps one gapless chain per org under concurrent writers', async () => {
    const schema = uniqueSchema();
    // On PostgreSQL, two instances with pools of their own; on PGlite, the one connection.
    const instances = backend === 'postgres' ? [await openDatabase(schema, 8), await openDatabase(schema, 8)] : [await openDatabase(schema)];
    const writers = Array.from({ length: 24 }, (_, i) => {
      const { db } = instances[i % instances.length]!;
      const org = i % 3 === 0 ? 'globex' : 'acme';
      return db.transaction().execute(async (trx) => {
        const entries = await appendAuditEntries(trx, org, seatChanges(1 + (i % 4), `w${i}-`));
        // Work after the append keeps the head locked while other writers queue behind it.
        await sql`select count(*) from generate_series(1, 20000)`.execute(trx);
        return entries;
      });
    });
    const results = await Promise.all(writers);
    const written = results.flat();
    const acme = written.filter((e) => e.org === 'acme').map((e) => e.seq).sort((a, b) => a - b);
    expect(acme).toEqual(Array.from({ length: acme.length }, (_, i) => i + 1));
    const globex = written.filter((e) => e.org === 'globex').map((e) => e.seq).sort((a, b) => a - b);
    expect(globex).toEqual(Array.from({ length: globex.length }, (_, i) => i + 1));
    expect(await verifyAuditChain(instances[0]!.db)).toMatchObject({ ok: true, checked: written.length, orgs: 2 });
  });
});
