/** A team and its parent, as the mirror has them. */
export interface TeamNode {
  slug: string;
  parentSlug: string | null;
}

/**
 * The named teams and all their child teams at any depth (DECISIONS 1), as the mirror spells the
 * slugs; names are matched case-insensitively and a name matching no team is left out.
 */
export function withChildTeams(teams: readonly TeamNode[], names: readonly string[]): string[] {
  const children = new Map<string, TeamNode[]>();
  for (const t of teams) {
    if (t.parentSlug === null) continue;
    const key = t.parentSlug.toLowerCase();
    children.set(key, [...(children.get(key) ?? []), t]);
  }
  const found = new Map<string, string>();
  const stack = teams.filter((t) => names.some((n) => n.toLowerCase() === t.slug.toLowerCase()));
  while (stack.length > 0) {
    const t = stack.pop()!;
    const key = t.slug.toLowerCase();
    // A cycle in a corrupted mirror ends here as much as a diamond does.
    if (found.has(key)) continue;
    found.set(key, t.slug);
    stack.push(...(children.get(key) ?? []));
  }
  return [...found.values()];
}
