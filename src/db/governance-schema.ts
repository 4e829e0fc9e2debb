import type { ColumnType, Generated } from 'kysely';

type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;

/** A manual seat override (or an automatic one, recorded for inactivity). */
export interface SeatOverridesTable {
  id: Generated<string>;
  org: string;
  login_key: string;
  login: string;
  /** GitHub user id of the person, or null when they were unknown to the mirror when it was recorded. */
  user_id: ColumnType<string | null, number | string | null | undefined, number | string | null>;
  kind: 'grant' | 'revoke';
  /** Who recorded it: a login, `api-key:<id>`, or `ceos`. */
  actor: string;
  reason: string;
  expires_at: NullableTimestamp;
  created_at: ColumnType<Date, Date | string | undefined, never>;
  /** Set when the override is withdrawn (a later override, or a DELETE). */
  lifted_at: NullableTimestamp;
  lifted_by: string | null;
}

/** The policy file as last read from an organization's `.github` repository. */
export interface OrgPoliciesTable {
  org: string;
  /** Blob sha of the file, or null when the file is absent. */
  sha: string | null;
  ref: string | null;
  text: string | null;
  /** The validated policy, or null when absent or invalid. */
  policy: ColumnType<unknown, string | null, string | null>;
  errors: ColumnType<unknown, string | null, string | null>;
  loaded_at: ColumnType<Date, Date | string, Date | string>;
}

/** Status of a stored plan. */
export type PlanRunStatus =
  | 'planned'
  | 'applying'
  | 'applied'
  | 'partially_applied'
  | 'failed'
  | 'report_only'
  | 'blocked'
  | 'no_policy'
  | 'invalid_policy'
  /** Over the safeguard: its adds were applied, its cancellations wait for an owner's confirmation. */
  | 'awaiting_confirmation'
  /** Was awaiting confirmation until a newer plan held cancellations too; confirming it changes nothing. */
  | 'superseded'
  /** An owner confirmed its held cancellations; the plan named by `confirms_plan_id` carries them out. */
  | 'confirmed';

/** A reconciliation plan and its outcome. */
export interface PlansTable {
  id: Generated<string>;
  org: string;
  /** What asked for it: schedule, push, command, api, install, sync. */
  trigger: string;
  actor: string;
  mode: 'enforce' | 'report';
  status: PlanRunStatus;
  policy_sha: string | null;
  plan: ColumnType<unknown, string, string>;
  adds: number;
  cancels: number;
  violations: number;
  created_at: ColumnType<Date, Date | string | undefined, never>;
  finished_at: NullableTimestamp;
  /** Where the run's report goes (a check run, a command reply), as the reconcile job asked; null: nowhere. */
  report: ColumnType<unknown, string | null | undefined, string | null>;
  /** The policy file's problems when it did not validate (status `invalid_policy`), else null. */
  policy_errors: ColumnType<unknown, string | null | undefined, string | null>;
  /** The reconcile job that made the plan, to tell a live run from one a stopped process left behind. */
  job_id: ColumnType<string | null, string | null | undefined, string | null>;
  /** Cancellations held by the safeguard for an owner's confirmation. */
  held: ColumnType<number, number | undefined, number>;
  /** Login of the owner who confirmed the held cancellations, or null. */
  confirmed_by: ColumnType<string | null, string | null | undefined, string | null>;
  /** When they were confirmed, or null. */
  confirmed_at: NullableTimestamp;
  /** The newer held plan that superseded this one, or null. */
  superseded_by: ColumnType<string | null, string | null | undefined, string | null>;
  /** The held plan whose confirmation this plan carries out, or null. */
  confirms_plan_id: ColumnType<string | null, string | null | undefined, string | null>;
}

/** One seat change of a plan and its outcome on GitHub. */
export interface PlanChangesTable {
  plan_id: string;
  login_key: string;
  login: string;
  op: 'add' | 'cancel';
  status: 'pending' | 'done' | 'failed';
  attempts: Generated<number>;
  last_error: string | null;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

/** Tables of reconciliation: policies, overrides, plans. */
export interface GovernanceTables {
  seat_overrides: SeatOverridesTable;
  org_policies: OrgPoliciesTable;
  plans: PlansTable;
  plan_changes: PlanChangesTable;
}
