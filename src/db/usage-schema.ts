import type { ColumnType } from 'kysely';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
/** A `date` column, read as `YYYY-MM-DD` text (see `src/db/connect.ts` type parsers). */
type Day = ColumnType<string, string, string>;
type BigintId = ColumnType<string, number | string | bigint, number | string | bigint>;
type Json<T> = ColumnType<T, string, string>;
type Count = ColumnType<number, number | undefined, number>;

/** Which of GitHub's daily usage reports a row came from. */
export type UsageReportName = 'organization' | 'users' | 'user_teams';

/** Whether usage can be collected for an organization. */
export interface UsageCollectionTable {
  /** Lower-cased organization login. */
  org: string;
  /** `unavailable` when GitHub answered 403, 404 or 422 (metrics policy off, permission missing). */
  status: 'ok' | 'unavailable';
  http_status: number | null;
  /** GitHub's message, shown to people as it is. */
  message: string | null;
  status_at: Timestamp;
  last_attempt_at: NullableTimestamp;
  updated_at: Timestamp;
}

/** One report of one day, as collected: `no_data` when GitHub had no file for it (DECISIONS 14). */
export interface UsageReportDaysTable {
  org: string;
  report: UsageReportName;
  day: Day;
  status: 'data' | 'no_data';
  links: Count;
  records: Count;
  collected_at: Timestamp;
}

/** Numbers every usage row has. */
interface UsageCounts {
  interactions: Count;
  code_generations: Count;
  code_acceptances: Count;
  loc_suggested: Count;
  loc_added: Count;
}

/** The organization report of one day. */
export interface UsageOrgDaysTable extends UsageCounts {
  org: string;
  day: Day;
  daily_active_users: number | null;
  weekly_active_users: number | null;
  monthly_active_users: number | null;
  by_ide: Json<unknown> | null;
  by_feature: Json<unknown> | null;
  collected_at: Timestamp;
}

/** One user's usage on one day (users report). */
export interface UsageUserDaysTable extends UsageCounts {
  org: string;
  user_id: BigintId;
  day: Day;
  login: string;
  used_chat: ColumnType<boolean, boolean | undefined, boolean>;
  used_agent: ColumnType<boolean, boolean | undefined, boolean>;
  ide: string | null;
}

/** One team's usage on one day: users report joined with the user-teams report. */
export interface UsageTeamDaysTable extends UsageCounts {
  org: string;
  team_slug: string;
  day: Day;
  team_id: BigintId | null;
  active_users: Count;
}

/** The organization's seats as the mirror had them on a day. */
export interface SeatSnapshotsTable {
  org: string;
  day: Day;
  total: number;
  active_1d: number;
  active_7d: number;
  active_30d: number;
  never_used: number;
  pending_cancellation: number;
  by_editor: Json<Record<string, number>>;
  by_plan: Json<Record<string, number>>;
  taken_at: Timestamp;
}

/** Tables of usage analytics. */
export interface UsageTables {
  usage_collection: UsageCollectionTable;
  usage_report_days: UsageReportDaysTable;
  usage_org_days: UsageOrgDaysTable;
  usage_user_days: UsageUserDaysTable;
  usage_team_days: UsageTeamDaysTable;
  seat_snapshots: SeatSnapshotsTable;
}
