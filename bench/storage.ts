// Disk growth of the inbox per million deliveries: inserts a sample of real webhook payloads
// (@octokit/webhooks-examples, fresh GUIDs) through the intake's own insert, processes them, and
// measures the deliveries table (heap, TOAST and indexes) with payloads kept and dropped.
//
//   DATABASE_URL=postgres://… npm exec -- tsx bench/storage.ts [count]   (PostgreSQL)
//   npm exec -- tsx bench/storage.ts [count]                            (embedded PGlite, in memory)
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import os from 'node:os';
import { sql } from 'kysely';
import { connectDatabase } from '../src/db/connect.js';
import { type NewDelivery, insertDeliveries, preparedDeliveryInsert } from '../src/db/deliveries.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { dropDeliveryPayloads } from '../src/db/retention.js';

const require = createRequire(import.meta.url);
const definitions = require('@octokit/webhooks-examples') as { name: string; examples: Record<string, unknown>[] }[];
const examples = definitions.flatMap((d) => d.examples.map((payload) => ({ event: d.name, payload })));

const count = Number(process.argv[2] ?? 20_000);
const schema = `bench_storage_${Date.now()}`;
const database = await connectDatabase({ databaseUrl: process.env.DATABASE_URL || undefined, dataDir: 'memory://', schema });
const { db } = database;
await migrateToLatest(db, schema);
const insert = database.pool ? preparedDeliveryInsert(database.pool) : (rows: readonly NewDelivery[]) => insertDeliveries(db, rows);

async function size(): Promise<number> {
  const result = await sql<{ bytes: string }>`select pg_total_relation_size('deliveries') as bytes`.execute(db);
  return Number(result.rows[0]!.bytes);
}
async function compact(): Promise<void> {
  await sql`vacuum full deliveries`.execute(db);
}

const empty = await size();
let payloadBytes = 0;
for (let i = 0; i < count; i += 500) {
  const rows: NewDelivery[] = [];
  for (let j = i; j < Math.min(count, i + 500); j++) {
    const { event, payload } = examples[j % examples.length]!;
    const body = JSON.stringify(payload);
    payloadBytes += Buffer.byteLength(body);
    const org = (payload.organization as { login?: string } | undefined)?.login ?? null;
    rows.push({
      id: randomUUID(),
      event,
      action: typeof payload.action === 'string' ? payload.action : null,
      installationId: (payload.installation as { id?: number } | undefined)?.id ?? null,
      org,
      repository: (payload.repository as { full_name?: string } | undefined)?.full_name ?? null,
      sender: (payload.sender as { login?: string } | undefined)?.login ?? null,
      payload: body,
      receivedAt: new Date(),
    });
  }
  await insert(rows);
}
const received = await size();
// As the worker leaves them: processed, in the processed-payload index.
await sql`update deliveries set status = 'processed', attempts = 1, processed_at = now() - interval '8 days', claimed_by = null`.execute(db);
await compact();
const processed = await size();
while ((await dropDeliveryPayloads(db, new Date(), 2000)) > 0);
await compact();
const dropped = await size();

const perMillion = (bytes: number) => `${(((bytes - empty) / count) * 1e6 / 2 ** 30).toFixed(2)} GiB`;
const perRow = (bytes: number) => `${Math.round((bytes - empty) / count)} B`;
console.log(
  JSON.stringify(
    {
      backend: database.kind,
      deliveries: count,
      distinctPayloads: examples.length,
      meanPayloadBytes: Math.round(payloadBytes / count),
      machine: `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB`,
      asInserted: { perRow: perRow(received), perMillion: perMillion(received) },
      processedPayloadKept: { perRow: perRow(processed), perMillion: perMillion(processed) },
      processedPayloadDropped: { perRow: perRow(dropped), perMillion: perMillion(dropped) },
    },
    null,
    2,
  ),
);
await sql`drop schema ${sql.id(schema)} cascade`.execute(db).catch(() => undefined);
await database.close();
