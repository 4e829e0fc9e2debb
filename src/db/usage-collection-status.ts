import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

/** Where an organization's usage collection stands: what `ceos usage status` and the refresh answer show. */
export interface UsageCollectionStatus {
  /** `ok`, `unavailable` (GitHub refused: see `message`), or `never` before the first run. */
  status: 'ok' | 'unavailable' | 'never';
  httpStatus: number | null;
  /** GitHub's message when unavailable, as it gave it. */
  message: string | null;
  /** Since when the status holds. */
  statusAt: Date | null;
  lastAttemptAt: Date | null;
  /** Newest day of the users report with data. */
  lastDataDay: string | null;
  /** Days of the users report collected with data and without. */
  daysWithData: number;
  daysWithoutData: number;
}

/** The organization's collection status and what has been collected. */
export async function readUsageCollectionStatus(db: Kysely<Database>, org: string): Promise<UsageCollectionStatus> {
  const [row, days] = await Promise.all([
    db.selectFrom('usage_collection').selectAll().where('org', '=', org).executeTakeFirst(),
    db
      .selectFrom('usage_report_days')
      .select((eb) => [
        eb.fn.max(eb.case().when('status', '=', 'data').then(eb.ref('day')).end()).as('last'),
        eb.fn.count<string>(eb.case().when('status', '=', 'data').then(1).end()).as('data'),
        eb.fn.count<string>(eb.case().when('status', '=', 'no_data').then(1).end()).as('no_data'),
      ])
      .where('org', '=', org)
      .where('report', '=', 'users')
      .executeTakeFirst(),
  ]);
  return {
    status: row?.status ?? 'never',
    httpStatus: row?.http_status ?? null,
    message: row?.message ?? null,
    statusAt: row?.status_at ?? null,
    lastAttemptAt: row?.last_attempt_at ?? null,
    lastDataDay: (days?.last as string | null | undefined) ?? null,
    daysWithData: Number(days?.data ?? 0),
    daysWithoutData: Number(days?.no_data ?? 0),
  };
}
