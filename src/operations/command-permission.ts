import type { Kysely } from 'kysely';
import { loadTeamGraph } from '../db/commands.js';
import type { Database } from '../db/schema.js';
import {
  type CommandCommenter,
  type CommandPermission,
  decideCommandPermission,
} from '../domain/commands/decide-command-permission.js';
import { expandTeamMembers, indexTeams } from '../domain/planner/team-members.js';
import type { GitHubOctokit } from '../github/github-octokit.js';

/** Whether a comment's author is a bot, whose comments CEOS never answers. */
export function isBotCommenter(commenter: CommandCommenter): boolean {
  return decideCommandPermission({ commenter, orgRole: null, commandTeamMembers: new Map() }).decision === 'ignore';
}

/**
 * A person's role in the organization as GitHub says it now: `admin` for owners, `member`, or
 * null when they are not an active member (no membership, a pending invitation, or a billing
 * manager, who is not a member). Only a 404 means "not a member"; other failures are thrown,
 * so an outage never turns into a refusal.
 */
export async function fetchOrgRole(octokit: GitHubOctokit, org: string, username: string): Promise<'admin' | 'member' | null> {
  try {
    const { data } = await octokit.request('GET /orgs/{org}/memberships/{username}', { org, username });
    if (data.state !== 'active') return null;
    return data.role === 'admin' ? 'admin' : data.role === 'member' ? 'member' : null;
  } catch (error) {
    if ((error as { status?: number }).status === 404) return null;
    throw error;
  }
}

/**
 * Decides whether a commenter may run `/copilot` commands. Ownership is asked of GitHub at the
 * moment the comment is handled, so an owner removed a minute ago is not one any more; membership
 * of the command teams (child teams included) comes from CEOS's copy of the teams, which team and
 * membership webhooks keep current.
 */
export async function checkCommandPermission(
  deps: { db: Kysely<Database>; octokit: GitHubOctokit },
  input: { org: string; orgLogin: string; commenter: CommandCommenter; commandTeams: readonly string[] },
): Promise<CommandPermission> {
  if (isBotCommenter(input.commenter)) return { decision: 'ignore', reason: 'bot' };
  const orgRole = await fetchOrgRole(deps.octokit, input.orgLogin, input.commenter.login);
  const commandTeamMembers =
    orgRole === 'member' && input.commandTeams.length > 0
      ? expandTeamMembers(indexTeams(await loadTeamGraph(deps.db, input.org)), input.commandTeams)
      : new Map<string, string>();
  return decideCommandPermission({ commenter: input.commenter, orgRole, commandTeamMembers });
}
