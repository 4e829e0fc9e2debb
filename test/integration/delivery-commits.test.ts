import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { claimDueDeliveries, extendLeases, insertDeliveries, markProcessed } from '../../src/db/deliveries.js';
import { backend, testDatabases } from '../helpers/database.js';

const databases = testDatabases();
afterEach(() => databases.closeAll());

const setting = sql<{ value: string }>`select current_setting('synchronous_commit') as value`;

// The engine's bookkeeping commits without waiting for its WAL flush; what the intake stores
// before answering GitHub always waits. Each statement runs in a transaction here so the setting
// it leaves for its commit can be read before that commit.
describe(`commit durability of the delivery engine's statements (${backend})`, () => {
  it('claims, lease extensions and completions commit without a flush; the intake insert waits for one', async () => {
    const database = await databases.open();
    const { db } = database;
    const row = { id: 'c-1', event: 'push', action: null, installationId: 7, org: 'acme', repository: null, sender: null, payload: '{}', receivedAt: new Date(Date.now() - 1000) };

    const afterInsert = await db.transaction().execute(async (trx) => {
      await insertDeliveries(trx, [row]);
      return (await setting.execute(trx)).rows[0]!.value;
    });
    expect(afterInsert).toBe('on');

    const { claimed, afterClaim } = await db.transaction().execute(async (trx) => {
      const claimed = await claimDueDeliveries(trx, { limit: 5, leaseSeconds: 30, workerId: 'w1', maxAttempts: 5 });
      return { claimed, afterClaim: (await setting.execute(trx)).rows[0]!.value };
    });
    expect(claimed.map((c) => c.id)).toEqual(['c-1']);
    expect(afterClaim).toBe('off');

    const claim = { id: 'c-1', workerId: 'w1', attempt: claimed[0]!.attempts };
    const afterExtend = await db.transaction().execute(async (trx) => {
      expect([...(await extendLeases(trx, [claim], 30))]).toEqual(['c-1']);
      return (await setting.execute(trx)).rows[0]!.value;
    });
    expect(afterExtend).toBe('off');

    const afterDone = await db.transaction().execute(async (trx) => {
      expect([...(await markProcessed(trx, [claim]))]).toEqual(['c-1']);
      return (await setting.execute(trx)).rows[0]!.value;
    });
    expect(afterDone).toBe('off');

    // The setting is the transaction's own: a statement after those commits waits again.
    expect((await setting.execute(db)).rows[0]!.value).toBe('on');
    const stored = await db.selectFrom('deliveries').select(['status', 'attempts']).where('id', '=', 'c-1').executeTakeFirstOrThrow();
    expect(stored).toEqual({ status: 'processed', attempts: 1 });
  });
});
