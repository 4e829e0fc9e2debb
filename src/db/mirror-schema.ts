import type { ColumnType, Generated } from 'kysely';

type Timestamp = ColumnType<Date, Date | string, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null, Date | string | null>;
type BigintId = ColumnType<string, number | string, number | string>;

/** Installation status: work stops when it is not active. */
export type InstallationStatus = 'active' | 'suspended' | 'deleted';

/** A GitHub App installation: one organization, the tenant. */
export interface InstallationsTable {
  id: BigintId;
  /** Organization login, as GitHub spells it. */
  account_login: string;
  /**
   * Lower-cased login: the key every mirror table uses. An `organization.renamed` moves every
   * row to the new key; the installation is found by `account_id`, which never changes.
   */
  org: string;
  account_id: BigintId;
  account_type: string;
  status: InstallationStatus;
  repository_selection: string | null;
  permissions: ColumnType<unknown, string, string>;
  events: ColumnType<unknown, string, string>;
  created_at: ColumnType<Date, Date | string | undefined, never>;
  updated_at: Timestamp;
}

/**
 * Mirror rows carry the time of the event that last wrote them (`source_at`) and are soft-deleted
 * (`present` false), so a late or out-of-order webhook never overwrites newer knowledge.
 */
interface Versioned {
  present: boolean;
  source_at: Timestamp;
}

/** An organization member, keyed by GitHub user id (a rename keeps the row). */
export interface OrgMembersTable extends Versioned {
  org: string;
  /** Lower-cased login, for matching policy lists and commands; not a key. */
  login_key: string;
  /** Login as GitHub last spelled it to CEOS. */
  login: string;
  /** GitHub user id: the key. */
  user_id: BigintId;
  role: 'admin' | 'member';
}

/** A team of an organization. */
export interface OrgTeamsTable extends Versioned {
  org: string;
  slug: string;
  team_id: BigintId;
  name: string;
  parent_slug: string | null;
}

/** A direct team membership, keyed by team slug and GitHub user id. */
export interface OrgTeamMembersTable extends Versioned {
  org: string;
  team_slug: string;
  /** Lower-cased login when the membership was recorded; not a key. */
  login_key: string;
  /** Login when the membership was recorded (the member row has the current one). */
  login: string;
  /** GitHub user id of the member: the key. */
  user_id: BigintId;
}

/** A Copilot seat as GitHub last listed it, keyed by the holder's GitHub user id. */
export interface CopilotSeatsTable {
  org: string;
  /** Lower-cased login of the holder as the seat list spelled it; not a key. */
  login_key: string;
  login: string;
  /** GitHub user id of the holder (`assignee.id`): the key. */
  user_id: BigintId;
  assigning_team_slug: string | null;
  created_at: Timestamp;
  last_activity_at: NullableTimestamp;
  last_activity_editor: string | null;
  last_authenticated_at: NullableTimestamp;
  pending_cancellation_date: string | null;
  plan_type: string;
  synced_at: Timestamp;
}

/** An organization's Copilot billing settings. */
export interface CopilotBillingTable {
  org: string;
  seat_management_setting: string;
  plan_type: string | null;
  seat_breakdown: ColumnType<unknown, string, string>;
  synced_at: Timestamp;
}

/** When each part of an organization's mirror was last fully synced. */
export interface OrgSyncStateTable {
  org: string;
  members_synced_at: NullableTimestamp;
  seats_synced_at: NullableTimestamp;
  last_error: string | null;
  updated_at: Timestamp;
}

/** Tables of the organization mirror. */
export interface MirrorTables {
  installations: InstallationsTable;
  org_members: OrgMembersTable;
  org_teams: OrgTeamsTable;
  org_team_members: OrgTeamMembersTable;
  copilot_seats: CopilotSeatsTable;
  copilot_billing: CopilotBillingTable;
  org_sync_state: OrgSyncStateTable;
}

export type { Generated };
