const DAY_MS = 86_400_000;

/** Days without use after which a seat counts as inactive when the policy sets no inactivity rule. */
export const DEFAULT_INACTIVE_AFTER_DAYS = 30;

/** What inactivity is measured from: the last activity, else the assignment. */
export interface SeatActivity {
  /** Last Copilot activity (ISO 8601), or null when never used. */
  lastActivityAt: string | null;
  /** When the seat was assigned (ISO 8601). */
  createdAt: string;
}

/**
 * Whole days elapsed (rounded down) since the last activity, or since the assignment when the seat
 * was never used (DECISIONS 2): the same arithmetic as the planner and the API's seat listings.
 */
export function idleDays(seat: SeatActivity, now: Date): number {
  const since = seat.lastActivityAt ?? seat.createdAt;
  return Math.max(0, Math.floor((now.getTime() - Date.parse(since)) / DAY_MS));
}

/** Inactive: idle for strictly more than the threshold (DECISIONS 2). */
export function isInactive(seat: SeatActivity, now: Date, inactiveAfterDays: number): boolean {
  return idleDays(seat, now) > inactiveAfterDays;
}

/**
 * The instant a seat's last use (or assignment) must be at or before to be inactive: more than
 * `inactiveAfterDays` whole days idle means at least `inactiveAfterDays + 1` days, so a query can
 * compare timestamps instead of counting days.
 */
export function inactiveCutoff(now: Date, inactiveAfterDays: number): Date {
  return new Date(now.getTime() - (inactiveAfterDays + 1) * DAY_MS);
}
