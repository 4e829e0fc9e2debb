import { expect, vi } from 'vitest';
import type { Kysely } from 'kysely';
import type { Database, Delivery, DeliveryStatus } from '../../src/db/schema.js';

/** One stored delivery, or undefined. */
export async function deliveryRow(db: Kysely<Database>, id: string): Promise<Delivery | undefined> {
  return db.selectFrom('deliveries').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Waits until the delivery reaches `status`, and returns its row. */
export async function waitForDeliveryStatus(
  db: Kysely<Database>,
  id: string,
  status: DeliveryStatus,
  timeout = 20_000,
): Promise<Delivery> {
  return vi.waitFor(
    async () => {
      const row = await deliveryRow(db, id);
      expect(row?.status).toBe(status);
      return row!;
    },
    { timeout, interval: 25 },
  );
}

/** Reads one sample of a metric from Prometheus text (`name{labels} value`); 0 when absent. */
export function metricValue(text: string, sample: string): number {
  for (const line of text.split('\n')) {
    if (line.startsWith(`${sample} `)) return Number(line.slice(sample.length + 1));
  }
  return 0;
}
