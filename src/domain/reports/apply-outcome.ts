/** A seat change GitHub refused while applying a plan. */
export interface ApplyFailure {
  /** The user concerned. */
  login: string;
  /** What was attempted. */
  action: 'add' | 'cancel';
  /** What went wrong, for people (e.g. GitHub's error message). */
  message: string;
}

/** What applying a plan actually changed on GitHub. */
export interface ApplyOutcome {
  /** Logins whose seats were assigned. */
  added: readonly string[];
  /** Logins whose seats were cancelled. */
  cancelled: readonly string[];
  /** Changes that failed, one per user. */
  failed: readonly ApplyFailure[];
}
