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
  /** Slugs of the teams the commenter belongs to directly. */
  commenterTeams: readonly string[];
  /** The policy's `commands.teams`, whose members (child teams included) may use commands. */
  policyCommandTeams: readonly string[];
  /** Returns the given team slugs together with all their descendant teams. */
  expandTeams: (slugs: readonly string[]) => Iterable<string>;
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
  /** A person without permission gets a polite refusal. */
  | { decision: 'refuse'; reason: 'not-allowed' };

/** Decides whether a commenter may use `/copilot` commands. */
export function decideCommandPermission(input: CommandPermissionInput): CommandPermission {
  const { commenter } = input;
  if (commenter.type.toLowerCase() === 'bot' || commenter.login.toLowerCase().endsWith('[bot]')) {
    return { decision: 'ignore', reason: 'bot' };
  }
  if (input.orgRole === 'admin') return { decision: 'allow', via: 'org-owner', team: null };
  if (input.orgRole === null) return { decision: 'refuse', reason: 'not-allowed' };

  const own = new Set(input.commenterTeams.map((slug) => slug.toLowerCase()));
  for (const policyTeam of input.policyCommandTeams) {
    for (const slug of input.expandTeams([policyTeam])) {
      if (own.has(slug.toLowerCase())) return { decision: 'allow', via: 'command-team', team: policyTeam };
    }
  }
  return { decision: 'refuse', reason: 'not-allowed' };
}
