import type { CopilotSeat, SeatOverride, WarnedSeat } from '../plan-types.js';

/** What `/copilot status @user` reports about one person. */
export interface UserSeatStatus {
  /** Login as GitHub spells it (or as asked, when GitHub does not know it). */
  login: string;
  /** Whether the person is a member of the organization. */
  orgMember: boolean;
  /** Their Copilot seat, or null when they hold none. */
  seat: CopilotSeat | null;
  /** Whole days since their last activity (or since assignment when never used); null without a seat. */
  inactiveDays: number | null;
  /** The policy rules that name them, one sentence each (e.g. "granted: member of platform-sre, a child team of platform"). */
  rules: readonly string[];
  /** Overrides in force for them. */
  overrides: readonly SeatOverride[];
  /**
   * Their warning before an inactivity cancellation (`inactivity.warn_before_days`), or null. In
   * enforce mode it is the warning given; in report mode, the one enforce mode would give.
   */
  warning: WarnedSeat | null;
}
