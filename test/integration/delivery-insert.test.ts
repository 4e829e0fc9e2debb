import { afterEach, describe, expect, it } from 'vitest';
import { type InsertDeliveries, type NewDelivery, insertDeliveries, preparedDeliveryInsert } from '../../src/db/deliveries.js';
import { backend, testDatabases } from '../helpers/database.js';

const databases = testDatabases();
afterEach(() => databases.closeAll());

function delivery(id: string, at: number): NewDelivery {
  return {
    id,
    event: 'push',
    action: null,
    installationId: 7,
    org: 'acme',
    repository: 'acme/app',
    sender: 'octocat',
    payload: JSON.stringify({ ref: 'refs/heads/main', quote: 'a "quoted" \\ back\\slash', id }),
    receivedAt: new Date(Date.UTC(2026, 11, 2, 0, 0, 0, at)),
  };
}

// The intake writes groups through the prepared statements on PostgreSQL and through Kysely on
// PGlite; both must store every column exactly and report only the rows that were new.
describe(`group insert of deliveries (${backend})`, () => {
  async function inserter(): Promise<{ insert: InsertDeliveries; database: Awaited<ReturnType<typeof databases.open>> }> {
    const database = await databases.open();
    const insert = database.pool ? preparedDeliveryInsert(database.pool) : (rows: readonly NewDelivery[]) => insertDeliveries(database.db, rows);
    return { insert, database };
  }

  it.each([1, 3, 4, 33, 64, 65, 130])('stores a group of %i exactly as given', async (size) => {
    const { insert, database } = await inserter();
    const rows = Array.from({ length: size }, (_, i) => delivery(`g${size}-${i}`, i));
    const inserted = await insert(rows);
    expect([...inserted].sort()).toEqual(rows.map((r) => r.id).sort());
    const stored = await database.db.selectFrom('deliveries').selectAll().orderBy('received_at').execute();
    expect(stored).toHaveLength(size);
    stored.forEach((row, i) => {
      const want = rows[i]!;
      expect({ id: row.id, event: row.event, action: row.action, installation: row.installation_id, org: row.org, repository: row.repository, sender: row.sender, payload: row.payload }).toEqual({
        id: want.id,
        event: 'push',
        action: null,
        installation: '7',
        org: 'acme',
        repository: 'acme/app',
        sender: 'octocat',
        payload: want.payload,
      });
      expect(new Date(row.received_at).getTime()).toBe(want.receivedAt.getTime());
      expect(new Date(row.next_attempt_at).getTime()).toBe(want.receivedAt.getTime());
    });
  });

  it('reports only new rows when a group repeats a stored id or itself', async () => {
    const { insert, database } = await inserter();
    await insert([delivery('seen', 0)]);
    const inserted = await insert([delivery('seen', 1), delivery('new', 2), delivery('new', 3)]);
    expect([...inserted]).toEqual(['new']);
    const ids = await database.db.selectFrom('deliveries').select(['id', 'received_at']).orderBy('id').execute();
    expect(ids.map((r) => r.id)).toEqual(['new', 'seen']);
    // The first stored copy wins: a redelivery never rewrites what was recorded.
    expect(new Date(ids[1]!.received_at).getTime()).toBe(delivery('seen', 0).receivedAt.getTime());
  });
});
