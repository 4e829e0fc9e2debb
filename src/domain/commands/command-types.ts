/** A `--for` duration as written and in hours. */
export interface CommandDuration {
  /** The duration as the admin wrote it, normalised to lower case (e.g. `30d`). */
  text: string;
  /** The duration in hours. */
  hours: number;
}

/** The options shared by `grant` and `revoke`. */
export interface SeatOverrideCommand {
  /** Logins as written (without `@`), case-insensitively unique, in the order given. */
  logins: string[];
  /** How long the override lasts; `null` means until removed. */
  duration: CommandDuration | null;
  /** Why the admin asked; `null` when not given. */
  reason: string | null;
}

/** A parsed `/copilot` command. */
export type Command =
  | { verb: 'help' }
  | { verb: 'status'; /** The user asked about, or `null` for the org summary. */ login: string | null }
  | { verb: 'plan' }
  | { verb: 'apply' }
  | ({ verb: 'grant' } & SeatOverrideCommand)
  | ({ verb: 'revoke' } & SeatOverrideCommand)
  | { verb: 'report' }
  | { verb: 'confirm'; /** The held plan to confirm, or `null` for the newest. */ planId: string | null }
  | { verb: 'request'; /** Why the commenter asks for a seat; `null` when not given. */ reason: string | null }
  | ({ verb: 'approve' } & SeatOverrideCommand)
  | { verb: 'decline'; /** The requester (without `@`). */ login: string; /** Why; `null` when not given. */ reason: string | null };

/** The verbs `/copilot` understands. */
export type CommandVerb = Command['verb'];

/** One `/copilot` line of a comment, parsed into a command or a usage error. */
export type ParsedCommandLine =
  | {
      kind: 'command';
      /** The command the line asks for. */
      command: Command;
      /** 1-based line number in the comment body. */
      line: number;
      /** The line as written, trimmed. */
      source: string;
    }
  | {
      kind: 'usage-error';
      /** What is wrong and how to fix it, in one or two sentences of markdown. */
      message: string;
      /** 1-based line number in the comment body. */
      line: number;
      /** The line as written, trimmed. */
      source: string;
    };
