import { graphql, GraphqlResponseError } from '@octokit/graphql';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeGitHub } from '../fake-github/index.js';
import type { FakeGitHub } from '../fake-github/index.js';

let fake: FakeGitHub;
let client: typeof graphql;

beforeEach(async () => {
  fake = await startFakeGitHub();
  fake.addOrg({
    login: 'acme',
    members: [{ login: 'Alice', role: 'admin' }, ...Array.from({ length: 249 }, (_, i) => ({ login: `dev${String(i).padStart(3, '0')}` }))],
    teams: [
      { slug: 'eng', name: 'Engineering', members: ['dev000', 'dev001'] },
      { slug: 'platform', name: 'Platform', parent: 'eng', members: ['dev002'], maintainers: ['dev003'] },
      { slug: 'sre', name: 'SRE', parent: 'platform', members: ['dev004', 'dev000'] },
      { slug: 'design', name: 'Design', members: ['Alice'] },
    ],
  });
  fake.addInstallation({ id: 5, account: 'acme' });
  // @octokit/graphql turns a GHES REST base URL (/api/v3) into its GraphQL endpoint (/api/graphql).
  client = graphql.defaults({ baseUrl: fake.apiUrl, headers: { authorization: `token ${fake.createInstallationToken(5)}` } });
});

afterEach(async () => {
  await fake.close();
});

const MEMBERS = /* GraphQL */ `
  query ($org: String!, $after: String) {
    organization(login: $org) {
      membersWithRole(first: 100, after: $after) {
        totalCount
        pageInfo { hasNextPage endCursor }
        edges { role node { login databaseId } }
      }
    }
    rateLimit { cost remaining resetAt }
  }
`;

interface MembersPage {
  organization: {
    membersWithRole: {
      totalCount: number;
      pageInfo: { hasNextPage: boolean; endCursor: string | null };
      edges: { role: string; node: { login: string; databaseId: number } }[];
    };
  };
  rateLimit: { cost: number; remaining: number; resetAt: string };
}

