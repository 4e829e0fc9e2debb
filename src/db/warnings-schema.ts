import type { ColumnType } from 'kysely';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;

/** A seat holder warned before an inactivity cancellation; one row per person while the warning lasts. */
export interface SeatWarningsTable {
  /** Organization key (lower-cased login). */
  org: string;
  /** GitHub user id of the seat holder. */
  user_id: ColumnType<string, number | string, never>;
  /** Login as GitHub spelt it at the last plan. */
  login: string;
  /** The last activity (or assignment) the warning counted from; a later one ends the warning. */
  inactive_since: Timestamp;
  /** When the warning was given. */
  warned_at: ColumnType<Date, Date | string, never>;
  /** Day (YYYY-MM-DD) from which the seat may be cancelled, as of the last plan. */
  due_on: string;
  /** The plan that gave the warning. */
  plan_id: string | null;
  /** When the comment mentioning the holder was posted; null until it is. */
  notified_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  /** Id of that comment. */
  comment_id: ColumnType<string | null, number | string | null | undefined, number | string | null>;
}

/** The tracking issue of an organization's warned seats. */
export interface WarningIssuesTable {
  /** Organization key (lower-cased login). */
  org: string;
  /** Repository name (the policy repository). */
  repository: string;
  issue_number: number;
  state: 'open' | 'closed';
  /** The body last written, so an unchanged table is not written again. */
  body: string;
  updated_at: Timestamp;
}

/** Tables of inactivity warnings. */
export interface WarningsTables {
  seat_warnings: SeatWarningsTable;
  warning_issues: WarningIssuesTable;
}
