/** Who wrote the comment, as the webhook payload says. */
export interface CommandCommenter {
  /** GitHub login. */
  login: string;
  /** GitHub account type: `User`, `Bot` or `Organization`. */
  type: string;
}

/** What is known about the commenter when a `/copilot` comment arrives. */
export interface CommandPermissionInput {
  /** The comment's author. */
  commenter: CommandCommenter;
  /** The commenter's organization role: owners are `admin`; `null` when not a member. */
  orgRole: 'admin' | 'member' | null;
  /**
   * Members of the policy's `commands.teams`, child teams at any depth included: lower-cased
   * login to the policy team that includes them, as `expandTeamMembers` returns it.
   */
  commandTeamMembers: ReadonlyMap<string, string>;
}

/** Whether a commenter's `/copilot` commands are carried out. */
export type CommandPermission =
  | {
      decision: 'allow';
      /** Why: an organization owner, or a member of a command team. */
      via: 'org-owner' | 'command-team';
      /** The policy team that grants the permission, when `via` is `command-team`. */
      team: string | null;
    }
  /** Bots get no reply at all, so two apps can never answer each other forever. */
  | { decision: 'ignore'; reason: 'bot' }
  /** A person without permission gets a polite refusal (`renderRefusal`). */
  | { decision: 'refuse'; reason: 'not-allowed' };

/** Decides whether a commenter may use `/copilot` commands. */
export function decideCommandPermission(input: CommandPermissionInput): CommandPermission {
  const { commenter } = input;
  if (commenter.type.toLowerCase() === 'bot' || commenter.login.toLowerCase().endsWith('[bot]')) {
    return { decision: 'ignore', reason: 'bot' };
  }
  if (input.orgRole === 'admin') return { decision: 'allow', via: 'org-owner', team: null };
  // Team membership is only meaningful for members; an outside collaborator never qualifies.
  if (input.orgRole === null) return { decision: 'refuse', reason: 'not-allowed' };
  const team = input.commandTeamMembers.get(commenter.login.toLowerCase());
  return team === undefined
    ? { decision: 'refuse', reason: 'not-allowed' }
    : { decision: 'allow', via: 'command-team', team };
}