describe('fake GitHub GraphQL', () => {
  it('pages through organization members with cursors and charges rate limit points', async () => {
    const logins: string[] = [];
    const roles = new Map<string, string>();
    let after: string | null = null;
    let remaining = 0;
    do {
      const page: MembersPage = await client<MembersPage>(MEMBERS, { org: 'acme', after });
      const connection = page.organization.membersWithRole;
      expect(connection.totalCount).toBe(250);
      for (const edge of connection.edges) {
        logins.push(edge.node.login);
        roles.set(edge.node.login, edge.role);
      }
      after = connection.pageInfo.hasNextPage ? connection.pageInfo.endCursor : null;
      expect(page.rateLimit.cost).toBe(1);
      remaining = page.rateLimit.remaining;
    } while (after !== null);
    expect(logins).toHaveLength(250);
    expect(new Set(logins).size).toBe(250);
    expect(roles.get('Alice')).toBe('ADMIN');
    expect(roles.get('dev100')).toBe('MEMBER');
    expect(remaining).toBe(4997);
    expect(fake.count('graphql')).toBe(3);
    expect(fake.violations).toEqual([]);
  });

  it('lists teams with parents, and members of child teams unless IMMEDIATE is asked', async () => {
    const result = await client<{
      organization: {
        teams: {
          totalCount: number;
          nodes: {
            slug: string;
            databaseId: number;
            name: string;
            parentTeam: { slug: string } | null;
            immediate: { totalCount: number; nodes: { login: string }[]; pageInfo: { hasNextPage: boolean } };
            all: { totalCount: number; nodes: { login: string }[] };
            childTeams: { nodes: { slug: string }[] };
          }[];
        };
      };
    }>(
      `query ($org: String!) {
        organization(login: $org) {
          teams(first: 100) {
            totalCount
            nodes {
              slug databaseId name
              parentTeam { slug }
              immediate: members(first: 100, membership: IMMEDIATE) { totalCount nodes { login } pageInfo { hasNextPage endCursor } }
              all: members(first: 100) { totalCount nodes { login } }
              childTeams(first: 10) { nodes { slug } }
            }
          }
        }
      }`,
      { org: 'acme' },
    );
    const teams = result.organization.teams;
    expect(teams.totalCount).toBe(4);
    // GitHub orders teams by name.
    expect(teams.nodes.map((t) => t.slug)).toEqual(['design', 'eng', 'platform', 'sre']);
    const eng = teams.nodes.find((t) => t.slug === 'eng')!;
    expect(eng.parentTeam).toBeNull();
    expect(eng.immediate.nodes.map((n) => n.login)).toEqual(['dev000', 'dev001']);
    expect(eng.all.nodes.map((n) => n.login)).toEqual(['dev000', 'dev001', 'dev002', 'dev003', 'dev004']);
    expect(eng.childTeams.nodes.map((t) => t.slug)).toEqual(['platform']);
    const sre = teams.nodes.find((t) => t.slug === 'sre')!;
    expect(sre.parentTeam).toEqual({ slug: 'platform' });
    expect(typeof sre.databaseId).toBe('number');
  });

  it('rejects pages over 100 and connections without first or last, like GitHub', async () => {
    const tooMany = await client(`{ organization(login: "acme") { membersWithRole(first: 101) { totalCount } } }`).catch((e: unknown) => e);
    expect(tooMany).toBeInstanceOf(GraphqlResponseError);
    expect((tooMany as GraphqlResponseError<unknown>).errors).toEqual([
      expect.objectContaining({
        type: 'EXCESSIVE_PAGINATION',
        message: 'Requesting 101 records on the `membersWithRole` connection exceeds the `first` limit of 100 records.',
      }),
    ]);
    const unbounded = await client(`{ organization(login: "acme") { teams { totalCount } } }`).catch((e: unknown) => e);
    expect((unbounded as GraphqlResponseError<unknown>).errors).toEqual([
      expect.objectContaining({ type: 'MISSING_PAGINATION_BOUNDARIES' }),
    ]);
  });

  it('answers invalid queries and unknown organizations with GitHub-style errors', async () => {
    const unknownField = await client(`{ organization(login: "acme") { seats } }`).catch((e: unknown) => e);
    expect((unknownField as GraphqlResponseError<unknown>).errors).toEqual([
      expect.objectContaining({
        message: "Field 'seats' doesn't exist on type 'Organization'",
        extensions: { code: 'undefinedField', typeName: 'Organization', fieldName: 'seats' },
      }),
    ]);
    const missingOrg = (await client(`{ organization(login: "globex") { login } }`).catch((e: unknown) => e)) as GraphqlResponseError<unknown>;
    expect(missingOrg.data).toEqual({ organization: null });
    expect(missingOrg.errors).toEqual([
      expect.objectContaining({ type: 'NOT_FOUND', path: ['organization'], message: "Could not resolve to an Organization with the login of 'globex'." }),
    ]);
  });

  it('computes cost from the connections requested', async () => {
    const result = await client<{ rateLimit: { cost: number; remaining: number } }>(
      `{ organization(login: "acme") { teams(first: 100) { nodes { members(first: 100) { nodes { login } } childTeams(first: 100) { nodes { slug } } } } }
         rateLimit { cost remaining } }`,
    );
    // 1 request for teams + 100 for members + 100 for child teams = 201 requests → cost 2.
    expect(result.rateLimit).toEqual({ cost: 2, remaining: 4998 });
  });

  it('needs an installation token', async () => {
    const anonymous = graphql.defaults({ baseUrl: fake.apiUrl, headers: { authorization: 'token ghs_unknown' } });
    await expect(anonymous('{ rateLimit { cost } }')).rejects.toMatchObject({ status: 401 });
    expect(fake.violations.map((v) => v.kind)).toEqual(['auth']);
  });
});
