import type { FakeOrg, FakeTeam } from '../fake-state.js';
import { notFound } from '../github-errors.js';
import { linkHeaders, pageSlice } from '../pagination.js';
import { organizationSimple, simpleUser, teamShape } from '../rest-shapes.js';
import type { RouteContext, RouteResult, RouteTable } from '../route-types.js';

/** Organization and team membership look-ups. */
export const orgRoutes: RouteTable = {
  'orgs/get-membership-for-user': ({ state, params, apiUrl }) => {
    const org = state.org(params.org ?? '');
    const member = org?.member(params.username ?? '');
    if (org === undefined || member === undefined) return notFound();
    return {
      status: 200,
      body: {
        url: `${apiUrl}/orgs/${org.login}/memberships/${member.user.login}`,
        state: 'active',
        role: member.role,
        organization_url: `${apiUrl}/orgs/${org.login}`,
        organization: organizationSimple(org.account, apiUrl),
        user: simpleUser(member.user, apiUrl),
      },
    };
  },

  // The app's installation may see private members, so GitHub answers 204 or 404 (never 302).
  'orgs/check-membership-for-user': ({ state, params }) => {
    const org = state.org(params.org ?? '');
    if (org === undefined) return notFound();
    return org.member(params.username ?? '') === undefined ? notFound() : { status: 204 };
  },

  'teams/get-membership-for-user-in-org': ({ state, params, apiUrl }) => {
    const org = state.org(params.org ?? '');
    const team = org?.team(params.team_slug ?? '');
    if (org === undefined || team === undefined) return notFound();
    // GitHub counts members of child teams as members of the parent here.
    const role = org.teamMembership(team.slug, params.username ?? '');
    if (role === undefined) return notFound();
    const login = org.member(params.username ?? '')?.user.login ?? params.username;
    return {
      status: 200,
      body: {
        url: `${apiUrl}/organizations/${org.account.id}/team/${team.id}/memberships/${login}`,
        role,
        state: 'active',
      },
    };
  },

  'orgs/get': ({ state, params, apiUrl }) => {
    const org = state.org(params.org ?? '');
    if (org === undefined) return notFound();
    return {
      status: 200,
      body: { ...organizationSimple(org.account, apiUrl), name: org.login, html_url: `https://github.example/${org.login}`, type: 'Organization' },
    };
  },

  'orgs/list-members': (context) => {
    const org = context.state.org(context.params.org ?? '');
    if (org === undefined) return notFound();
    const role = context.query.get('role') ?? 'all';
    if (role === 'all') {
      // Sliced straight from the member list so that 100,000 members page in constant time.
      const page = pageSlice(org.memberCount, context.query, `${context.apiUrl}${context.path}`, 30);
      return paged(page, org.memberSlice(page.start, page.end).map((m) => simpleUser(m.user, context.apiUrl)));
    }
    const members = org.memberSlice(0, org.memberCount).filter((m) => m.role === role);
    const page = pageSlice(members.length, context.query, `${context.apiUrl}${context.path}`, 30);
    return paged(page, members.slice(page.start, page.end).map((m) => simpleUser(m.user, context.apiUrl)));
  },

  'teams/list': (context) => {
    const org = context.state.org(context.params.org ?? '');
    if (org === undefined) return notFound();
    return pagedTeams(org, org.sortedTeams(), context);
  },

  'teams/get-by-name': (context) => {
    const org = context.state.org(context.params.org ?? '');
    const team = org?.team(context.params.team_slug ?? '');
    if (org === undefined || team === undefined) return notFound();
    return { status: 200, body: restTeam(org, team, context) };
  },

  'teams/list-child-in-org': (context) => {
    const org = context.state.org(context.params.org ?? '');
    const team = org?.team(context.params.team_slug ?? '');
    if (org === undefined || team === undefined) return notFound();
    return pagedTeams(org, org.childTeams(team.slug), context);
  },

  'teams/list-members-in-org': (context) => {
    const org = context.state.org(context.params.org ?? '');
    const team = org?.team(context.params.team_slug ?? '');
    if (org === undefined || team === undefined) return notFound();
    // GitHub includes the members of child teams in this list.
    let logins = org.teamMemberLogins(team.slug, 'ALL');
    const role = context.query.get('role') ?? 'all';
    if (role !== 'all') logins = logins.filter((login) => org.teamMembership(team.slug, login) === role);
    const page = pageSlice(logins.length, context.query, `${context.apiUrl}${context.path}`, 30);
    const users = logins.slice(page.start, page.end).flatMap((login) => {
      const member = org.member(login);
      return member === undefined ? [] : [simpleUser(member.user, context.apiUrl)];
    });
    return paged(page, users);
  },
};

function pagedTeams(org: FakeOrg, teams: FakeTeam[], context: RouteContext): RouteResult {
  const page = pageSlice(teams.length, context.query, `${context.apiUrl}${context.path}`, 30);
  return paged(page, teams.slice(page.start, page.end).map((team) => restTeam(org, team, context)));
}

function restTeam(org: FakeOrg, team: FakeTeam, { apiUrl }: RouteContext): Record<string, unknown> {
  return teamShape(team, org.account, apiUrl, team.parent === null ? undefined : org.team(team.parent));
}

function paged(page: ReturnType<typeof pageSlice>, body: unknown[]): RouteResult {
  return { status: 200, headers: linkHeaders(page), body };
}
