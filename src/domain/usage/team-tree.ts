/** A team and its parent, as the mirror has them. */
export interface TeamNode {
  slug: string;
  parentSlug: string | null;
}

/** Lower-cased slug to the team's direct children. */
function childIndex(teams: readonly TeamNode[]): Map<string, TeamNode[]> {
  const children = new Map<string, TeamNode[]>();
  for (const t of teams) {
    if (t.parentSlug === null) continue;
    const key = t.parentSlug.toLowerCase();
    const list = children.get(key);
    if (list === undefined) children.set(key, [t]);
    else list.push(t);
  }
  return children;
}

function collect(children: ReadonlyMap<string, readonly TeamNode[]>, start: readonly TeamNode[]): string[] {
  const found = new Map<string, string>();
  const stack = [...start];
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

/**
 * The named teams and all their child teams at any depth (DECISIONS 1), as the mirror spells the
 * slugs; names are matched case-insensitively and a name matching no team is left out.
 */
export function withChildTeams(teams: readonly TeamNode[], names: readonly string[]): string[] {
  const wanted = new Set(names.map((n) => n.toLowerCase()));
  return collect(
    childIndex(teams),
    teams.filter((t) => wanted.has(t.slug.toLowerCase())),
  );
}

/** Every team with itself and all its child teams at any depth, by the team's slug as spelt. */
export function subtrees(teams: readonly TeamNode[]): Map<string, string[]> {
  const children = childIndex(teams);
  return new Map(teams.map((t) => [t.slug, collect(children, [t])]));
}
