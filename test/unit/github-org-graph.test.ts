import nock from 'nock';
import pino from 'pino';
import { ProbotOctokit } from 'probot';
import { describe, expect, it } from 'vitest';
import { fetchOrgGraph } from '../../src/github/fetch-org-graph.js';
import { TornSyncError } from '../../src/github/torn-sync-error.js';

const API = 'https://github.test';

interface Org {
  members: { login: string; databaseId: number | null; role: 'ADMIN' | 'MEMBER' }[];
  teams: { slug: string; databaseId: number; parent: string | null; members: string[] }[];
  /** Rows GitHub counts in `totalCount` but leaves out of the pages: a torn read. */
  hidden?: { members?: number; teams?: number; teamMembers?: Record<string, number> };
}

// Every login gets a stable user id, as GitHub's databaseId.
const ids = new Map<string, number>();
const idOf = (login: string) => ids.get(login) ?? (ids.set(login, 500_000 + ids.size), ids.get(login)!);

interface GraphqlRequest {
  query: string;
  variables: Record<string, unknown>;
}

// Cursors are offsets, as opaque to the client as GitHub's.
const cursor = (offset: number) => Buffer.from(`cursor:${offset}`).toString('base64');
const offset = (after: unknown) => (typeof after === 'string' ? Number(Buffer.from(after, 'base64').toString().split(':')[1]) : 0);

function connection<T>(items: T[], after: unknown, hidden = 0) {
  const start = offset(after);
  const end = Math.min(start + 100, items.length);
  return {
    page: items.slice(start, end),
    totalCount: items.length + hidden,
    pageInfo: { hasNextPage: end < items.length, endCursor: end > start ? cursor(end) : null },
  };
}

function teamMembers(team: Org['teams'][number], after: unknown, hidden = 0) {
  const { page, pageInfo, totalCount } = connection(team.members, after, hidden);
  return { totalCount, pageInfo, nodes: page.map((login) => ({ login, databaseId: idOf(login) })) };
}

/** Answers CEOS's two queries from `org`, the way GitHub would, and records every request. */
function answerFrom(org: Org, requests: GraphqlRequest[]) {
  return async (request: Request) => {
    const body = (await request.json()) as GraphqlRequest;
    requests.push(body);
    const v = body.variables;
    if (body.query.includes('query ceosOrgGraph')) {
      const organization: Record<string, unknown> = {};
      if (v.withMembers === true) {
        const { page, pageInfo, totalCount } = connection(org.members, v.membersAfter, org.hidden?.members);
        organization.membersWithRole = { totalCount, pageInfo, edges: page.map((m) => ({ role: m.role, node: { login: m.login, databaseId: m.databaseId } })) };
      }
      if (v.withTeams === true) {
        const { page, pageInfo, totalCount } = connection(org.teams, v.teamsAfter, org.hidden?.teams);
        organization.teams = {
          totalCount,
          pageInfo,
          nodes: page.map((t) => ({
            slug: t.slug,
            databaseId: t.databaseId,
            parentTeam: t.parent === null ? null : { slug: t.parent },
            members: teamMembers(t, null, org.hidden?.teamMembers?.[t.slug]),
          })),
        };
      }
      return [200, { data: { organization } }];
    }
    const organization: Record<string, unknown> = {};
    for (let i = 0; `s${i}` in v; i++) {
      const team = org.teams.find((t) => t.slug === v[`s${i}`]);
      organization[`t${i}`] = team === undefined ? null : { members: teamMembers(team, v[`a${i}`], org.hidden?.teamMembers?.[team.slug]) };
    }
    return [200, { data: { organization } }];
  };
}

function graphqlClient() {
  return new ProbotOctokit({
    auth: { token: 'test' },
    baseUrl: `${API}/api/v3`,
    log: pino({ level: 'silent' }),
    throttle: { enabled: false },
    retry: { enabled: false },
  }).graphql;
}

