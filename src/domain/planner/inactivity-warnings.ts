import type { CopilotSeat, InactivityWarnings, SeatWarning, WarnedSeat, WarningClearReason } from '../plan-types.js';
import type { Policy } from '../policy/policy-schema.js';

const DAY_MS = 86_400_000;

/** What the warning rule says about one seat the inactivity rule watches. */
export interface SeatWarningVerdict {
  /** When the seat was warned, or null when this plan warns it. */
  warnedAt: string | null;
  /** Day (YYYY-MM-DD) from which the seat may be cancelled. */
  dueOn: string;
  /** The seat may not be cancelled for inactivity yet: its warning is younger than the policy's days. */
  notYetDue: boolean;
}

/** Collects the warning rule's verdicts seat by seat, then the plan's `inactivityWarnings`. */
export interface WarningTracker {
  /**
   * A wanted seat the inactivity rule applies to, unused for `days` whole days: null when it is
   * not (or no longer) in the warning window, else its warning and due date.
   */
  observe(seat: CopilotSeat, days: number): SeatWarningVerdict | null;
  /** The plan cancels this warned seat for inactivity: its warning ends with it. */
  cancelled(userId: number): void;
  /** The warnings after the plan, and those that end. */
  result(): InactivityWarnings;
}

function byLogin(a: { login: string }, b: { login: string }): number {
  const x = a.login.toLowerCase();
  const y = b.login.toLowerCase();
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * The warning rule (`inactivity.warn_before_days: N` with `revoke_after_days: R`): a seat unused
 * for more than R − N whole days will be cancelled within N days, so it is warned, once. It is
 * cancelled for inactivity only when both hold: more than R days unused, and a warning told to its
 * holder at least N days ago. Using the seat after the warning (its last activity moves past the one the warning
 * counted from) ends the warning; the next one comes only after a new period of inactivity.
 * Warnings of seats the rule no longer watches (exempt, granted by override, not wanted, team
 * assigned, pending cancellation, gone) end too.
 */
export function trackWarnings(policy: Policy, existing: readonly SeatWarning[], now: string): WarningTracker {
  const rule = policy.inactivity;
  const warnBefore = rule?.warn_before_days ?? null;
  const nowMs = Date.parse(now);
  const given = new Map(existing.map((w) => [w.userId, w]));
  const seen = new Set<number>();
  const warned = new Map<number, WarnedSeat>();
  const toWarn = new Map<number, WarnedSeat>();
  const toClear: InactivityWarnings['toClear'] = [];
  const clear = (w: SeatWarning, because: WarningClearReason) => toClear.push({ login: w.login, userId: w.userId, because });

  return {
    observe(seat, days) {
      if (rule === undefined || warnBefore === null) return null;
      const id = seat.assigneeId;
      seen.add(id);
      const since = seat.lastActivityAt ?? seat.createdAt;
      let warning = given.get(id);
      if (warning !== undefined && Date.parse(since) > Date.parse(warning.inactiveSince)) {
        clear(warning, 'activity');
        warning = undefined;
      }
      if (days <= rule.revoke_after_days - warnBefore) {
        if (warning !== undefined) clear(warning, 'not_due');
        return null;
      }
      const warnedAt = warning?.warnedAt ?? now;
      // The N days count from when the holder was told; until the comment is posted they have not
      // been, so the period has not started (it counts from now and is never over).
      const toldAt = warning?.toldAt ?? now;
      // The first run at or after both moments may cancel: more than R whole days unused, and N days since told.
      const dueMs = Math.max(Date.parse(since) + (rule.revoke_after_days + 1) * DAY_MS, Date.parse(toldAt) + warnBefore * DAY_MS);
      const dueOn = new Date(dueMs).toISOString().slice(0, 10);
      const entry: WarnedSeat = { login: seat.assigneeLogin, userId: id, inactiveDays: days, inactiveSince: since, warnedAt, dueOn };
      warned.set(id, entry);
      if (warning === undefined) toWarn.set(id, entry);
      return { warnedAt: warning?.warnedAt ?? null, dueOn, notYetDue: nowMs < dueMs };
    },
    cancelled(userId) {
      const entry = warned.get(userId);
      if (entry === undefined) return;
      warned.delete(userId);
      toWarn.delete(userId);
      toClear.push({ login: entry.login, userId, because: 'cancelled' });
    },
    result() {
      for (const w of existing) if (!seen.has(w.userId)) clear(w, 'not_applicable');
      return {
        warnBeforeDays: warnBefore,
        toWarn: [...toWarn.values()].sort(byLogin),
        warned: [...warned.values()].sort(byLogin),
        toClear: toClear.sort(byLogin),
      };
    },
  };
}
