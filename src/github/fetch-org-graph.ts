import type { OrgMember, OrgTeam } from '../domain/plan-types.js';
import { TornSyncError } from './torn-sync-error.js';

/** A GraphQL client: `octokit.graphql`, or `@octokit/graphql` with its defaults set. */
export type GraphqlClient = <T>(query: string, variables?: Record<string, unknown>) => Promise<T>;

/** An organization's members, teams and direct team memberships. */
export interface OrgGraph {
  /** Every member, with their organization role. */
  members: OrgMember[];
  /** Every team, with its parent's slug. */
  teams: OrgTeam[];
  /** Team slug to its direct (immediate) members; child teams are not folded in. */
  teamMemberships: Record<string, TeamMember[]>;
  /** GraphQL requests made. */
  requests: number;
}

/** Options of {@link fetchOrgGraph}. */
export interface FetchOrgGraphOptions {
  /** How many teams with more than 100 members are followed up in one request (aliases); 20 unless told. */
  teamsPerFollowUp?: number;
}

/** A direct member of a team. */
export interface TeamMember {
  /** Login as GitHub spells it now. */
  login: string;
  /** GitHub user id: the key the mirror uses. */
  id: number;
}

interface PageInfo {
  hasNextPage: boolean;
  endCursor: string | null;
}

interface MemberConnection {
  totalCount: number;
  pageInfo: PageInfo;
  nodes: ({ login: string; databaseId: number | null } | null)[] | null;
}

interface TeamNode {
  slug: string;
  databaseId: number | null;
  parentTeam: { slug: string } | null;
  members: MemberConnection;
}

interface OrgPage {
  organization: {
    membersWithRole?: {
      totalCount: number;
      pageInfo: PageInfo;
      edges: ({ role: 'ADMIN' | 'MEMBER' | null; node: { login: string; databaseId: number | null } | null } | null)[] | null;
    };
    teams?: { totalCount: number; pageInfo: PageInfo; nodes: (TeamNode | null)[] | null };
  } | null;
}

// Members and teams are paged in the same request while both have pages left; `@include` drops
// whichever connection is finished, so no request fetches a page twice.
const ORG_QUERY = /* GraphQL */ `
  query ceosOrgGraph(
    $org: String!
    $membersAfter: String
    $teamsAfter: String
    $withMembers: Boolean!
    $withTeams: Boolean!
  ) {
    organization(login: $org) {
      membersWithRole(first: 100, after: $membersAfter) @include(if: $withMembers) {
        totalCount
        pageInfo { hasNextPage endCursor }
        edges { role node { login databaseId } }
      }
      teams(first: 100, after: $teamsAfter) @include(if: $withTeams) {
        totalCount
        pageInfo { hasNextPage endCursor }
        nodes {
          slug
          databaseId
          parentTeam { slug }
          members(first: 100, membership: IMMEDIATE) {
            totalCount
            pageInfo { hasNextPage endCursor }
            nodes { login databaseId }
          }
        }
      }
    }
  }
`;

/**
 * Reads an organization's members (with roles), teams (with parents) and direct team members
 * through GraphQL, in as few requests as GitHub's connection limits allow: members and teams share
 * requests, the first 100 members of every team come with the team, and teams with more members
 * are followed up several at a time.
 *
 * A read is whole or it fails: an error on any page throws, and so does a connection that lists
 * fewer usable rows than its `totalCount` (a member without a database id counts as missing),
 * as a {@link TornSyncError}. Counts are compared with the largest `totalCount` seen, so someone
 * leaving while the pages are read (which shifts the later pages) fails the read too.
 */
