import type { ColumnType, Generated } from 'kysely';

type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;

/**
 * Where a command stands: `queued` waits for the command job, `refused` waits for the refusal
 * reply, `waiting` waits for the reconciliation run that answers it, `skipped` (a line past a
 * comment's tenth) waits for the note that says so; `done` and `failed` are final.
 */
export type CommandStatus = 'queued' | 'refused' | 'waiting' | 'skipped' | 'done' | 'failed';

/** One `/copilot` line of an issue or pull request comment. */
export interface CommandsTable {
  id: Generated<string>;
  /** Organization key (lower-cased login). */
  org: string;
  installation_id: ColumnType<string, number | string, never>;
  /** Repository full name, as GitHub spells it. */
  repository: string;
  issue_number: number;
  comment_id: ColumnType<string, number | string, never>;
  /** 1-based line of the comment the command is on. */
  line: number;
  /** The line as written, trimmed. */
  source: string;
  /** Login of the comment's author, as GitHub spells it. */
  commenter: string;
  /** The command's verb, or null when the line could not be understood. */
  verb: string | null;
  /** The parsed command (JSON), or null when the line could not be understood. */
  command: ColumnType<unknown, string | null, never>;
  /** What is wrong with the line, when it could not be understood. */
  usage_error: string | null;
  status: CommandStatus;
  /** The delivery that brought the comment first. */
  delivery_id: string;
  /** When the overrides a grant or revoke recorded end. */
  expires_at: NullableTimestamp;
  reply_comment_id: ColumnType<string | null, number | string | null | undefined, number | string | null>;
  /** When posting the reply was first attempted: a retry then looks for that reply before posting. */
  reply_attempted_at: NullableTimestamp;
  /** Why the command failed, as told in its reply. */
  error: string | null;
  created_at: ColumnType<Date, Date | string | undefined, never>;
  finished_at: NullableTimestamp;
  /**
   * When a `plan` or `apply` was handed to the organization's debounced reconciliation: the
   * first run of the organization planned after this answers it.
   */
  handed_at: NullableTimestamp;
}

/** The last refusal each person was sent in an organization: refusals go out at most once per ten minutes. */
export interface CommandRefusalsTable {
  /** Organization key. */
  org: string;
  /** GitHub user id of the refused commenter. */
  user_id: ColumnType<string, number | string, number | string>;
  /** Their login when last refused. */
  login: string;
  /** When their last refusal reply was decided. */
  refused_at: ColumnType<Date, Date | string, Date | string>;
}

/** Tables of slash commands. */
export interface CommandsTables {
  commands: CommandsTable;
  command_refusals: CommandRefusalsTable;
}
