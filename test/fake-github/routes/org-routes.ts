import { notFound } from '../github-errors.js';
import { organizationSimple, simpleUser } from '../rest-shapes.js';
import type { RouteTable } from '../route-types.js';

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
};