const people = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i}`);
const loginsOf = (users: { login: string }[] | undefined) => users?.map((u) => u.login);

describe('fetchOrgGraph', () => {
  it('pages members and teams in the same requests, then follows up big teams several at a time', async () => {
    const members = [
      { login: 'Octocat', databaseId: 1, role: 'ADMIN' as const },
      ...people('dev', 149).map((login, i) => ({ login, databaseId: 100 + i, role: 'MEMBER' as const })),
    ];
    const teams = [
      { slug: 'eng', databaseId: 1, parent: null, members: ['Octocat'] },
      { slug: 'platform', databaseId: 2, parent: 'eng', members: ['dev1'] },
      { slug: 'sre', databaseId: 3, parent: 'platform', members: [] },
      { slug: 'everyone', databaseId: 4, parent: null, members: people('dev', 149) },
      ...Array.from({ length: 216 }, (_, i) => ({ slug: `squad-${i}`, databaseId: 10 + i, parent: 'eng', members: [`dev${i % 149}`] })),
      { slug: 'guild', databaseId: 999, parent: null, members: people('dev', 101) },
    ];
    const requests: GraphqlRequest[] = [];
    // 150 members and 221 teams: three pages of teams, the first two with members; then one follow-up
    // for both big teams.
    nock(API).post('/api/graphql').times(4).reply(answerFrom({ members, teams }, requests));

    const graph = await fetchOrgGraph(graphqlClient(), 'acme');

    expect(requests.map((r) => [r.variables.withMembers ?? null, r.variables.withTeams ?? null])).toEqual([
      [true, true],
      [true, true],
      [false, true],
      [null, null],
    ]);
    expect(requests[3]?.variables).toMatchObject({ org: 'acme', s0: 'everyone', s1: 'guild' });
    expect(graph.requests).toBe(4);
    expect(graph.members).toHaveLength(150);
    expect(graph.members[0]).toEqual({ login: 'Octocat', id: 1, role: 'admin' });
    expect(graph.members[149]).toEqual({ login: 'dev148', id: 248, role: 'member' });
    expect(graph.teams).toHaveLength(221);
    expect(graph.teams.slice(0, 3)).toEqual([
      { slug: 'eng', id: 1, parentSlug: null },
      { slug: 'platform', id: 2, parentSlug: 'eng' },
      { slug: 'sre', id: 3, parentSlug: 'platform' },
    ]);
    expect(loginsOf(graph.teamMemberships.everyone)).toEqual(people('dev', 149));
    expect(loginsOf(graph.teamMemberships.guild)).toEqual(people('dev', 101));
    expect(graph.teamMemberships.sre).toEqual([]);
    // Team members come with their user id, the key the mirror uses.
    expect(graph.teamMemberships['squad-215']).toEqual([{ login: 'dev66', id: idOf('dev66') }]);
    // Every connection is asked for its totalCount, and every user for their databaseId.
    expect(requests.every((r) => (r.query.match(/totalCount/g) ?? []).length >= (r.query.includes('ceosOrgGraph') ? 3 : 1))).toBe(true);
    expect(requests.every((r) => !/nodes \{ login \}/.test(r.query))).toBe(true);
    expect(nock.isDone()).toBe(true);
  });

  it('asks only for direct team members, and follows a team of 250 members over two more requests', async () => {
    const teams = [{ slug: 'all', databaseId: 1, parent: null, members: people('u', 250) }];
    const requests: GraphqlRequest[] = [];
    nock(API).post('/api/graphql').times(3).reply(answerFrom({ members: [], teams }, requests));

    const graph = await fetchOrgGraph(graphqlClient(), 'acme');

    expect(requests.every((r) => r.query.includes('membership: IMMEDIATE'))).toBe(true);
    expect(requests.slice(1).map((r) => offset(r.variables.a0))).toEqual([100, 200]);
    expect(graph.requests).toBe(3);
    expect(loginsOf(graph.teamMemberships.all)).toEqual(people('u', 250));
    expect(nock.isDone()).toBe(true);
  });

  it('groups follow-ups by teamsPerFollowUp', async () => {
    const teams = people('big', 5).map((slug, i) => ({ slug, databaseId: i + 1, parent: null, members: people(`${slug}-m`, 101) }));
    const requests: GraphqlRequest[] = [];
    nock(API).post('/api/graphql').times(4).reply(answerFrom({ members: [], teams }, requests));

    const graph = await fetchOrgGraph(graphqlClient(), 'acme', { teamsPerFollowUp: 2 });

    expect(requests.slice(1).map((r) => Object.keys(r.variables).filter((k) => k.startsWith('s')))).toEqual([['s0', 's1'], ['s0', 's1'], ['s0']]);
    expect(Object.values(graph.teamMemberships).map((logins) => logins.length)).toEqual([101, 101, 101, 101, 101]);
    expect(nock.isDone()).toBe(true);
  });

  it('fails as torn when a team is deleted before its follow-up: its members came back short', async () => {
    const teams = [{ slug: 'doomed', databaseId: 1, parent: null, members: people('u', 150) }];
    const requests: GraphqlRequest[] = [];
    nock(API).post('/api/graphql').reply(answerFrom({ members: [], teams }, requests));
    nock(API).post('/api/graphql').reply(200, { data: { organization: { t0: null } } });

    const error = await fetchOrgGraph(graphqlClient(), 'acme').catch((e: unknown) => e);

    expect(error).toBeInstanceOf(TornSyncError);
    expect(error).toMatchObject({ listing: 'team_members', team: 'doomed', expected: 150, received: 100 });
    expect(requests).toHaveLength(1);
    expect(nock.isDone()).toBe(true);
  });

  const member = (login: string, databaseId: number | null = idOf(login)) => ({ login, databaseId, role: 'MEMBER' as const });

  it.each([
    {
      name: 'membersWithRole lists fewer members than its totalCount',
      org: { members: people('m', 150).map((l) => member(l)), teams: [], hidden: { members: 1 } },
      expected: { listing: 'members', expected: 151, received: 150, team: null },
    },
    {
      name: 'a member comes back without a databaseId',
      org: { members: [member('a'), member('ghost', null), member('b')], teams: [] },
      expected: { listing: 'members', expected: 3, received: 2 },
    },
    {
      name: 'teams lists fewer teams than its totalCount',
      org: { members: [member('a')], teams: [{ slug: 'eng', databaseId: 1, parent: null, members: ['a'] }], hidden: { teams: 2 } },
      expected: { listing: 'teams', expected: 3, received: 1 },
    },
    {
      name: "a team's first page of members is short",
      org: { members: [member('a')], teams: [{ slug: 'eng', databaseId: 1, parent: null, members: ['a'] }], hidden: { teamMembers: { eng: 1 } } },
      expected: { listing: 'team_members', team: 'eng', expected: 2, received: 1 },
    },
    {
      name: "a big team's follow-up pages are short",
      org: { members: [], teams: [{ slug: 'all', databaseId: 1, parent: null, members: people('u', 180) }], hidden: { teamMembers: { all: 5 } } },
      expected: { listing: 'team_members', team: 'all', expected: 185, received: 180 },
    },
  ])('fails with a TornSyncError when $name', async ({ org, expected }) => {
    nock(API).post('/api/graphql').times(5).reply(answerFrom(org as Org, []));

    const error = await fetchOrgGraph(graphqlClient(), 'acme').catch((e: unknown) => e);

    expect(error).toBeInstanceOf(TornSyncError);
    expect(error).toMatchObject({ org: 'acme', ...expected });
    expect((error as Error).message).toMatch(/^torn sync of acme: GitHub counted \d+ .* but listed \d+ usable ones/);
    nock.cleanAll();
  });

  it('fails when any page fails, never returning what was read so far', async () => {
    const members = people('m', 250).map((l) => member(l));
    nock(API).post('/api/graphql').times(2).reply(answerFrom({ members, teams: [] }, []));
    nock(API).post('/api/graphql').reply(502, { message: 'Server Error' });

    await expect(fetchOrgGraph(graphqlClient(), 'acme')).rejects.toMatchObject({ status: 502 });
    expect(nock.isDone()).toBe(true);
  });

  it('fails when the organization is not found', async () => {
    nock(API)
      .post('/api/graphql')
      .reply(200, { data: { organization: null }, errors: [{ type: 'NOT_FOUND', path: ['organization'], message: "Could not resolve to an Organization with the login of 'nope'." }] });

    await expect(fetchOrgGraph(graphqlClient(), 'nope')).rejects.toThrow(/Could not resolve to an Organization/);
    expect(nock.isDone()).toBe(true);
  });
});
