import type { ColumnType, Generated } from 'kysely';

/** What every instance knows of one installation's GitHub rate limits. */
export interface GitHubBudgetsTable {
  installation_id: ColumnType<string, number | string, never>;
  /** Until when GitHub asked for no requests of this installation (primary reset or `retry-after`). */
  blocked_until: ColumnType<Date | null, Date | string | null, Date | string | null>;
  /** `primary` or `secondary`: which limit set `blocked_until`. */
  blocked_reason: string | null;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

/** A start time reserved for one content-creating request (POST, PATCH, PUT, DELETE) of an installation. */
export interface GitHubWriteSlotsTable {
  id: Generated<string>;
  installation_id: ColumnType<string, number | string, never>;
  starts_at: ColumnType<Date, Date | string, never>;
}

/** Tables of the GitHub budget shared by instances. */
export interface GitHubBudgetTables {
  github_budgets: GitHubBudgetsTable;
  github_write_slots: GitHubWriteSlotsTable;
}
