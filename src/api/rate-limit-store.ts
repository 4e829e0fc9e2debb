import { type Kysely, sql } from 'kysely';
import type { Database } from '../db/schema.js';

type Callback = (error: Error | null, result?: { current: number; ttl: number }) => void;

/** The store interface @fastify/rate-limit calls: count a request, read a count, one store per route. */
interface RateLimitStore {
  incr(key: string, callback: Callback, timeWindow: number, max: number): void;
  read(key: string, callback: Callback, timeWindow: number, max: number): void;
  child(routeOptions: unknown): RateLimitStore;
}

/**
 * Rate-limit counters in the database, so every instance counts against the same limit: one
 * upsert per request opens a window, or counts in the one open, on the database's clock. Rows of
 * windows long over are deleted by whichever instance notices first, at most once a window each.
 */
export function databaseRateLimitStore(db: Kysely<Database>): new (options: unknown) => RateLimitStore {
  let lastPrune = 0;
  const prune = (timeWindow: number) => {
    const now = Date.now();
    if (now - lastPrune < timeWindow) return;
    lastPrune = now;
    void sql`delete from api_rate_limits where window_start < now() - ${timeWindow} * interval '1 millisecond'`.execute(db).catch(() => {
      // Kept for the next window: a stale row only costs space, and the next upsert resets it.
    });
  };
  class DatabaseRateLimitStore implements RateLimitStore {
    incr(key: string, callback: Callback, timeWindow: number): void {
      const window = sql`${timeWindow} * interval '1 millisecond'`;
      sql<{ count: number; ttl: number }>`
        insert into api_rate_limits as r (key, count, window_start) values (${key}, 1, now())
        on conflict (key) do update set
          count = case when r.window_start + ${window} <= now() then 1 else r.count + 1 end,
          window_start = case when r.window_start + ${window} <= now() then now() else r.window_start end
        returning count, ceil(greatest(0, extract(epoch from r.window_start + ${window} - now()) * 1000))::integer as ttl`
        .execute(db)
        .then((result) => {
          const row = result.rows[0]!;
          callback(null, { current: Number(row.count), ttl: Number(row.ttl) });
          prune(timeWindow);
        }, (error: Error) => callback(error));
    }

    read(key: string, callback: Callback, timeWindow: number): void {
      sql<{ count: number; ttl: number }>`
        select count, ceil(greatest(0, extract(epoch from window_start + ${timeWindow} * interval '1 millisecond' - now()) * 1000))::integer as ttl
          from api_rate_limits where key = ${key} and window_start + ${timeWindow} * interval '1 millisecond' > now()`
        .execute(db)
        .then((result) => {
          const row = result.rows[0];
          callback(null, row ? { current: Number(row.count), ttl: Number(row.ttl) } : { current: 0, ttl: 0 });
        }, (error: Error) => callback(error));
    }

    child(): RateLimitStore {
      // Every route counts in the same rows: the limits are per key and per address, not per route.
      return this;
    }
  }
  return DatabaseRateLimitStore;
}
