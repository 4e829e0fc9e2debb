import { graphql } from '@octokit/graphql';
import { ProbotOctokit } from 'probot';
import nock from 'nock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSyntheticOrg, startFakeGitHub } from '../fake-github/index.js';
import type { FakeGitHub } from '../fake-github/index.js';

const silent = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

let fake: FakeGitHub;
let token: string;

beforeAll(async () => {
  // nock's request interception adds ~40 ms to every POST; this file measures the fake, so it talks to it directly.
  nock.restore();
  fake = await startFakeGitHub();
  fake.addOrg(buildSyntheticOrg({ login: 'bigcorp', members: 100_000, teams: 500, seats: 60_000 }));
  fake.addInstallation({ id: 1, account: 'bigcorp' });
  token = fake.createInstallationToken(1);
});

afterAll(async () => {
  nock.activate();
  await fake.close();
});

describe('fake GitHub at enterprise scale', () => {
  it('lists 60,000 seats in 600 pages', async () => {
    const octokit = new ProbotOctokit({ auth: { token }, baseUrl: fake.apiUrl, log: silent, retry: { enabled: false }, throttle: { enabled: false } });
    const seats = await octokit.paginate(
      'GET /orgs/{org}/copilot/billing/seats',
      { org: 'bigcorp', per_page: 100 },
      (response) => response.data.seats ?? [],
    );
    expect(seats).toHaveLength(60_000);
    expect(seats.filter((s) => s.pending_cancellation_date !== null)).toHaveLength(3_000);
    expect(seats.filter((s) => s.assigning_team !== null)).toHaveLength(6_000);
    expect(fake.count('copilot/list-copilot-seats')).toBe(600);
    expect(fake.violations).toEqual([]);
  });

  it('lists 100,000 members and 500 teams through GraphQL', async () => {
    const client = graphql.defaults({ baseUrl: fake.apiUrl, headers: { authorization: `token ${token}` } });
    let after: string | null = null;
    let members = 0;
    let admins = 0;
    do {
      const page: {
        organization: { membersWithRole: { pageInfo: { hasNextPage: boolean; endCursor: string | null }; edges: { role: string }[] } };
      } = await client(
        `query ($after: String) { organization(login: "bigcorp") { membersWithRole(first: 100, after: $after) {
           pageInfo { hasNextPage endCursor } edges { role node { login databaseId } } } } }`,
        { after },
      );
      const connection = page.organization.membersWithRole;
      members += connection.edges.length;
      admins += connection.edges.filter((e) => e.role === 'ADMIN').length;
      after = connection.pageInfo.hasNextPage ? connection.pageInfo.endCursor : null;
    } while (after !== null);
    expect(members).toBe(100_000);
    expect(admins).toBe(2_000);

    let teams = 0;
    let withParent = 0;
    after = null;
    do {
      const page: {
        organization: {
          teams: {
            pageInfo: { hasNextPage: boolean; endCursor: string | null };
            nodes: { parentTeam: { slug: string } | null; members: { totalCount: number } }[];
          };
        };
      } = await client(
        `query ($after: String) { organization(login: "bigcorp") { teams(first: 100, after: $after) {
           pageInfo { hasNextPage endCursor }
           nodes { slug parentTeam { slug } members(first: 100, membership: IMMEDIATE) { totalCount nodes { login } } } } } }`,
        { after },
      );
      teams += page.organization.teams.nodes.length;
      withParent += page.organization.teams.nodes.filter((t) => t.parentTeam !== null).length;
      expect(page.organization.teams.nodes.every((t) => t.members.totalCount === 40)).toBe(true);
      after = page.organization.teams.pageInfo.hasNextPage ? page.organization.teams.pageInfo.endCursor : null;
    } while (after !== null);
    expect(teams).toBe(500);
    expect(withParent).toBe(100);
    expect(fake.violations).toEqual([]);
  });
});
