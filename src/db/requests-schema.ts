import type { ColumnType, Generated } from 'kysely';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;

/** Where a seat request stands. */
export type SeatRequestState = 'pending' | 'approved' | 'declined' | 'expired';

/** A seat request made with `/copilot request`. */
export interface SeatRequestsTable {
  id: Generated<string>;
  /** Organization key (lower-cased login). */
  org: string;
  /** The requester's login as GitHub spells it. */
  login: string;
  /** Lower-cased login: one pending request per person. */
  login_key: string;
  /** The requester's GitHub user id, when the mirror knows them. */
  user_id: ColumnType<string | null, number | string | null | undefined, number | string | null>;
  /** Why they ask, in their words; null when not given. */
  reason: string | null;
  state: SeatRequestState;
  /** Repository full name and issue of the comment that asked, where the requester is told the answer. */
  repository: string | null;
  issue_number: number | null;
  comment_id: ColumnType<string | null, number | string | null | undefined, number | string | null>;
  created_at: ColumnType<Date, Date | string | undefined, never>;
  updated_at: Timestamp;
  /** Who approved or declined (a login, `api-key:<id>`, or `ceos` for automatic decisions). */
  decided_by: string | null;
  decided_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  /** Why it was decided so; null when not given. */
  decision_reason: string | null;
}

/** Tables of seat requests. */
export interface RequestsTables {
  seat_requests: SeatRequestsTable;
}
