import type { ApiKeyRole } from '../../db/api-keys-schema.js';

/** A GitHub user's standing in one organization CEOS is installed on. */
export interface OrgStanding {
  /** Organization key (lower-cased login). */
  org: string;
  /** `admin` for owners; `member` otherwise (active memberships only). */
  role: 'admin' | 'member';
  /** Whether they belong to one of the policy's `commands.teams` (child teams count, DECISIONS 1). */
  commandTeamMember: boolean;
}

/** What a GitHub sign-in gets, or why it is refused. */
export type DashboardAccess =
  | { ok: true; role: ApiKeyRole; orgs: string[]; ownerOf: string[]; operatorOf: string[] }
  | { ok: false; reason: string };

/**
 * Who may use the dashboard through GitHub, as who may run `/copilot` commands: an owner gets
 * the admin role for the organizations they own, a member of the policy's `commands.teams` the
 * operator role for that organization, anyone else nothing. A session has one role, so a person
 * who owns some organizations and operates others signs in as operator for all of them (admin
 * differs only in managing API keys, which then needs an admin key).
 */
export function decideDashboardAccess(login: string, standings: readonly OrgStanding[]): DashboardAccess {
  const ownerOf = standings.filter((s) => s.role === 'admin').map((s) => s.org);
  const operatorOf = standings.filter((s) => s.role === 'member' && s.commandTeamMember).map((s) => s.org);
  const orgs = [...new Set([...ownerOf, ...operatorOf])].sort();
  if (orgs.length === 0) {
    return {
      ok: false,
      reason: `${login} is not an owner of any organization CEOS is installed on, nor a member of a team its policy lets run commands (commands.teams).`,
    };
  }
  return { ok: true, role: operatorOf.length > 0 ? 'operator' : 'admin', orgs, ownerOf: ownerOf.sort(), operatorOf: operatorOf.sort() };
}
