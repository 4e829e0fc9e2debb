import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { listAuditEntries, verifyAuditChain } from '../../src/db/audit-log.js';
import type { DatabaseHandle } from '../../src/db/connect.js';
import { listActiveOverrides } from '../../src/db/overrides.js';
import { grantSeats, revokeSeats } from '../../src/operations/seat-overrides.js';
import { backend, testDatabases } from '../helpers/database.js';

const databases = testDatabases();
let database: DatabaseHandle;
beforeEach(async () => {
  database = await databases.open();
});
afterEach(() => databases.closeAll());

describe(`manual overrides (${backend})`, () => {
  it('records grants and revokes with their actor and expiry, the newest replacing the older, all audited', async () => {
    const { db } = database;
    const t0 = new Date('2026-11-01T10:00:00Z');
    await grantSeats(db, { org: 'acme', logins: ['Alice', 'bob', 'ALICE'], actor: 'octocat', reason: 'pilot', expiresAt: new Date('2026-12-01T00:00:00Z') }, t0);
    const t1 = new Date('2026-11-02T10:00:00Z');
    await revokeSeats(db, { org: 'acme', logins: ['alice'], actor: 'api-key:k1', reason: 'left the pilot', expiresAt: null }, t1);

    const active = await listActiveOverrides(db, 'acme', t1);
    expect(active.map((o) => `${o.kind}:${o.login}:${o.actor}`).sort()).toEqual(['grant:bob:octocat', 'revoke:alice:api-key:k1']);
    // Expired overrides are no longer in force.
    expect((await listActiveOverrides(db, 'acme', new Date('2026-12-02T00:00:00Z'))).map((o) => o.login)).toEqual(['alice']);

    const audit = await listAuditEntries(db, { org: 'acme', limit: 10 });
    expect(audit.map((e) => `${e.action}:${e.target}:${e.actor}:${e.actorType}`).reverse()).toEqual([
      'override.created:Alice:octocat:user',
      'override.created:bob:octocat:user',
      'override.lifted:Alice:api-key:k1:api_key',
      'override.created:alice:api-key:k1:api_key',
    ]);
    expect((await verifyAuditChain(db, { org: 'acme' })).ok).toBe(true);
  });
});
