/** The first day GitHub has usage reports for. */
export const FIRST_REPORT_DAY = '2025-10-10';
/** Days back GitHub keeps reports for. */
export const REPORT_HISTORY_DAYS = 365;
/** Days collected on the first run (and backfilled on install). */
export const FIRST_RUN_DAYS = 28;

const DAY_MS = 86_400_000;

/** `YYYY-MM-DD` of a moment, in UTC (GitHub's report days are UTC days). */
export function utcDay(at: Date): string {
  return at.toISOString().slice(0, 10);
}

/** The day `n` days after `day` (negative: before). */
export function addDays(day: string, n: number): string {
  return utcDay(new Date(Date.parse(`${day}T00:00:00Z`) + n * DAY_MS));
}

/** Every day from `from` to `to`, both included. */
export function daysBetween(from: string, to: string): string[] {
  const days: string[] = [];
  for (let d = from; d <= to; d = addDays(d, 1)) days.push(d);
  return days;
}

/** The days a collection run asks for, or why it asks for none. */
export type CollectionDays = { ok: true; from: string; to: string; days: string[] } | { ok: false; problem: string };

/**
 * Which days to collect (DECISIONS 14). Asked for explicitly (`from`/`to`): those days. Otherwise
 * from the last day that had data (collected again: GitHub may have completed it since) or, on
 * the first run, 28 days back, up to yesterday: a day GitHub has not published yet answers "no
 * data" and is asked again next run, because only days with data move the start. Either way the
 * range is cut to what GitHub keeps: from 2025-10-10, at most a year back, never today or later.
 */
export function collectionDays(input: { now: Date; lastDataDay: string | null; from?: string; to?: string }): CollectionDays {
  const today = utcDay(input.now);
  const yesterday = addDays(today, -1);
  const oldest = [FIRST_REPORT_DAY, addDays(today, -REPORT_HISTORY_DAYS)].sort().at(-1)!;
  const from = input.from ?? input.lastDataDay ?? addDays(today, -FIRST_RUN_DAYS);
  const to = input.to ?? yesterday;
  if (from > to) return { ok: false, problem: `from (${from}) is after to (${to})` };
  if (to > yesterday) return { ok: false, problem: `to (${to}) is not a finished day: GitHub publishes a day's report after it ends (the newest possible is ${yesterday})` };
  if (to < oldest) return { ok: false, problem: `GitHub keeps usage reports from ${oldest} only (from ${FIRST_REPORT_DAY}, at most ${REPORT_HISTORY_DAYS} days back)` };
  const start = from < oldest ? oldest : from;
  return { ok: true, from: start, to, days: daysBetween(start, to) };
}
