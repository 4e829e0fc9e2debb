import { afterEach, describe, expect, it } from 'vitest';
import { appendAudit, appendAuditEntries, listAuditEntries, verifyAuditChain } from '../../src/db/audit-log.js';
import type { AuditEntryInput } from '../../src/domain/audit/audit-entry.js';
import { backend, testDatabaseUrl, testDatabases, uniqueSchema } from '../helpers/database.js';

const databases = testDatabases();
afterEach(() => databases.closeAll());

function added(login: string, key?: string): AuditEntryInput {
  return { actor: 'schedule', action: 'seat.added', target: login, reason: 'member of team copilot', details: { planId: 'p1' }, ...(key ? { idempotencyKey: key } : {}) };
}

describe(`audit idempotency keys (${backend})`, () => {
  it('records an entry once however often its key is written, and the chain still verifies', async () => {
    const { db } = await databases.open();
    const first = await appendAudit(db, { org: 'acme', ...added('alice', 'job-1:add:alice') });
    const again = await appendAudit(db, { org: 'acme', ...added('alice', 'job-1:add:alice') });
    expect(again).toEqual(first);
    expect(again.idempotencyKey).toBe('job-1:add:alice');

    // A retried batch: the keyed entries already written are skipped, the new ones chain on.
    const stored = await appendAuditEntries(db, 'acme', [added('alice', 'job-1:add:alice'), added('bob', 'job-1:add:bob'), added('carol')]);
    expect(stored.map((e) => [e.target, e.seq])).toEqual([
      ['bob', 2],
      ['carol', 3],
    ]);
    // The same key twice in one batch is one entry; an unkeyed entry is always appended.
    const batch = await appendAuditEntries(db, 'acme', [added('dave', 'k:dave'), added('dave', 'k:dave'), added('carol')]);
    expect(batch.map((e) => e.target)).toEqual(['dave', 'carol']);

    const entries = await listAuditEntries(db, { org: 'acme', limit: 100 });
    expect(entries.map((e) => e.target).reverse()).toEqual(['alice', 'bob', 'carol', 'dave', 'carol']);
    expect(entries.map((e) => e.seq).reverse()).toEqual([1, 2, 3, 4, 5]);
    expect(await verifyAuditChain(db)).toMatchObject({ ok: true, checked: 5 });
  });

  it('keys are per organization', async () => {
    const { db } = await databases.open();
    await appendAudit(db, { org: 'acme', ...added('alice', 'delivery-1') });
    const other = await appendAudit(db, { org: 'globex', ...added('alice', 'delivery-1') });
    expect(other).toMatchObject({ org: 'globex', seq: 1 });
    expect(await verifyAuditChain(db)).toMatchObject({ ok: true, checked: 2, orgs: 2 });
  });

  it('two writers racing with the same keys record each entry once', async () => {
    const schema = uniqueSchema();
    // Two instances' pools on PostgreSQL; the embedded database is one process's, so its writers share it.
    const one = await databases.open(schema, 2);
    const two = testDatabaseUrl ? await databases.open(schema, 2) : one;
    const keys = Array.from({ length: 50 }, (_, i) => `job-7:add:user${i}`);
    const write = (db: typeof one.db) => appendAuditEntries(db, 'acme', keys.map((k, i) => added(`user${i}`, k)));
    const [a, b] = await Promise.all([write(one.db), write(two.db)]);
    expect(a.length + b.length).toBe(50);
    const entries = await listAuditEntries(one.db, { org: 'acme', limit: 200 });
    expect(entries).toHaveLength(50);
    expect(await verifyAuditChain(one.db)).toMatchObject({ ok: true, checked: 50 });
  });
});