export async function fetchOrgGraph(
  graphql: GraphqlClient,
  org: string,
  options: FetchOrgGraphOptions = {},
): Promise<OrgGraph> {
  const teamsPerFollowUp = options.teamsPerFollowUp ?? 20;
  const members: OrgMember[] = [];
  const teams: OrgTeam[] = [];
  const teamMemberships: Record<string, TeamMember[]> = {};
  const teamTotals = new Map<string, number>();
  const unfinished: { slug: string; after: string }[] = [];
  let requests = 0;
  const memberIds = new Set<number>();
  let membersTotal = 0;
  let teamsTotal = 0;

  let membersAfter: string | null = null;
  let teamsAfter: string | null = null;
  let withMembers = true;
  let withTeams = true;
  while (withMembers || withTeams) {
    const page: OrgPage = await graphql<OrgPage>(ORG_QUERY, { org, membersAfter, teamsAfter, withMembers, withTeams });
    requests++;
    const organization = page.organization;
    if (organization === null) throw new Error(`GitHub GraphQL found no organization ${org}`);

    if (withMembers) {
      const connection = required(organization.membersWithRole, 'membersWithRole');
      membersTotal = Math.max(membersTotal, connection.totalCount);
      for (const edge of connection.edges ?? []) {
        const node = edge?.node;
        // A user without a database id cannot be matched with seats; it counts as missing below.
        if (node == null || node.databaseId == null) continue;
        // A page shifted by someone joining lists a member twice; counting them twice would hide a missing one.
        if (memberIds.has(node.databaseId)) continue;
        memberIds.add(node.databaseId);
        members.push({ login: node.login, id: node.databaseId, role: edge?.role === 'ADMIN' ? 'admin' : 'member' });
      }
      withMembers = connection.pageInfo.hasNextPage;
      membersAfter = connection.pageInfo.endCursor;
    }

    if (withTeams) {
      const connection = required(organization.teams, 'teams');
      teamsTotal = Math.max(teamsTotal, connection.totalCount);
      for (const team of connection.nodes ?? []) {
        if (team === null || team.databaseId === null) continue;
        teams.push({ slug: team.slug, id: team.databaseId, parentSlug: team.parentTeam?.slug ?? null });
        teamMemberships[team.slug] = users(team.members);
        teamTotals.set(team.slug, team.members.totalCount);
        if (team.members.pageInfo.hasNextPage && team.members.pageInfo.endCursor !== null) {
          unfinished.push({ slug: team.slug, after: team.members.pageInfo.endCursor });
        }
      }
      withTeams = connection.pageInfo.hasNextPage;
      teamsAfter = connection.pageInfo.endCursor;
    }
  }

  while (unfinished.length > 0) {
    const group = unfinished.splice(0, teamsPerFollowUp);
    const result = await graphql<TeamMembersPage>(teamMembersQuery(group.length), teamMembersVariables(org, group));
    requests++;
    const organization = result.organization;
    if (organization === null) throw new Error(`GitHub GraphQL found no organization ${org}`);
    group.forEach(({ slug }, i) => {
      const team = organization[`t${i}`];
      // The team was deleted after it was listed: its members come back short, and the read is torn.
      if (team == null) return;
      (teamMemberships[slug] ??= []).push(...users(team.members));
      teamTotals.set(slug, Math.max(teamTotals.get(slug) ?? 0, team.members.totalCount));
      const { hasNextPage, endCursor } = team.members.pageInfo;
      if (hasNextPage && endCursor !== null) unfinished.push({ slug, after: endCursor });
    });
  }

  if (members.length < membersTotal) throw new TornSyncError(org, 'members', membersTotal, members.length);
  if (teams.length < teamsTotal) throw new TornSyncError(org, 'teams', teamsTotal, teams.length);
  for (const [slug, total] of teamTotals) {
    const received = new Set((teamMemberships[slug] ?? []).map((m) => m.id)).size;
    if (received < total) throw new TornSyncError(org, 'team_members', total, received, slug);
  }
  return { members, teams, teamMemberships, requests };
}

interface TeamMembersPage {
  organization: Record<string, { members: MemberConnection } | null> | null;
}

/** One aliased `team(slug:)` per unfinished team, each continuing from its own cursor. */
function teamMembersQuery(count: number): string {
  const params = Array.from({ length: count }, (_, i) => `$s${i}: String!, $a${i}: String`).join(', ');
  const fields = Array.from(
    { length: count },
    (_, i) =>
      `t${i}: team(slug: $s${i}) { members(first: 100, after: $a${i}, membership: IMMEDIATE) { totalCount pageInfo { hasNextPage endCursor } nodes { login databaseId } } }`,
  ).join('\n      ');
  return `query ceosTeamMembers($org: String!, ${params}) {\n    organization(login: $org) {\n      ${fields}\n    }\n  }`;
}

function teamMembersVariables(org: string, group: readonly { slug: string; after: string }[]): Record<string, unknown> {
  const variables: Record<string, unknown> = { org };
  group.forEach(({ slug, after }, i) => {
    variables[`s${i}`] = slug;
    variables[`a${i}`] = after;
  });
  return variables;
}

/** The connection's members that have a database id; the others count as missing. */
function users(connection: MemberConnection): TeamMember[] {
  return (connection.nodes ?? []).flatMap((node) => (node === null || node.databaseId === null ? [] : [{ login: node.login, id: node.databaseId }]));
}

function required<T>(value: T | undefined, field: string): T {
  if (value === undefined) throw new Error(`GitHub GraphQL left out organization.${field}`);
  return value;
}
