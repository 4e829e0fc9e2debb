import type { OrgSnapshot } from '../plan-types.js';

/** The part of a snapshot that describes teams. */
export type TeamGraph = Pick<OrgSnapshot, 'teams' | 'teamMemberships'>;

/** Teams indexed for expansion: lower-cased slug to child slugs and to direct member logins. */
export interface TeamIndex {
  /** Lower-cased slug to the lower-cased slugs of its direct children. */
  children: ReadonlyMap<string, readonly string[]>;
  /** Lower-cased slug to the logins of its direct members, as spelt in the snapshot. */
  members: ReadonlyMap<string, readonly string[]>;
  /** Lower-cased slugs of every known team. */
  known: ReadonlySet<string>;
}

/** Indexes a snapshot's teams once, for repeated expansion. */
export function indexTeams(graph: TeamGraph): TeamIndex {
  const children = new Map<string, string[]>();
  const known = new Set<string>();
  for (const team of graph.teams) {
    known.add(team.slug.toLowerCase());
    if (team.parentSlug === null) continue;
    const parent = team.parentSlug.toLowerCase();
    const list = children.get(parent);
    if (list === undefined) children.set(parent, [team.slug.toLowerCase()]);
    else list.push(team.slug.toLowerCase());
  }
  const members = new Map<string, string[]>();
  for (const [slug, logins] of Object.entries(graph.teamMemberships)) {
    const key = slug.toLowerCase();
    known.add(key);
    const list = members.get(key);
    if (list === undefined) members.set(key, [...logins]);
    else list.push(...logins);
  }
  return { children, members, known };
}

/**
 * Members of the named teams, counting members of child teams at any depth as members of
 * their ancestors. Returns lower-cased login to the slug (as written in `slugs`) of the first
 * named team that includes them, so reasons can name the team the policy names.
 */
export function expandTeamMembers(index: TeamIndex, slugs: readonly string[]): Map<string, string> {
  const result = new Map<string, string>();
  for (const named of slugs) {
    const seen = new Set<string>();
    const stack = [named.toLowerCase()];
    while (stack.length > 0) {
      const slug = stack.pop() as string;
      // Guards against a cycle in a corrupted mirror as much as against diamonds.
      if (seen.has(slug)) continue;
      seen.add(slug);
      for (const login of index.members.get(slug) ?? []) {
        const key = login.toLowerCase();
        if (!result.has(key)) result.set(key, named);
      }
      stack.push(...(index.children.get(slug) ?? []));
    }
  }
  return result;
}

/** Convenience for one-off checks such as `commands.teams`: is `login` in any of `slugs`? */
export function isMemberOfTeams(graph: TeamGraph | TeamIndex, slugs: readonly string[], login: string): boolean {
  const index = 'known' in graph ? graph : indexTeams(graph);
  return expandTeamMembers(index, slugs).has(login.toLowerCase());
}
